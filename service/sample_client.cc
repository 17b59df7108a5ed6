#include "service/sample_client.h"

#include <filesystem>

#include "auth/dev_issuer.h"
#include "auth/device_authority.h"
#include "tools/private_files.h"
#include "tools/safe_file.h"
#include "tools/sample_world.h"

namespace careledger::service {

absl::StatusOr<ClientCredentials> SampleCrewCredentials(const std::string& data_dir) {
  absl::StatusOr<auth::DeviceAuthority> authority = auth::DeviceAuthority::OpenOrCreate(data_dir);
  if (!authority.ok()) return authority.status();
  const careledger::v1::Actor crew = tools::SampleWorldActors().ambulance;
  absl::StatusOr<auth::IssuedCertificate> issued =
      authority->IssueDevice(crew.device_id(), crew.organisation(), absl::Now() - absl::Hours(1),
                             absl::Now() + absl::Hours(24));
  if (!issued.ok()) return issued.status();
  absl::StatusOr<auth::DevIssuer> issuer = auth::DevIssuer::OpenOrCreate(data_dir);
  if (!issuer.ok()) return issuer.status();
  absl::StatusOr<std::string> token =
      issuer->Mint({.subject = crew.user_id(), .lifetime = absl::Hours(2)});
  if (!token.ok()) return token.status();

  const std::string dir = data_dir + "/sample-client";
  // Made once, private; later runs replace the files in it.
  std::error_code error;
  if (!std::filesystem::is_directory(std::filesystem::symlink_status(dir, error))) {
    if (absl::Status created = tools::CreatePrivateDir(dir); !created.ok()) return created;
  }
  ClientCredentials credentials;
  credentials.certificate_path = dir + "/" + crew.device_id() + ".crt";
  credentials.key_path = dir + "/" + crew.device_id() + ".key";
  credentials.ca_path = authority->ca_path();
  credentials.token = *std::move(token);
  for (const auto& [path, contents] :
       {std::pair{credentials.certificate_path, issued->certificate_pem},
        std::pair{credentials.key_path, issued->private_key_pem}}) {
    if (absl::Status written = tools::WriteOutputFile(path, contents, /*overwrite=*/true);
        !written.ok()) {
      return written;
    }
  }
  return credentials;
}

std::unique_ptr<httplib::SSLClient> ConnectAs(const ClientCredentials& credentials, int port) {
  auto client = std::make_unique<httplib::SSLClient>(
      "127.0.0.1", port, credentials.certificate_path, credentials.key_path);
  client->set_ca_cert_path(credentials.ca_path.c_str());
  client->enable_server_certificate_verification(true);
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);
  client->set_connection_timeout(std::chrono::seconds(5));
  client->set_read_timeout(std::chrono::seconds(30));
  client->set_default_headers({{"Authorization", "Bearer " + credentials.token}});
  return client;
}

}  // namespace careledger::service
