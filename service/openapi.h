// docs/openapi.json, embedded at build time (service/CMakeLists.txt), so the
// running service serves exactly the document the repository keeps.
#ifndef CARELEDGER_SERVICE_OPENAPI_H_
#define CARELEDGER_SERVICE_OPENAPI_H_

#include <string_view>

namespace careledger::service {

extern const std::string_view kOpenApiDocument;

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_OPENAPI_H_
