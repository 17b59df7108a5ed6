#include "projections/internal/keys.h"

namespace careledger::projections::internal {
namespace {

void AppendBigEndian(std::uint64_t value, int bytes, std::string* out) {
  for (int i = bytes - 1; i >= 0; --i) {
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

// Microseconds since the epoch, sign bit flipped: unsigned order is time order.
void AppendMicros(std::int64_t micros, std::string* out) {
  AppendBigEndian(static_cast<std::uint64_t>(micros) ^ (std::uint64_t{1} << 63), 8, out);
}

void AppendTime(const google::protobuf::Timestamp& time, std::string* out) {
  AppendMicros(time.seconds() * 1'000'000 + time.nanos() / 1000, out);
}

std::string Prefixed(std::string_view prefix, std::string_view rest) {
  std::string key(prefix);
  key.append(rest);
  return key;
}

std::string Terminated(std::string_view text) {
  std::string prefix(text);
  prefix.push_back('\0');
  return prefix;
}

}  // namespace

std::string PlanKey(std::string_view nhs_number) { return std::string(nhs_number); }

std::string VersionPrefix(std::string_view nhs_number) {
  // NHS numbers are digits, so the 0x00 separator keeps one patient's
  // versions apart from another's whose number extends this one.
  return Terminated(nhs_number);
}

std::string VersionKey(std::string_view nhs_number, std::uint64_t version) {
  std::string key = VersionPrefix(nhs_number);
  AppendBigEndian(version, 8, &key);
  return key;
}

std::string OrganisationKey(std::string_view ods_code) {
  return Prefixed(kOrganisationPrefix, ods_code);
}

std::string UserKey(std::string_view user_id) { return Prefixed(kUserPrefix, user_id); }

std::string DeviceKey(std::string_view device_id) { return Prefixed(kDevicePrefix, device_id); }

std::string WorklistPrefix(std::string_view owner) { return Terminated(owner); }

std::string WorklistKey(std::string_view owner, const google::protobuf::Timestamp& since, int kind,
                        std::string_view nhs_number, std::string_view item_id) {
  std::string key = WorklistPrefix(owner);
  AppendTime(since, &key);
  AppendBigEndian(static_cast<std::uint64_t>(kind), 1, &key);
  key.append(nhs_number);
  key.push_back('\0');
  key.append(item_id);
  return key;
}

std::string ReviewDuePrefix(std::string_view owner) { return Terminated(owner); }

std::string ReviewDateKey(int year, int month, int day) {
  std::string key;
  AppendBigEndian(static_cast<std::uint64_t>(year), 2, &key);
  AppendBigEndian(static_cast<std::uint64_t>(month), 1, &key);
  AppendBigEndian(static_cast<std::uint64_t>(day), 1, &key);
  return key;
}

std::string ReviewDueKey(std::string_view owner, int year, int month, int day,
                         std::string_view nhs_number) {
  std::string key = ReviewDuePrefix(owner);
  key.append(ReviewDateKey(year, month, day));
  key.append(nhs_number);
  return key;
}

std::string HistoryPrefix(std::string_view nhs_number) { return Terminated(nhs_number); }

std::string HistoryKey(std::string_view nhs_number, const google::protobuf::Timestamp& recorded_at,
                       std::int32_t partition, std::int64_t offset) {
  std::string key = HistoryPrefix(nhs_number);
  AppendTime(recorded_at, &key);
  AppendBigEndian(static_cast<std::uint32_t>(partition), 4, &key);
  AppendBigEndian(static_cast<std::uint64_t>(offset), 8, &key);
  return key;
}

std::string AuditKey(const google::protobuf::Timestamp& recorded_at, std::int32_t partition,
                     std::int64_t offset) {
  std::string key;
  key.reserve(kAuditKeySize);
  AppendTime(recorded_at, &key);
  AppendBigEndian(static_cast<std::uint32_t>(partition), 4, &key);
  AppendBigEndian(static_cast<std::uint64_t>(offset), 8, &key);
  return key;
}

std::string AuditTimeKey(std::int64_t micros) {
  std::string key;
  AppendMicros(micros, &key);
  return key;
}

std::string AuditIndexPrefix(std::string_view term) { return Terminated(term); }

std::string AuditIndexKey(std::string_view term, std::string_view audit_key) {
  std::string key = AuditIndexPrefix(term);
  key.append(audit_key);
  return key;
}

std::string StatsPlanKey(std::string_view nhs_number) {
  std::string key(kStatsPlanPrefix);
  key.append(nhs_number);
  return key;
}

std::string StatsViewKey(std::string_view utc_hour, std::string_view ods_code) {
  std::string key(kStatsViewPrefix);
  key.append(utc_hour);
  key.push_back('/');
  key.append(ods_code);
  return key;
}

std::string ProgressKey(std::int32_t partition) {
  std::string key(kProgressPrefix);
  AppendBigEndian(static_cast<std::uint32_t>(partition), 4, &key);
  return key;
}

std::string HeadKey(std::string_view stream_id) { return Prefixed(kHeadPrefix, stream_id); }

}  // namespace careledger::projections::internal
