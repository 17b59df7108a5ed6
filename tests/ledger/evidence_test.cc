// Proves the writer's evidence rules (docs/witnesses.md): keys rotated under a
// running writer never leave a record signed outside its key's window; a
// revoked key's records from the revocation on fail verification while the
// earlier ones stay good; checkpoints are appended on time, not only on
// count; a writer refuses a log that contradicts a witness; the embedded log
// is created only on request and refuses a missing one. (Damage done to the
// files themselves is the fault campaign's: tests/faults/.)
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "events/failure.h"
#include "ledger/embedded_log.h"
#include "ledger/genesis.h"
#include "ledger/key_store.h"
#include "ledger/log_scan.h"
#include "ledger/writer.h"
#include "tests/support/read_log.h"
#include "tests/support/test_support.h"
#include "tools/sample_world.h"

namespace careledger::ledger {
namespace {

using ::careledger::testing::FailsWith;
using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using careledger::v1::Command;

// A command from an actor the empty directory does not know: refused, so it
// appends exactly one signed access record (its refusal).
Command Attempt(int n) {
  Command command;
  command.set_command_id(fmt::format("attempt-{}", n));
  *command.mutable_actor() = tools::SampleWorldActors().gp;
  command.mutable_start_plan()->set_nhs_number("9990000018");
  return command;
}

class EvidenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keys = KeyStore::Create(dir_.Sub("keys"), start_);
    ASSERT_THAT(keys, IsOk());
    auto log = OpenEmbeddedLog({dir_.Sub("log"), 2, EmbeddedLogMode::kCreate});
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
    auto active = keys->Active(start_);
    ASSERT_THAT(active, IsOk());
    ASSERT_THAT(WriteGenesis(*log_, active->key_id, active->key, start_, "test"), IsOk());
  }

  // A writer that asks the key directory for a key for every batch.
  std::unique_ptr<Writer> OpenWriter(const Clock* clock, std::vector<Witness> witnesses = {}) {
    WriterOptions options;
    auto directory = std::make_shared<KeyDirectory>(dir_.Sub("keys"));
    options.key_at = [directory](absl::Time at) { return directory->KeyAt(at); };
    options.clock = clock;
    options.checkpoint_every = 0;
    options.checkpoint_interval = std::chrono::milliseconds(0);
    options.witnesses = std::move(witnesses);
    auto writer = Writer::Open(log_.get(), std::move(options));
    EXPECT_THAT(writer, IsOk());
    return writer.ok() ? *std::move(writer) : nullptr;
  }

  absl::StatusOr<ScanReport> Verify() {
    auto keys = KeyStore::Open(dir_.Sub("keys"));
    if (!keys.ok()) return keys.status();
    auto reader = log_->OpenReader();
    if (!reader.ok()) return reader.status();
    return ScanLog(**reader, &keys->keyring(), 1, nullptr);
  }

  careledger::testing::TempDir dir_;
  const absl::Time start_ =
      absl::FromCivil(absl::CivilSecond(2026, 11, 20, 9, 0, 0), absl::UTCTimeZone());
  std::unique_ptr<Log> log_;
};

// The key a record was signed with, for each record of the log.
std::vector<std::string> SigningKeys(Log& log) {
  std::vector<std::string> keys;
  for (const events::LogRecord& record : careledger::testing::ReadAll(log)) {
    careledger::v1::SignedEvent signed_event;
    EXPECT_TRUE(signed_event.ParseFromString(record.value));
    keys.push_back(signed_event.key_id());
  }
  return keys;
}

TEST_F(EvidenceTest, RotationUnderARunningWriterTakesEffectAtTheNextBatch) {
  ManualClock clock(start_ + absl::Minutes(1));
  std::unique_ptr<Writer> writer = OpenWriter(&clock);
  ASSERT_NE(writer, nullptr);
  ASSERT_THAT(writer->Submit(Attempt(1)), IsOk());
  const std::string first_key = SigningKeys(*log_).back();

  // Another process rotates: the writer is not restarted.
  auto keys = KeyStore::Open(dir_.Sub("keys"));
  ASSERT_THAT(keys, IsOk());
  auto rotated = keys->Rotate(clock.Now());
  ASSERT_THAT(rotated, IsOk());
  clock.Advance(absl::Seconds(1));
  ASSERT_THAT(writer->Submit(Attempt(2)), IsOk());
  EXPECT_EQ(SigningKeys(*log_).back(), *rotated) << "the batch after the rotation";

  // Long after the old key's overlap, the writer still signs inside a window.
  clock.Advance(kRotationOverlap + absl::Minutes(5));
  ASSERT_THAT(writer->Submit(Attempt(3)), IsOk());
  EXPECT_EQ(SigningKeys(*log_).back(), *rotated);
  EXPECT_NE(first_key, *rotated);

  auto report = Verify();
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->stops.empty()) << report->stops.front().Describe();
}

// Rotations racing a writer on the real clock, many times: every record still
// verifies (none signed by a key outside its window).
TEST_F(EvidenceTest, RotationsRacingAWriterLeaveEveryRecordInsideItsKeysWindow) {
  std::unique_ptr<Writer> writer = OpenWriter(nullptr);
  ASSERT_NE(writer, nullptr);
  std::atomic<bool> done = false;
  std::atomic<int> rotations = 0;
  std::thread rotator([&] {
    while (!done) {
      auto keys = KeyStore::Open(dir_.Sub("keys"));
      if (keys.ok() && keys->Rotate(absl::Now()).ok()) ++rotations;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  int n = 0;
  // Until at least 20 rotations happened under the writer (bounded).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while ((rotations < 20 || n < 200) && std::chrono::steady_clock::now() < deadline) {
    ASSERT_THAT(writer->Submit(Attempt(n++)), IsOk());
  }
  done = true;
  rotator.join();
  ASSERT_GE(rotations.load(), 20);
  std::set<std::string> used;
  for (const std::string& key : SigningKeys(*log_)) used.insert(key);
  EXPECT_GT(used.size(), 2u) << "the writer followed the rotations";
  auto report = Verify();
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->stops.empty()) << report->stops.front().Describe();
}

TEST_F(EvidenceTest, ARevokedKeysRecordsFromTheRevocationOnFailAndEarlierOnesHold) {
  ManualClock clock(start_ + absl::Minutes(1));
  std::unique_ptr<Writer> writer = OpenWriter(&clock);
  ASSERT_NE(writer, nullptr);
  ASSERT_THAT(writer->Submit(Attempt(1)), IsOk());
  clock.Advance(absl::Minutes(10));
  const absl::Time compromised = clock.Now();
  ASSERT_THAT(writer->Submit(Attempt(2)), IsOk());  // signed after the compromise
  const std::vector<std::string> before = SigningKeys(*log_);

  auto keys = KeyStore::Open(dir_.Sub("keys"));
  ASSERT_THAT(keys, IsOk());
  auto active = keys->Active(clock.Now());
  ASSERT_THAT(active, IsOk());
  ASSERT_THAT(keys->Revoke(active->key_id, compromised, "laptop stolen", clock.Now()), IsOk());

  // The writer goes on with the key generated by the revocation.
  clock.Advance(absl::Seconds(1));
  ASSERT_THAT(writer->Submit(Attempt(3)), IsOk());
  EXPECT_NE(SigningKeys(*log_).back(), active->key_id);

  auto report = Verify();
  ASSERT_THAT(report, IsOk());
  ASSERT_EQ(report->stops.size(), 1u);
  EXPECT_THAT(report->stops[0].reason, FailsWith(events::FailureKind::kKeyRevoked));
  EXPECT_NE(report->stops[0].reason.message().find("laptop stolen"), std::string::npos);
  // Everything in that partition before the attempt signed after the
  // compromise verified: the genesis and the first attempt's record.
  auto reader = log_->OpenReader();
  ASSERT_THAT(reader, IsOk());
  std::uint64_t verified_before_stop = 0;
  auto counted = ScanLog(
      **reader, &keys->keyring(), 1,
      [&](std::int32_t partition, const events::VerifiedRecord& record) {
        if (partition == report->stops[0].partition && record.offset < report->stops[0].offset) {
          ++verified_before_stop;
        }
      });
  ASSERT_THAT(counted, IsOk());
  EXPECT_EQ(static_cast<std::int64_t>(verified_before_stop), report->stops[0].offset)
      << "every record before the revoked one still verifies";
}

TEST_F(EvidenceTest, CheckpointsAreAppendedOnTimeWhenIdle) {
  WriterOptions options;
  auto directory = std::make_shared<KeyDirectory>(dir_.Sub("keys"));
  options.key_at = [directory](absl::Time at) { return directory->KeyAt(at); };
  options.checkpoint_every = 0;  // never by count
  options.checkpoint_interval = std::chrono::milliseconds(50);
  auto writer = Writer::Open(log_.get(), std::move(options));
  ASSERT_THAT(writer, IsOk());
  ASSERT_THAT((*writer)->Submit(Attempt(1)), IsOk());
  // Then idle: a checkpoint must follow within the interval (bounded wait on
  // a busy machine).
  bool checkpointed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!checkpointed && std::chrono::steady_clock::now() < deadline) {
    for (const events::LogRecord& record : careledger::testing::ReadAll(*log_)) {
      if (record.key.rfind("checkpoint/", 0) == 0) checkpointed = true;
    }
    if (!checkpointed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(checkpointed) << "no checkpoint after the idle interval";
  auto report = Verify();
  ASSERT_THAT(report, IsOk());
  EXPECT_TRUE(report->stops.empty());
  EXPECT_GE(report->checkpoints, 1u);
}

TEST_F(EvidenceTest, AWriterRefusesALogShorterThanAWitness) {
  std::vector<events::PartitionDigest> heads;
  {
    WriterOptions options;
    auto directory = std::make_shared<KeyDirectory>(dir_.Sub("keys"));
    options.key_at = [directory](absl::Time at) { return directory->KeyAt(at); };
    options.checkpoint_interval = std::chrono::milliseconds(0);
    options.on_durable = [&](std::span<const events::PartitionDigest> digests) {
      heads.assign(digests.begin(), digests.end());
    };
    auto writer = Writer::Open(log_.get(), std::move(options));
    ASSERT_THAT(writer, IsOk());
    for (int n = 0; n < 5; ++n) ASSERT_THAT((*writer)->Submit(Attempt(n)), IsOk());
  }
  ASSERT_EQ(heads.size(), 2u) << "on_durable reported every partition";
  // The witnesses the writer reported hold against the log as it is...
  std::vector<Witness> witnesses;
  for (std::int32_t p = 0; p < 2; ++p) witnesses.push_back({p, heads[p], "test heads"});
  EXPECT_NE(OpenWriter(nullptr, witnesses), nullptr);
  // ...but one that saw a record more (lost since) refuses the writer.
  Witness further = witnesses[0];
  further.digest.Add(further.digest.last_offset + 1, events::Sha256("lost record"));
  WriterOptions options;
  options.key_at = [directory = std::make_shared<KeyDirectory>(dir_.Sub("keys"))](absl::Time at) {
    return directory->KeyAt(at);
  };
  options.witnesses = {further};
  EXPECT_THAT(Writer::Open(log_.get(), std::move(options)), StatusIs(absl::StatusCode::kDataLoss));
  // And one whose digest differs at an offset the log has (rewritten).
  Witness rewritten = witnesses[1];
  rewritten.digest.running[0] ^= 1;
  WriterOptions again;
  again.key_at = [directory = std::make_shared<KeyDirectory>(dir_.Sub("keys"))](absl::Time at) {
    return directory->KeyAt(at);
  };
  again.witnesses = {rewritten};
  auto refused = Writer::Open(log_.get(), std::move(again));
  EXPECT_THAT(refused, StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_NE(refused.status().message().find("rewritten"), std::string::npos) << refused.status();
}

TEST(EmbeddedLogStrictnessTest, OnlyCreateModeCreatesAndItCreatesOnce) {
  careledger::testing::TempDir dir;
  EXPECT_THAT(OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kOwner}),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("log"))) << "nothing was created";
  ASSERT_THAT(OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kCreate}), IsOk());
  EXPECT_THAT(OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kCreate}),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kOwner}), IsOk());
}

TEST(EmbeddedLogStrictnessTest, AMissingCurrentFileIsDataLossAndNothingIsWritten) {
  careledger::testing::TempDir dir;
  ASSERT_THAT(OpenEmbeddedLog({dir.Sub("log"), 2, EmbeddedLogMode::kCreate}), IsOk());
  std::filesystem::remove(dir.Sub("log") + "/CURRENT");
  std::set<std::string> before;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Sub("log"))) {
    before.insert(entry.path().filename().string());
  }
  for (EmbeddedLogMode mode : {EmbeddedLogMode::kOwner, EmbeddedLogMode::kFollower}) {
    auto log = OpenEmbeddedLog({dir.Sub("log"), 2, mode});
    EXPECT_THAT(log, StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_NE(log.status().message().find("CURRENT"), std::string::npos) << log.status();
  }
  std::set<std::string> after;
  for (const auto& entry : std::filesystem::directory_iterator(dir.Sub("log"))) {
    after.insert(entry.path().filename().string());
  }
  EXPECT_EQ(before, after) << "no new manifest or file was written";
}

}  // namespace
}  // namespace careledger::ledger
