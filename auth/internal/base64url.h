// Base64url without padding (RFC 7515 §2), the encoding of every part of a
// compact JWS and of the numbers in a JWK.
#ifndef CARELEDGER_AUTH_INTERNAL_BASE64URL_H_
#define CARELEDGER_AUTH_INTERNAL_BASE64URL_H_

#include <optional>
#include <string>
#include <string_view>

namespace careledger::auth::internal {

std::string Base64UrlEncode(std::string_view bytes);

// The decoded bytes, or nullopt unless `text` is canonical base64url without
// padding: only [A-Za-z0-9_-], no '=', no whitespace, and no stray bits (so
// one byte string has exactly one accepted encoding).
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace careledger::auth::internal

#endif  // CARELEDGER_AUTH_INTERNAL_BASE64URL_H_
