#include "service/demo_read.h"

#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/escaping.h"
#include "events/envelope.h"
#include "service/config.h"
#include "service/sample_client.h"
#include "service/service.h"
#include "tools/output.h"

namespace careledger::service {
namespace {

// The plan's answer, shortened for people: what was shown and the receipt.
void PrintAnswer(const nlohmann::json& body) {
  const nlohmann::json& access = body["access"];
  std::cout << fmt::format(
      "   200 OK: published version {} of {} (content {}), status {}\n"
      "   receipt: the access record at partition {} offset {} ({} seq {})\n",
      body["version"].get<std::uint64_t>(), body["nhs_number"].get<std::string>(),
      body["content_hash"].get<std::string>().substr(0, 12), body["status"].get<std::string>(),
      access["partition"].get<int>(), access["offset"].get<std::int64_t>(),
      access["stream_id"].get<std::string>(), access["stream_seq"].get<std::uint64_t>());
}

}  // namespace

absl::Status DemoServiceRead(const tools::Context& context, const std::string& nhs_number) {
  ServeConfig config;
  config.listen_port = 0;
  absl::StatusOr<std::unique_ptr<Service>> service = Service::Open(context, config);
  if (!service.ok()) return service.status();
  absl::StatusOr<int> port = (*service)->Bind();
  if (!port.ok()) return port.status();
  std::thread serving([&] { (void)(*service)->Serve(); });
  const auto stop = [&] {
    (*service)->Stop();
    serving.join();
  };
  std::cout << fmt::format(
      "7. The service (careledger serve) answers on {}: the ambulance crew reads over HTTPS "
      "with a device certificate and a bearer token\n",
      (*service)->Url(*port));

  absl::StatusOr<ClientCredentials> credentials = SampleCrewCredentials(context.options().data_dir);
  if (!credentials.ok()) {
    stop();
    return credentials.status();
  }
  const std::string path =
      fmt::format("/v1/patients/{}/plan?purpose=urgent%20care%20advice", nhs_number);
  httplib::Result result = ConnectAs(*credentials, *port)->Get(path);
  stop();
  if (!result) {
    return absl::UnavailableError(
        fmt::format("GET {}: {}", path, httplib::to_string(result.error())));
  }
  if (result->status != 200) {
    return absl::InternalError(
        fmt::format("GET {} answered {}: {}", path, result->status, result->body));
  }
  nlohmann::json body = nlohmann::json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.contains("access")) {
    return absl::InternalError(fmt::format("GET {}: not the documented answer", path));
  }
  std::cout << fmt::format("   GET {}\n", path);
  PrintAnswer(body);
  std::string record;
  if (!absl::Base64Unescape(body["access"]["record"].get<std::string>(), &record)) {
    return absl::InternalError("the receipt is not base64");
  }
  absl::StatusOr<events::OpenedRecord> opened =
      events::OpenRecord(body["access"]["stream_id"].get<std::string>(), record);
  if (!opened.ok()) return opened.status();
  std::cout << "   the access record it produced (signed, on the log before the answer):\n   "
            << tools::ToJsonLine(opened->event) << "\n";
  return absl::OkStatus();
}

}  // namespace careledger::service
