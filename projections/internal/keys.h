// Key encodings of the projection store's column families (README.md has the
// full layout). Integers are big-endian so keys sort in numeric order; times
// are microseconds since the Unix epoch with the sign bit flipped, so earlier
// sorts first also before 1970. A 0x00 separates a variable-length string
// from what follows it, so one NHS number's or owner's keys never interleave
// with those of a longer one it prefixes.
//
//   plans      <nhs number>
//   versions   <nhs number> 0x00 <version: 8 bytes>
//   directory  "org/" <ODS code> | "user/" <user id> | "device/" <device id>
//   worklist   <owner> 0x00 <since: 8 bytes> <kind: 1 byte> <nhs number> 0x00 <item id>
//   review_due <owner> 0x00 <review date: year 2 bytes, month 1, day 1> <nhs number>
//   history    <nhs number> 0x00 <recorded_at: 8 bytes> <partition: 4 bytes> <offset: 8 bytes>
//   audit      <recorded_at: 8 bytes> <partition: 4 bytes> <offset: 8 bytes>   (the "audit key")
//   audit_by_patient  <nhs number> 0x00 <audit key>   (value: the entry itself)
//   audit_by_user     <user id> 0x00 <audit key>
//   audit_by_org      <ODS code> 0x00 <audit key>
//   audit_sites       <ODS code> 0x00 <audit key>
//   alert_reviews     <alert id> 0x00 <audit key>
//   stats      "plan/" <nhs number> | "view/" <YYYY-MM-DDTHH, UTC> "/" <ODS code>
//   meta       "schema" | "partition_count"
//              | "progress/" <partition: 4 bytes>
//              | "head/" <stream id>
//              | "erasing/" <nhs number>   (an erasure being purged: erasure_purge.h)
#ifndef CARELEDGER_PROJECTIONS_INTERNAL_KEYS_H_
#define CARELEDGER_PROJECTIONS_INTERNAL_KEYS_H_

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace careledger::projections::internal {

inline constexpr std::string_view kSchemaKey = "schema";
inline constexpr std::string_view kPartitionCountKey = "partition_count";
inline constexpr std::string_view kProgressPrefix = "progress/";
inline constexpr std::string_view kHeadPrefix = "head/";

inline constexpr std::string_view kOrganisationPrefix = "org/";
inline constexpr std::string_view kUserPrefix = "user/";
inline constexpr std::string_view kDevicePrefix = "device/";

std::string PlanKey(std::string_view nhs_number);

std::string VersionKey(std::string_view nhs_number, std::uint64_t version);
// The prefix shared by every VersionKey of `nhs_number` (and no other's).
std::string VersionPrefix(std::string_view nhs_number);

std::string OrganisationKey(std::string_view ods_code);
std::string UserKey(std::string_view user_id);
std::string DeviceKey(std::string_view device_id);

// The prefix shared by every WorklistKey of `owner` (and no other's).
std::string WorklistPrefix(std::string_view owner);
std::string WorklistKey(std::string_view owner, const google::protobuf::Timestamp& since, int kind,
                        std::string_view nhs_number, std::string_view item_id);

// The prefix shared by every ReviewDueKey of `owner` (and no other's).
std::string ReviewDuePrefix(std::string_view owner);
// The review date as it sorts in a ReviewDueKey: ReviewDuePrefix(owner) +
// ReviewDateKey(d) <= ReviewDueKey(owner, d', ...) exactly when d <= d'.
std::string ReviewDateKey(int year, int month, int day);
std::string ReviewDueKey(std::string_view owner, int year, int month, int day,
                         std::string_view nhs_number);

// The prefix shared by every HistoryKey of `nhs_number` (and no other's).
std::string HistoryPrefix(std::string_view nhs_number);
std::string HistoryKey(std::string_view nhs_number, const google::protobuf::Timestamp& recorded_at,
                       std::int32_t partition, std::int64_t offset);

// The key of the audit entry of the record at (partition, offset) recorded
// at `recorded_at`: fixed by the record alone, so entries sort by time, ties
// in log order, whatever order partitions are applied in.
inline constexpr std::size_t kAuditKeySize = 20;
std::string AuditKey(const google::protobuf::Timestamp& recorded_at, std::int32_t partition,
                     std::int64_t offset);
// The 8-byte time prefix of every AuditKey recorded at `micros` (since the
// epoch): AuditTimeKey(t) <= AuditKey(at t', ...) exactly when t <= t'.
std::string AuditTimeKey(std::int64_t micros);
// The prefix shared by every index key of `term` (an NHS number, user id,
// ODS code or alert id) in an audit index family (and no other term's).
std::string AuditIndexPrefix(std::string_view term);
// AuditIndexPrefix(term) followed by an AuditKey.
std::string AuditIndexKey(std::string_view term, std::string_view audit_key);

// Family `stats` (stats_projection.h): one row per started plan, and the
// urgent-care view counts per UTC hour and reading organisation. The hour is
// text ("2026-01-15T09") so keys sort by time and read in a dump.
inline constexpr std::string_view kStatsPlanPrefix = "plan/";
inline constexpr std::string_view kStatsViewPrefix = "view/";
std::string StatsPlanKey(std::string_view nhs_number);
std::string StatsViewKey(std::string_view utc_hour, std::string_view ods_code);

std::string ProgressKey(std::int32_t partition);
std::string HeadKey(std::string_view stream_id);

}  // namespace careledger::projections::internal

#endif  // CARELEDGER_PROJECTIONS_INTERNAL_KEYS_H_
