// Proves that a kept checkpoint catches a log whose tail was cut or whose
// history before it was rewritten, and accepts a log that only grew.
#include "tools/kept_checkpoints.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "events/sha256.h"

namespace careledger::tools {
namespace {

events::VerifiedRecord Record(std::int64_t offset, const std::string& value) {
  events::VerifiedRecord record;
  record.offset = offset;
  record.opened.value_hash = events::Sha256(value);
  return record;
}

// The digest of records "v0".."v{n-1}" at offsets 0..n-1.
events::PartitionDigest DigestOf(int n, const std::string& prefix = "v") {
  events::PartitionDigest digest;
  for (int i = 0; i < n; ++i) digest.Add(i, events::Sha256(fmt::format("{}{}", prefix, i)));
  return digest;
}

TEST(KeptCheckpointsTest, LogThatOnlyGrewPasses) {
  KeptCheckpointCheck check({{0, DigestOf(3)}, {1, events::PartitionDigest{}}}, 2);
  for (int i = 0; i < 5; ++i) check.Observe(0, Record(i, fmt::format("v{}", i)));
  EXPECT_TRUE(check.Failures().empty());
  using Outcome = KeptCheckpointCheck::Outcome;
  EXPECT_EQ(check.Outcomes(), (std::vector<Outcome>{Outcome::kConfirmed, Outcome::kConfirmed}));
}

TEST(KeptCheckpointsTest, CutTailIsReported) {
  KeptCheckpointCheck check({{0, DigestOf(3)}}, 1);
  for (int i = 0; i < 2; ++i) check.Observe(0, Record(i, fmt::format("v{}", i)));
  const auto failures = check.Failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("cut"), std::string::npos) << failures[0];
  EXPECT_EQ(check.Outcomes(), std::vector{KeptCheckpointCheck::Outcome::kCut});
}

TEST(KeptCheckpointsTest, RewrittenHistoryIsReported) {
  KeptCheckpointCheck check({{0, DigestOf(3)}}, 1);
  check.Observe(0, Record(0, "v0"));
  check.Observe(0, Record(1, "changed"));
  check.Observe(0, Record(2, "v2"));
  const auto failures = check.Failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("rewritten"), std::string::npos) << failures[0];
  EXPECT_EQ(check.Outcomes(), std::vector{KeptCheckpointCheck::Outcome::kRewritten});
}

TEST(KeptCheckpointsTest, UnknownPartitionIsReported) {
  KeptCheckpointCheck check({{7, DigestOf(1)}}, 2);
  EXPECT_EQ(check.Failures().size(), 1u);
  EXPECT_EQ(check.Outcomes(), std::vector{KeptCheckpointCheck::Outcome::kCut});
}

}  // namespace
}  // namespace careledger::tools
