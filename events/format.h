// Lets fmt format absl::string_view (Debian's Abseil has its own string_view,
// so absl::Status::message() is not a std::string_view).
#ifndef CARELEDGER_EVENTS_FORMAT_H_
#define CARELEDGER_EVENTS_FORMAT_H_

#include <fmt/format.h>

#include <string_view>

#include "absl/strings/string_view.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<std::string_view> {
  auto format(absl::string_view text, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(std::string_view(text.data(), text.size()),
                                                    ctx);
  }
};

#endif  // CARELEDGER_EVENTS_FORMAT_H_
