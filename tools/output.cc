#include "tools/output.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/evp.h>

#include <iostream>

#include "events/format.h"
#include "tools/exit_codes.h"

namespace careledger::tools {

std::string ToJsonLine(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

absl::Status FromJson(const std::string& json, google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(fmt::format("not a valid {} in JSON: {}",
                                                  message->GetDescriptor()->name(),
                                                  status.message().as_string()));
  }
  return absl::OkStatus();
}

int ReportError(const absl::Status& status, bool json) {
  if (json) {
    PrintJson({{"error", std::string(status.message())},
               {"code", absl::StatusCodeToString(status.code())}});
  } else {
    std::cerr << "error: " << status.message() << "\n";
  }
  switch (status.code()) {
    case absl::StatusCode::kDataLoss:
      return kExitIntegrity;
    case absl::StatusCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitError;
  }
}

void PrintJson(const nlohmann::json& document) {
  std::cout << document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

std::string Base64(std::string_view bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(length));
  return encoded;
}

}  // namespace careledger::tools
