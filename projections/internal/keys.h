// Key encodings of the projection store's column families (README.md has the
// full layout). Integers are big-endian so keys sort in numeric order.
//
//   plans     <nhs number>
//   versions  <nhs number> 0x00 <version: 8 bytes>
//   meta      "schema" | "partition_count"
//             | "progress/" <partition: 4 bytes>
//             | "head/" <stream id>
#ifndef CARELEDGER_PROJECTIONS_INTERNAL_KEYS_H_
#define CARELEDGER_PROJECTIONS_INTERNAL_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace careledger::projections::internal {

inline constexpr std::string_view kSchemaKey = "schema";
inline constexpr std::string_view kPartitionCountKey = "partition_count";
inline constexpr std::string_view kProgressPrefix = "progress/";
inline constexpr std::string_view kHeadPrefix = "head/";

std::string PlanKey(std::string_view nhs_number);

std::string VersionKey(std::string_view nhs_number, std::uint64_t version);
// The prefix shared by every VersionKey of `nhs_number` (and no other's).
std::string VersionPrefix(std::string_view nhs_number);

std::string ProgressKey(std::int32_t partition);
std::string HeadKey(std::string_view stream_id);

}  // namespace careledger::projections::internal

#endif  // CARELEDGER_PROJECTIONS_INTERNAL_KEYS_H_
