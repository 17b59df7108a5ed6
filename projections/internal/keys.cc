#include "projections/internal/keys.h"

namespace careledger::projections::internal {
namespace {

void AppendBigEndian(std::uint64_t value, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

}  // namespace

std::string PlanKey(std::string_view nhs_number) { return std::string(nhs_number); }

std::string VersionPrefix(std::string_view nhs_number) {
  // NHS numbers are digits, so the 0x00 separator keeps one patient's
  // versions apart from another's whose number extends this one.
  std::string prefix(nhs_number);
  prefix.push_back('\0');
  return prefix;
}

std::string VersionKey(std::string_view nhs_number, std::uint64_t version) {
  std::string key = VersionPrefix(nhs_number);
  AppendBigEndian(version, 8, &key);
  return key;
}

std::string ProgressKey(std::int32_t partition) {
  std::string key(kProgressPrefix);
  AppendBigEndian(static_cast<std::uint32_t>(partition), 4, &key);
  return key;
}

std::string HeadKey(std::string_view stream_id) {
  std::string key(kHeadPrefix);
  key.append(stream_id);
  return key;
}

}  // namespace careledger::projections::internal
