// A client of the service acting as the sample world's ambulance crew
// (crew.lee, device dev-AMB001; tools/sample_world.h): a device certificate
// from the data directory's device CA and a token from its development
// issuer. For the demo and `bench serve`, never for production callers.
#ifndef CARELEDGER_SERVICE_SAMPLE_CLIENT_H_
#define CARELEDGER_SERVICE_SAMPLE_CLIENT_H_

#include <httplib.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace careledger::service {

struct ClientCredentials {
  std::string certificate_path, key_path, ca_path, token;
};

// Issues the crew's device certificate (valid a day) and a two-hour token,
// writing the certificate and its key (0600, replaced) into
// `<data_dir>/sample-client/`.
absl::StatusOr<ClientCredentials> SampleCrewCredentials(const std::string& data_dir);

// A keep-alive HTTPS connection to 127.0.0.1:`port` that presents the
// device certificate, checks the server's against the CA and sends the
// token on every request.
std::unique_ptr<httplib::SSLClient> ConnectAs(const ClientCredentials& credentials, int port);

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_SAMPLE_CLIENT_H_
