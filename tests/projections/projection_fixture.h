// A test fixture for the projections: a 4-partition embedded log in a
// temporary directory, a writer, a signer, and builders for plan, directory
// and access events that carry what a correct ledger would (right seq,
// prev_hash and draft_hash; the fixture folds each plan stream with
// events::FoldPlanEvent as the ledger does), so each test can then damage
// exactly one thing. Events built here are recorded one second apart on a
// fixed clock, by the actor `acting_`.
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

#include "careledger/v1/access.pb.h"
#include "careledger/v1/directory.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan.pb.h"
#include "careledger/v1/plan_state.pb.h"
#include "events/envelope.h"
#include "events/partition_digest.h"
#include "events/plan_fold.h"
#include "events/plan_sections.h"
#include "ledger/embedded_log.h"
#include "ledger/log.h"
#include "ledger/partitioner.h"
#include "projections/projection_store.h"
#include "projections/projector.h"
#include "tests/support/event_factory.h"
#include "tests/support/read_log.h"
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

inline std::string PatientStream(const std::string& nhs_number) {
  return fmt::format("patient/{}", nhs_number);
}

inline careledger::v1::Date MakeDate(int year, int month, int day) {
  careledger::v1::Date date;
  date.set_year(year);
  date.set_month(month);
  date.set_day(day);
  return date;
}

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

inline careledger::v1::PlanSectionValue GpSection(const std::string& nhs_number,
                                                  const std::string& gp_practice_ods) {
  careledger::v1::PlanSectionValue value = DemographicsSection(nhs_number, "Lovelace");
  value.mutable_demographics()->set_gp_practice_ods(gp_practice_ods);
  return value;
}

inline careledger::v1::PlanSectionValue ResuscitationSection(careledger::v1::CprDecision decision) {
  careledger::v1::PlanSectionValue value;
  value.mutable_resuscitation()->set_discussed(true);
  value.mutable_resuscitation()->set_decision(decision);
  value.mutable_resuscitation()->set_summary("discussed with patient and family");
  return value;
}

class ProjectionTest : public ::testing::Test {
 protected:
  static constexpr std::int32_t kPartitions = 4;
  // Every log begins with one genesis record per partition (SetUp).
  static constexpr std::uint64_t kGeneses = kPartitions;

  void SetUp() override {
    CL_ASSERT_OK_AND_ASSIGN(log_, ledger::OpenEmbeddedLog({dir_.Sub("log"), kPartitions,
                                                           ledger::EmbeddedLogMode::kCreate}));
    careledger::testing::WriteTestGenesis(*log_, signer_);
    for (const events::LogRecord& genesis : careledger::testing::ReadAll(*log_)) {
      digests_[genesis.partition].Add(genesis.offset, events::Sha256(genesis.value));
    }
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

  // The k-th serving node whose access stream "access/<node>" lives in
  // `partition`.
  static std::string NodeInPartition(std::int32_t partition, int k = 0) {
    for (int n = 0;; ++n) {
      std::string node = fmt::format("node-{}", n);
      if (ledger::PartitionForKey(fmt::format("access/{}", node), kPartitions) == partition &&
          k-- == 0) {
        return node;
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

  // Seals `event` (advancing its stream in the factory) and appends it. A
  // plan event is also folded into the plan as the ledger keeps it (a
  // refused one changes nothing there).
  ledger::LogPosition Append(const careledger::v1::Event& event) {
    const std::string& stream = event.stream_id();
    if (stream.starts_with(events::kPatientStreamPrefix) && events::IsPlanEvent(event)) {
      const std::string nhs_number = stream.substr(events::kPatientStreamPrefix.size());
      (void)events::FoldPlanEvent(event, &ledger_plans_[nhs_number]);
    }
    return AppendRaw(event.stream_id(), factory_.Seal(event));
  }

  // The next event of `stream`, recorded one second after the last one the
  // fixture built, by `acting_`; its body (a PlanStarted) is to be replaced.
  careledger::v1::Event NextEventOn(const std::string& stream) {
    clock_ += absl::Seconds(1);
    careledger::v1::Event event = factory_.NextEvent(stream, clock_);
    *event.mutable_actor() = acting_;
    return event;
  }

  // The next event of a patient's plan stream, body to be set.
  careledger::v1::Event NextPlanEvent(const std::string& nhs_number) {
    return NextEventOn(PatientStream(nhs_number));
  }

  // Appends the next event of `nhs_number`'s plan stream after `set_body`.
  template <typename SetBody>
  ledger::LogPosition AppendPlanEvent(const std::string& nhs_number, SetBody set_body) {
    careledger::v1::Event event = NextPlanEvent(nhs_number);
    set_body(&event);
    return Append(event);
  }

  // The acting user from now on.
  void ActAs(const std::string& user_id, careledger::v1::Role role,
             const std::string& organisation = "") {
    acting_.set_user_id(user_id);
    acting_.set_role(role);
    acting_.set_organisation(organisation);
  }

  // The plan events a correct ledger writes.
  ledger::LogPosition StartPlan(const std::string& nhs_number) {
    return AppendPlanEvent(nhs_number, [&](careledger::v1::Event* event) {
      event->mutable_plan_started()->set_nhs_number(nhs_number);
      *event->mutable_plan_started()->mutable_consent() = PatientConsent();
    });
  }

  ledger::LogPosition UpdateSection(const std::string& nhs_number,
                                    const careledger::v1::PlanSectionValue& value) {
    return AppendPlanEvent(nhs_number, [&](careledger::v1::Event* event) {
      *event->mutable_plan_section_updated()->mutable_value() = value;
    });
  }

  ledger::LogPosition Submit(const std::string& nhs_number, const std::string& to_user,
                             const std::string& to_organisation, const std::string& note = "") {
    return AppendPlanEvent(nhs_number, [&](careledger::v1::Event* event) {
      event->mutable_plan_submitted()->set_to_user(to_user);
      event->mutable_plan_submitted()->set_to_organisation(to_organisation);
      event->mutable_plan_submitted()->set_note(note);
    });
  }

  // Approves the working draft as the next version, with its content hash.
  ledger::LogPosition Approve(const std::string& nhs_number) {
    const careledger::v1::PlanState& plan = ledger_plans_[nhs_number];
    return ApproveAs(nhs_number, plan.published_version() + 1, plan.draft());
  }

  // An approval of `version` stating that `content` is what is published.
  ledger::LogPosition ApproveAs(const std::string& nhs_number, std::uint64_t version,
                                const careledger::v1::CarePlan& content) {
    return AppendPlanEvent(nhs_number, [&](careledger::v1::Event* event) {
      event->mutable_plan_approved()->set_version(version);
      event->mutable_plan_approved()->set_draft_hash(
          events::HashBytes(events::PlanContentHash(content)));
    });
  }

  ledger::LogPosition DiscardDraft(const std::string& nhs_number) {
    return AppendPlanEvent(nhs_number, [](careledger::v1::Event* event) {
      event->mutable_draft_discarded()->set_reason("not needed");
    });
  }

  ledger::LogPosition Review(const std::string& nhs_number, const careledger::v1::Date& next) {
    return AppendPlanEvent(nhs_number, [&](careledger::v1::Event* event) {
      *event->mutable_plan_reviewed()->mutable_next_review_on() = next;
      event->mutable_plan_reviewed()->set_note("reviewed with the patient");
    });
  }

  ledger::LogPosition RecordDeath(const std::string& nhs_number) {
    return AppendPlanEvent(nhs_number, [](careledger::v1::Event* event) {
      *event->mutable_death_recorded()->mutable_died_on() = MakeDate(2024, 6, 1);
      event->mutable_death_recorded()->set_place("home");
      event->mutable_death_recorded()->set_preferred_place_met(
          careledger::v1::PREFERRED_PLACE_MET_FIRST);
    });
  }

  ledger::LogPosition WithdrawConsent(const std::string& nhs_number) {
    return AppendPlanEvent(nhs_number, [](careledger::v1::Event* event) {
      *event->mutable_consent_withdrawn()->mutable_withdrawn_on() = MakeDate(2024, 5, 2);
      event->mutable_consent_withdrawn()->set_note("the patient asked");
    });
  }

  ledger::LogPosition Restrict(const std::string& nhs_number,
                               const std::vector<std::string>& allowed_users) {
    return AppendPlanEvent(nhs_number, [&](careledger::v1::Event* event) {
      for (const std::string& user : allowed_users) {
        event->mutable_restriction_set()->add_allowed_users(user);
      }
      event->mutable_restriction_set()->set_reason("member of staff");
    });
  }

  ledger::LogPosition LiftRestriction(const std::string& nhs_number) {
    return AppendPlanEvent(nhs_number, [](careledger::v1::Event* event) {
      event->mutable_restriction_lifted()->set_reason("the patient agreed");
    });
  }

  ledger::LogPosition AddNote(const std::string& nhs_number, const std::string& text) {
    return AppendPlanEvent(nhs_number, [&](careledger::v1::Event* event) {
      event->mutable_urgent_care_note_added()->set_text(text);
    });
  }

  // A myCMC request; returns its id (the command id of the event).
  std::string MakeRequest(const std::string& nhs_number, careledger::v1::PatientRequestKind kind,
                          const std::string& text) {
    careledger::v1::Event event = NextPlanEvent(nhs_number);
    event.mutable_patient_request_made()->set_kind(kind);
    event.mutable_patient_request_made()->set_text(text);
    Append(event);
    return event.command_id();
  }

  ledger::LogPosition ResolveRequest(
      const std::string& nhs_number, const std::string& request_id,
      careledger::v1::RequestResolution resolution = careledger::v1::REQUEST_RESOLUTION_RESOLVED) {
    return AppendPlanEvent(nhs_number, [&](careledger::v1::Event* event) {
      event->mutable_patient_request_resolved()->set_request_id(request_id);
      event->mutable_patient_request_resolved()->set_resolution(resolution);
      event->mutable_patient_request_resolved()->set_note("done");
    });
  }

  // Started, two sections, approved, edited, approved again: 6 records.
  void WriteWholePlan(const std::string& nhs_number) {
    StartPlan(nhs_number);
    UpdateSection(nhs_number, DemographicsSection(nhs_number, "Lovelace"));
    UpdateSection(nhs_number, ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));
    Approve(nhs_number);
    UpdateSection(nhs_number, ResuscitationSection(careledger::v1::CPR_DECISION_NOT_FOR_CPR));
    Approve(nhs_number);
  }

  // Directory events, on the streams that name their subjects.
  ledger::LogPosition RecordOrganisation(const careledger::v1::Organisation& organisation) {
    careledger::v1::Event event =
        NextEventOn(fmt::format("directory/org/{}", organisation.ods_code()));
    *event.mutable_organisation_recorded()->mutable_organisation() = organisation;
    return Append(event);
  }

  ledger::LogPosition RecordUser(const careledger::v1::User& user) {
    careledger::v1::Event event = NextEventOn(fmt::format("directory/user/{}", user.user_id()));
    *event.mutable_user_recorded()->mutable_user() = user;
    return Append(event);
  }
  // A user of `organisation` named `name` (by the acting user).
  ledger::LogPosition RecordUser(const std::string& user_id, const std::string& organisation,
                                 const std::string& name) {
    careledger::v1::User user;
    user.set_user_id(user_id);
    user.set_organisation(organisation);
    user.set_name(name);
    return RecordUser(user);
  }

  ledger::LogPosition ChangeUserStatus(const std::string& user_id,
                                       careledger::v1::UserStatus status) {
    careledger::v1::Event event = NextEventOn(fmt::format("directory/user/{}", user_id));
    event.mutable_user_status_changed()->set_user_id(user_id);
    event.mutable_user_status_changed()->set_status(status);
    event.mutable_user_status_changed()->set_reason("leaver");
    return Append(event);
  }

  ledger::LogPosition RecordDevice(const careledger::v1::Device& device) {
    careledger::v1::Event event =
        NextEventOn(fmt::format("directory/device/{}", device.device_id()));
    *event.mutable_device_recorded()->mutable_device() = device;
    return Append(event);
  }

  // A granted read of `nhs_number`'s published plan: `version`, as of the
  // plan stream's record `stream_seq`, whose content hashes to `content_hash`.
  static careledger::v1::AccessRecorded PublishedRead(const std::string& nhs_number,
                                                      std::uint64_t version,
                                                      std::uint64_t stream_seq,
                                                      const std::string& content_hash) {
    careledger::v1::AccessRecorded read;
    read.set_action("view_plan");
    read.set_subject(PatientStream(nhs_number));
    read.set_nhs_number(nhs_number);
    read.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
    read.set_view(careledger::v1::PLAN_VIEW_PUBLISHED);
    read.set_version(version);
    read.set_stream_seq(stream_seq);
    read.set_content_hash(content_hash);
    return read;
  }

  // An access record appended by serving node `node` (stream "access/<node>").
  ledger::LogPosition RecordAccess(const std::string& node,
                                   const careledger::v1::AccessRecorded& access) {
    careledger::v1::Event event = NextEventOn(fmt::format("access/{}", node));
    *event.mutable_access_recorded() = access;
    return Append(event);
  }

  // The working draft as the ledger keeps it.
  const careledger::v1::CarePlan& Draft(const std::string& nhs_number) {
    return ledger_plans_[nhs_number].draft();
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
  std::map<std::string, careledger::v1::PlanState> ledger_plans_;  // as the ledger folds them
  std::map<std::int32_t, events::PartitionDigest> digests_;        // of everything appended
  absl::Time clock_ = absl::FromUnixSeconds(1710234000);           // 2024-03-12 09:00 UTC
  careledger::v1::Actor acting_ = [] {
    careledger::v1::Actor actor;
    actor.set_user_id("test-user");
    actor.set_role(careledger::v1::ROLE_CLINICIAN);
    return actor;
  }();
};

}  // namespace careledger::projections

#endif  // CARELEDGER_TESTS_PROJECTIONS_PROJECTION_FIXTURE_H_
