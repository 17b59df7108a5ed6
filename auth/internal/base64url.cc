#include "auth/internal/base64url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"

namespace careledger::auth::internal {

std::string Base64UrlEncode(std::string_view bytes) {
  return absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()));
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
      return std::nullopt;
    }
  }
  std::string bytes;
  const absl::string_view input(text.data(), text.size());
  if (!absl::WebSafeBase64Unescape(input, &bytes)) return std::nullopt;
  // Re-encoding catches a length of 1 mod 4 and non-zero padding bits.
  if (absl::WebSafeBase64Escape(bytes) != input) return std::nullopt;
  return bytes;
}

}  // namespace careledger::auth::internal
