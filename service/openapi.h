// docs/openapi.json, embedded at build time (service/CMakeLists.txt), so the
// running service serves exactly the document the repository keeps.
#ifndef CARELEDGER_SERVICE_OPENAPI_H_
#define CARELEDGER_SERVICE_OPENAPI_H_

#include <string>

namespace careledger::service {

// The whole document, byte for byte as docs/openapi.json holds it.
std::string OpenApiDocument();

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_OPENAPI_H_
