// A test fixture for the projections: a 4-partition embedded log in a
// temporary directory, a writer, a signer, and builders for plan events that
// carry what a correct ledger would (right seq, prev_hash and draft_hash), so
// each test can then damage exactly one thing.
#ifndef CARELEDGER_TESTS_PROJECTIONS_PROJECTION_FIXTURE_H_
#define CARELEDGER_TESTS_PROJECTIONS_PROJECTION_FIXTURE_H_

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <google/protobuf/message.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan.pb.h"
#include "events/envelope.h"
#include "events/partition_digest.h"
#include "events/plan_sections.h"
#include "ledger/embedded_log.h"
#include "ledger/log.h"
#include "ledger/partitioner.h"
#include "projections/projection_store.h"
#include "projections/projector.h"
#include "tests/support/event_factory.h"
#include "tests/support/test_support.h"

namespace careledger::projections {

// A message as text, for comparing in tests with readable failures. (gtest's
// own protobuf printer trips a GCC 12 -Wrestrict false positive.)
inline std::string Text(const google::protobuf::Message& message) {
  return message.ShortDebugString();
}

// The n-th (0-based) valid NHS number of the synthetic 999 range.
inline std::string SyntheticNhsNumber(int n) {
  for (int serial = 0;; ++serial) {
    std::string digits = fmt::format("999{:06d}", serial);
    int sum = 0;
    for (int i = 0; i < 9; ++i) sum += (digits[i] - '0') * (10 - i);
    int check = 11 - sum % 11;
    if (check == 11) check = 0;
    if (check == 10) continue;  // no valid number with this serial
    if (n-- == 0) {
      digits.push_back(static_cast<char>('0' + check));
      return digits;
    }
  }
}

inline std::string PatientStream(const std::string& nhs_number) { return "patient/" + nhs_number; }

inline careledger::v1::Consent PatientConsent() {
  careledger::v1::Consent consent;
  consent.set_basis(careledger::v1::CONSENT_BASIS_PATIENT);
  consent.set_discussion("discussed with the patient at home");
  consent.mutable_obtained_on()->set_year(2024);
  consent.mutable_obtained_on()->set_month(3);
  consent.mutable_obtained_on()->set_day(12);
  return consent;
}

inline careledger::v1::PlanSectionValue DemographicsSection(const std::string& nhs_number,
                                                            const std::string& family_name) {
  careledger::v1::PlanSectionValue value;
  careledger::v1::Demographics* demographics = value.mutable_demographics();
  demographics->set_nhs_number(nhs_number);
  demographics->set_given_name("Ada");
  demographics->set_family_name(family_name);
  demographics->set_postcode("SE1 7EH");
  return value;
}

inline careledger::v1::PlanSectionValue ResuscitationSection(const std::string& decision) {
  careledger::v1::PlanSectionValue value;
  value.mutable_resuscitation()->set_discussed(true);
  value.mutable_resuscitation()->set_decision(decision);
  value.mutable_resuscitation()->set_summary("discussed with patient and family");
  return value;
}

class ProjectionTest : public ::testing::Test {
 protected:
  static constexpr std::int32_t kPartitions = 4;

  void SetUp() override {
    CL_ASSERT_OK_AND_ASSIGN(log_, ledger::OpenEmbeddedLog({dir_.Sub("log"), kPartitions}));
    CL_ASSERT_OK_AND_ASSIGN(writer_, log_->OpenWriter("projection-test"));
  }

  // The k-th synthetic NHS number whose plan stream lives in `partition`.
  static std::string NhsNumberInPartition(std::int32_t partition, int k = 0) {
    for (int n = 0;; ++n) {
      std::string nhs_number = SyntheticNhsNumber(n);
      if (ledger::PartitionForKey(PatientStream(nhs_number), kPartitions) == partition &&
          k-- == 0) {
        return nhs_number;
      }
    }
  }

  // Appends `value` as a record of `stream`, in the stream's partition.
  ledger::LogPosition AppendRaw(const std::string& stream, const std::string& value) {
    const ledger::AppendRecord record{ledger::PartitionForKey(stream, kPartitions), stream, value};
    absl::StatusOr<std::vector<ledger::LogPosition>> positions =
        writer_->Append(std::span(&record, 1));
    if (!positions.ok()) {
      ADD_FAILURE() << positions.status();
      return {};
    }
    digests_[record.partition].Add(positions->front().offset, events::Sha256(value));
    return positions->front();
  }

  // Seals `event` (advancing its stream in the factory) and appends it.
  ledger::LogPosition Append(const careledger::v1::Event& event) {
    return AppendRaw(event.stream_id(), factory_.Seal(event));
  }

  // The next event of a patient's plan stream, body to be set.
  careledger::v1::Event NextPlanEvent(const std::string& nhs_number) {
    return factory_.NextEvent(PatientStream(nhs_number));
  }

  // The plan events a correct ledger writes. The fixture keeps each plan's
  // draft as the ledger does, so approvals carry the right draft_hash.
  ledger::LogPosition StartPlan(const std::string& nhs_number) {
    careledger::v1::Event event = NextPlanEvent(nhs_number);
    event.mutable_plan_started()->set_nhs_number(nhs_number);
    *event.mutable_plan_started()->mutable_consent() = PatientConsent();
    careledger::v1::CarePlan& draft = drafts_[nhs_number];
    *draft.mutable_consent() = PatientConsent();
    draft.mutable_demographics()->set_nhs_number(nhs_number);
    return Append(event);
  }

  ledger::LogPosition UpdateSection(const std::string& nhs_number,
                                    const careledger::v1::PlanSectionValue& value) {
    careledger::v1::Event event = NextPlanEvent(nhs_number);
    *event.mutable_plan_section_updated()->mutable_value() = value;
    EXPECT_TRUE(events::SetSection(value, &drafts_[nhs_number]).ok());
    return Append(event);
  }

  ledger::LogPosition Approve(const std::string& nhs_number) {
    return ApproveAs(nhs_number, ++published_[nhs_number], drafts_[nhs_number]);
  }

  // An approval of `version` stating that `content` is what is published.
  ledger::LogPosition ApproveAs(const std::string& nhs_number, std::uint64_t version,
                                const careledger::v1::CarePlan& content) {
    careledger::v1::Event event = NextPlanEvent(nhs_number);
    event.mutable_plan_approved()->set_version(version);
    event.mutable_plan_approved()->set_draft_hash(
        events::HashBytes(events::Sha256(events::SerializeDeterministic(content))));
    return Append(event);
  }

  // Started, two sections, approved, edited, approved again: 6 records.
  void WriteWholePlan(const std::string& nhs_number) {
    StartPlan(nhs_number);
    UpdateSection(nhs_number, DemographicsSection(nhs_number, "Lovelace"));
    UpdateSection(nhs_number, ResuscitationSection("for CPR"));
    Approve(nhs_number);
    UpdateSection(nhs_number, ResuscitationSection("not for CPR"));
    Approve(nhs_number);
  }

  // A signed checkpoint of `partition` stating everything appended so far.
  ledger::LogPosition AppendCheckpoint(std::int32_t partition) {
    careledger::v1::Event event =
        factory_.NextEvent(ledger::CheckpointStreamId(partition, kPartitions));
    *event.mutable_checkpoint() = digests_[partition].ToCheckpoint(partition);
    return Append(event);
  }

  std::unique_ptr<ProjectionStore> OpenStore(const std::string& name) {
    absl::StatusOr<std::unique_ptr<ProjectionStore>> store = ProjectionStore::Open(dir_.Sub(name));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  static ProjectorOptions Options(int threads = 2, std::size_t batch_records = 2000) {
    ProjectorOptions options;
    options.verify_threads = threads;
    options.batch_records = batch_records;
    options.read_wait = std::chrono::milliseconds(0);
    return options;
  }

  // One CatchUp of `store` with a fresh reader and projector, as a restarted
  // process would run it.
  absl::StatusOr<ProjectionReport> Project(ProjectionStore* store,
                                           const ProjectorOptions& options = Options()) {
    absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = log_->OpenReader();
    if (!reader.ok()) return reader.status();
    Projector projector(reader->get(), store, &signer_.keyring, options);
    return projector.CatchUp();
  }

  static std::string Fingerprint(const ProjectionStore& store) {
    absl::StatusOr<events::Hash> fingerprint = store.Fingerprint();
    EXPECT_TRUE(fingerprint.ok()) << fingerprint.status();
    return fingerprint.ok() ? events::HashHex(*fingerprint) : "";
  }

  careledger::testing::TempDir dir_;
  std::unique_ptr<ledger::Log> log_;
  std::unique_ptr<ledger::LogWriter> writer_;
  careledger::testing::TestSigner signer_ = careledger::testing::MakeTestSigner();
  careledger::testing::EventFactory factory_{signer_.key_id, signer_.key};
  std::map<std::string, careledger::v1::CarePlan> drafts_;   // as the ledger keeps them
  std::map<std::string, std::uint64_t> published_;           // last approved version
  std::map<std::int32_t, events::PartitionDigest> digests_;  // of everything appended
};

}  // namespace careledger::projections

#endif  // CARELEDGER_TESTS_PROJECTIONS_PROJECTION_FIXTURE_H_
