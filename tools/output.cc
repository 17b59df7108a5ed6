#include "tools/output.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/evp.h>

#include <array>
#include <iostream>
#include <streambuf>

#include "events/format.h"
#include "events/text.h"
#include "tools/exit_codes.h"
#include "tools/strict_json.h"

namespace careledger::tools {

std::string ToJsonLine(const google::protobuf::Message& message) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &json, options);
  return json;
}

absl::Status FromJson(const std::string& json, google::protobuf::Message* message) {
  if (absl::Status strict = CheckStrictJson(json, *message->GetDescriptor()); !strict.ok()) {
    return absl::InvalidArgumentError(fmt::format(
        "not a valid {} in JSON: {}", message->GetDescriptor()->name(), strict.message()));
  }
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

namespace {

// A stream buffer that escapes what is written through it (events/text.h)
// and passes the result to the buffer it replaced.
class EscapingStreamBuf final : public std::streambuf {
 public:
  explicit EscapingStreamBuf(std::streambuf* target) : target_(target) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }

  void SetJson(bool json) {
    Drain();
    escaper_ = events::TerminalEscaper(json ? std::string_view() : std::string_view("\n\t"), json);
  }

 protected:
  int_type overflow(int_type c) override {
    Drain();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }

  int sync() override {
    Drain();
    return target_->pubsync();
  }

 private:
  // Escapes and forwards the buffered bytes (an incomplete character at the
  // end waits in the escaper for the rest).
  void Drain() {
    escaped_.clear();
    escaper_.Feed(std::string_view(pbase(), static_cast<std::size_t>(pptr() - pbase())), &escaped_);
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    if (!escaped_.empty()) {
      target_->sputn(escaped_.data(), static_cast<std::streamsize>(escaped_.size()));
    }
  }

  std::streambuf* target_;
  std::array<char, 8192> buffer_{};
  std::string escaped_;
  events::TerminalEscaper escaper_;
};

EscapingStreamBuf* cout_escaper = nullptr;  // set once by NeutraliseStandardStreams

}  // namespace

void NeutraliseStandardStreams() {
  if (cout_escaper != nullptr) return;
  // Kept for the life of the program: the streams use them until exit.
  cout_escaper = new EscapingStreamBuf(std::cout.rdbuf());
  std::cout.rdbuf(cout_escaper);
  std::cerr.rdbuf(new EscapingStreamBuf(std::cerr.rdbuf()));
  std::cerr.setf(std::ios::unitbuf);
}

void SetJsonOutput(bool json) {
  if (cout_escaper != nullptr) cout_escaper->SetJson(json);
}

std::string ForTerminal(std::string_view text) { return events::EscapeControls(text, "\n\t"); }

std::string Base64(std::string_view bytes) {
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(length));
  return encoded;
}

}  // namespace careledger::tools
