// The demo's last step (`careledger demo`): the service started on the
// demo's ledger, one authenticated urgent-care read over HTTPS as the sample
// ambulance crew, the answer and the access record it produced printed, the
// service stopped.
#ifndef CARELEDGER_SERVICE_DEMO_READ_H_
#define CARELEDGER_SERVICE_DEMO_READ_H_

#include <string>

#include "absl/status/status.h"
#include "tools/context.h"

namespace careledger::service {

// Nothing else may hold the context's log (the service opens its writer).
absl::Status DemoServiceRead(const tools::Context& context, const std::string& nhs_number);

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_DEMO_READ_H_
