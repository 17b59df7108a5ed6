// Proves ScanLog (behind `careledger verify` and writer recovery): a damaged
// partition stops at its first bad record, with its position, while every
// other partition is verified to the end.
#include "ledger/log_scan.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ledger/embedded_log.h"
#include "ledger/partitioner.h"
#include "tests/support/event_factory.h"
#include "tests/support/test_support.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::FailsWith;
using ::careledger::testing::IsOk;

TEST(LogScanTest, DamagedPartitionStopsAndTheOthersVerifyToTheEnd) {
  careledger::testing::TempDir dir;
  auto log = OpenEmbeddedLog({dir.Sub("log"), 4, EmbeddedLogMode::kCreate});
  ASSERT_THAT(log, IsOk());
  careledger::testing::TestSigner signer = careledger::testing::MakeTestSigner();
  careledger::testing::WriteTestGenesis(**log, signer);
  auto writer = (*log)->OpenWriter("0");
  ASSERT_THAT(writer, IsOk());
  careledger::testing::EventFactory factory(signer.key_id, signer.key);

  std::vector<AppendRecord> records;
  std::int32_t damaged_partition = -1;
  std::size_t damaged_index = 0;
  for (int patient = 0; patient < 12; ++patient) {
    const std::string stream = fmt::format("patient/{}", patient);
    const std::int32_t partition = PartitionForKey(stream, 4);
    for (int i = 0; i < 3; ++i) {
      records.push_back({partition, stream, factory.Seal(factory.NextEvent(stream))});
      if (patient == 5 && i == 1) {
        damaged_partition = partition;
        damaged_index = records.size() - 1;
      }
    }
  }
  std::string& value = records[damaged_index].value;
  value[value.size() - 3] ^= 0x40;  // inside the signature
  auto positions = (*writer)->Append(records);
  ASSERT_THAT(positions, IsOk());

  auto reader = (*log)->OpenReader();
  ASSERT_THAT(reader, IsOk());
  std::uint64_t visited = 0;
  auto report = ScanLog(**reader, &signer.keyring, 2,
                        [&](std::int32_t, const events::VerifiedRecord&) { ++visited; });
  ASSERT_THAT(report, IsOk());
  ASSERT_EQ(report->stops.size(), 1u);
  const events::VerificationStop& stop = report->stops[0];
  EXPECT_EQ(stop.partition, damaged_partition);
  EXPECT_EQ(stop.offset, (*positions)[damaged_index].offset);
  EXPECT_EQ(stop.stream_id, "patient/5");
  EXPECT_THAT(stop.reason, FailsWith(events::FailureKind::kBadSignature));

  // Everything outside the damaged partition, and the damaged partition's
  // records before the bad one, were verified and visited; nothing after it.
  std::uint64_t expected = 4;  // the geneses
  for (std::size_t i = 0; i < records.size(); ++i) {
    const LogPosition& position = (*positions)[i];
    if (position.partition != damaged_partition ||
        position.offset < (*positions)[damaged_index].offset) {
      ++expected;
    }
  }
  EXPECT_EQ(report->records, expected);
  EXPECT_EQ(visited, expected);
}

TEST(LogScanTest, WithoutAKeyringChainsAreStillChecked) {
  careledger::testing::TempDir dir;
  auto log = OpenEmbeddedLog({dir.Sub("log"), 1, EmbeddedLogMode::kCreate});
  careledger::testing::TestSigner signer = careledger::testing::MakeTestSigner();
  careledger::testing::WriteTestGenesis(**log, signer);
  auto writer = (*log)->OpenWriter("0");
  careledger::testing::EventFactory factory(signer.key_id, signer.key);
  const std::string first = factory.Seal(factory.NextEvent("s"));
  factory.Seal(factory.NextEvent("s"));  // seq 2 is lost
  const std::string third = factory.Seal(factory.NextEvent("s"));
  ASSERT_THAT((*writer)->Append(std::vector<AppendRecord>{{0, "s", first}, {0, "s", third}}),
              IsOk());
  auto reader = (*log)->OpenReader();
  auto report = ScanLog(**reader, nullptr, 1, nullptr);
  ASSERT_THAT(report, IsOk());
  ASSERT_EQ(report->stops.size(), 1u);
  EXPECT_EQ(report->stops[0].offset, 2);
  EXPECT_THAT(report->stops[0].reason, FailsWith(events::FailureKind::kSequenceGap));
}

// Every partition must open with its genesis: a log never initialised (or a
// partition whose records before the first were lost) does not verify.
TEST(LogScanTest, PartitionsWithoutTheirGenesisAreStopsAtOffsetZero) {
  careledger::testing::TempDir dir;
  auto log = OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kCreate});
  ASSERT_THAT(log, IsOk());
  careledger::testing::TestSigner signer = careledger::testing::MakeTestSigner();
  careledger::testing::EventFactory factory(signer.key_id, signer.key);
  const std::string stream = "patient/1";
  const std::int32_t partition = PartitionForKey(stream, 2);
  {
    auto writer = (*log)->OpenWriter("0");
    ASSERT_THAT(writer, IsOk());
    ASSERT_THAT((*writer)->Append(std::vector<AppendRecord>{
                    {partition, stream, factory.Seal(factory.NextEvent(stream))}}),
                IsOk());
  }
  auto reader = (*log)->OpenReader();
  auto report = ScanLog(**reader, &signer.keyring, 1, nullptr);
  ASSERT_THAT(report, IsOk());
  ASSERT_EQ(report->stops.size(), 2u) << "one partition holds a plain record, one nothing";
  for (const events::VerificationStop& stop : report->stops) {
    EXPECT_EQ(stop.offset, 0);
    EXPECT_THAT(stop.reason, FailsWith(events::FailureKind::kGenesisMismatch)) << stop.Describe();
  }
}

// A log's geneses fix its partition count: the same records read as a log of
// fewer partitions (stored metadata edited) fail at the first genesis.
TEST(LogScanTest, AChangedPartitionCountContradictsTheGenesis) {
  careledger::testing::TempDir dir;
  careledger::testing::TestSigner signer = careledger::testing::MakeTestSigner();
  std::vector<AppendRecord> copied;
  {
    auto log = OpenEmbeddedLog({dir.Sub("four"), 4, EmbeddedLogMode::kCreate});
    ASSERT_THAT(log, IsOk());
    careledger::testing::WriteTestGenesis(**log, signer);
    auto reader = (*log)->OpenReader();
    auto all = (*reader)->Read(100, std::chrono::milliseconds(0));
    ASSERT_THAT(all, IsOk());
    for (const events::LogRecord& record : all->records) {
      if (record.partition < 2) copied.push_back({record.partition, record.key, record.value});
    }
  }
  auto two = OpenEmbeddedLog({dir.Sub("two"), 2, EmbeddedLogMode::kCreate});
  ASSERT_THAT(two, IsOk());
  {
    auto writer = (*two)->OpenWriter("0");
    ASSERT_THAT((*writer)->Append(copied), IsOk());
  }
  auto reader = (*two)->OpenReader();
  auto report = ScanLog(**reader, &signer.keyring, 1, nullptr);
  ASSERT_THAT(report, IsOk());
  ASSERT_EQ(report->stops.size(), 2u);
  EXPECT_THAT(report->stops[0].reason, FailsWith(events::FailureKind::kGenesisMismatch));
  EXPECT_NE(report->stops[0].reason.message().find("partition 0 of 4"), std::string::npos)
      << report->stops[0].reason;
}

}  // namespace
}  // namespace careledger::ledger
