// Proves the projector's contract: resuming equals a clean rebuild byte for
// byte; an untrusted record (flipped bit, unknown or expired key, duplicate,
// gap) stops exactly its partition at exactly that record, with everything
// before it applied, nothing from it or after it, the same stop on every
// rerun, and the other partitions going on; parallel verification changes no
// byte; and following the log applies records as they arrive.
#include "projections/projector.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "projections/directory_queries.h"
#include "projections/plan_queries.h"
#include "projections/progress.h"
#include "projections/worklist.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::projections {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using careledger::v1::PlanRecord;
using careledger::v1::PublishedVersion;

class ProjectorTest : public ProjectionTest {
 protected:
  // Projects the log into `store`, expecting exactly one stop, and checks it.
  void ExpectOneStop(ProjectionStore* store, std::int32_t partition, std::int64_t offset,
                     const std::string& stream, events::FailureKind kind) {
    CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, Project(store));
    ASSERT_EQ(report.stops.size(), 1u);
    const PartitionStop& stop = report.stops.front();
    EXPECT_EQ(stop.partition, partition);
    EXPECT_EQ(stop.offset, offset);
    EXPECT_EQ(stop.stream_id, stream);
    EXPECT_EQ(stop.failure, kind) << stop.reason;
    EXPECT_NE(stop.reason.find(fmt::format("offset {}", offset)), std::string::npos);
    EXPECT_EQ(report.next_offsets[partition], offset);
    CL_ASSERT_OK_AND_ASSIGN(std::vector<PartitionStop> stored, ReadStops(*store));
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0], stop);
  }

  // The plan and versions of every patient in `nhs_numbers`, as bytes.
  static std::string PlansOf(const ProjectionStore& store,
                             const std::vector<std::string>& nhs_numbers) {
    PlanQueries queries(&store);
    std::string state;
    for (const std::string& nhs_number : nhs_numbers) {
      absl::StatusOr<PlanRecord> plan = queries.GetPlan(nhs_number);
      state += plan.ok() ? events::SerializeDeterministic(*plan) : "<none>";
      absl::StatusOr<std::vector<PublishedVersion>> versions = queries.ListVersions(nhs_number);
      EXPECT_THAT(versions, IsOk());
      if (!versions.ok()) continue;
      for (const PublishedVersion& version : *versions) {
        state += events::SerializeDeterministic(version);
      }
    }
    return state;
  }
};

TEST_F(ProjectorTest, ResumingEqualsACleanRebuild) {
  std::vector<std::string> patients;
  for (std::int32_t p = 0; p < kPartitions; ++p) {
    for (int k = 0; k < 3; ++k) patients.push_back(NhsNumberInPartition(p, k));
  }
  // First half: every plan started and edited, some approved.
  for (std::size_t i = 0; i < patients.size(); ++i) {
    StartPlan(patients[i]);
    UpdateSection(patients[i], DemographicsSection(patients[i], "Nightingale"));
    if (i % 2 == 0) Approve(patients[i]);
  }
  std::unique_ptr<ProjectionStore> resumed = OpenStore("resumed");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport first, Project(resumed.get()));
  EXPECT_TRUE(first.stops.empty());
  EXPECT_EQ(first.records_applied, kGeneses + 30u);
  resumed.reset();  // as if the process ended

  // Second half: the same streams go on (their heads come from the store),
  // and new ones begin.
  for (const std::string& nhs_number : patients) {
    UpdateSection(nhs_number, ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));
    Approve(nhs_number);
  }
  const std::string late = NhsNumberInPartition(2, 5);
  patients.push_back(late);
  WriteWholePlan(late);

  resumed = OpenStore("resumed");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport second,
                          Project(resumed.get(), Options(/*threads=*/2, /*batch_records=*/5)));
  EXPECT_TRUE(second.stops.empty());
  EXPECT_EQ(second.records_applied, 24u + 6u);

  std::unique_ptr<ProjectionStore> clean = OpenStore("clean");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport rebuilt, Project(clean.get()));
  EXPECT_TRUE(rebuilt.stops.empty());
  EXPECT_EQ(rebuilt.records_applied, kGeneses + 60u);
  EXPECT_EQ(Fingerprint(*resumed), Fingerprint(*clean));
  EXPECT_EQ(second.next_offsets, rebuilt.next_offsets);

  CL_ASSERT_OK_AND_ASSIGN(PlanRecord plan, PlanQueries(resumed.get()).GetPlan(patients[1]));
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_PUBLISHED);
  EXPECT_EQ(plan.state().published_version(), 1u);
  EXPECT_EQ(Text(plan.state().published()), Text(Draft(patients[1])));
}

// A replay to an instant (careledger project --until): each partition ends
// at its own first record after the instant, and the store equals a rebuild
// to the offsets the replay ended at, however it was batched.
TEST_F(ProjectorTest, AReplayToAnInstantEqualsARebuildToTheOffsetsItEndedAt) {
  std::vector<std::string> patients;
  for (std::int32_t p = 0; p < kPartitions; ++p) patients.push_back(NhsNumberInPartition(p));
  for (const std::string& nhs_number : patients) WriteWholePlan(nhs_number);
  const absl::Time instant = clock_;
  // After the instant: partition 0 goes on, and a plan begins in partition 3.
  UpdateSection(patients[0], ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));
  const std::string late = NhsNumberInPartition(3, 1);
  WriteWholePlan(late);

  std::unique_ptr<ProjectionStore> whole = OpenStore("whole");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport all, Project(whole.get()));
  for (const std::size_t batch : {2000u, 3u}) {
    ProjectorOptions until = Options(/*threads=*/2, batch);
    until.until = instant;
    std::unique_ptr<ProjectionStore> replay = OpenStore(fmt::format("replay-{}", batch));
    CL_ASSERT_OK_AND_ASSIGN(ProjectionReport replayed, Project(replay.get(), until));
    EXPECT_TRUE(replayed.stops.empty());
    EXPECT_LT(replayed.next_offsets[0], all.next_offsets[0]);
    EXPECT_EQ(replayed.next_offsets[1], all.next_offsets[1]);
    EXPECT_EQ(replayed.next_offsets[2], all.next_offsets[2]);
    EXPECT_LT(replayed.next_offsets[3], all.next_offsets[3]);
    EXPECT_EQ(PlansOf(*replay, patients).find("<none>"), std::string::npos);
    EXPECT_EQ(PlansOf(*replay, {late}), "<none>");

    ProjectorOptions to_offsets = Options(/*threads=*/2, batch);
    to_offsets.end_offsets = replayed.next_offsets;
    std::unique_ptr<ProjectionStore> rebuilt = OpenStore(fmt::format("rebuilt-{}", batch));
    CL_ASSERT_OK_AND_ASSIGN(ProjectionReport again, Project(rebuilt.get(), to_offsets));
    EXPECT_EQ(again.next_offsets, replayed.next_offsets);
    EXPECT_EQ(Fingerprint(*rebuilt), Fingerprint(*replay)) << "batches of " << batch;
    EXPECT_NE(Fingerprint(*rebuilt), Fingerprint(*whole));
  }
}

TEST_F(ProjectorTest, WholeDomainRebuildIsByteIdenticalHoweverItIsBatched) {
  // Directory, plans through every lifecycle, requests, submissions and
  // access records from two serving nodes, spread over every partition.
  ActAs("auditor-1", careledger::v1::ROLE_AUDITOR, "CMC");
  for (const std::string ods : {"RYJ", "G85001", "RRU"}) {
    careledger::v1::Organisation organisation;
    organisation.set_ods_code(ods);
    RecordOrganisation(organisation);
  }
  for (const std::string id : {"dr-a", "admin-b", "crew-c"}) {
    careledger::v1::User user;
    user.set_user_id(id);
    user.set_organisation("RYJ");
    RecordUser(user);
  }
  ChangeUserStatus("admin-b", careledger::v1::USER_STATUS_SUSPENDED);
  careledger::v1::Device device;
  device.set_device_id("ipad-1");
  RecordDevice(device);

  std::vector<std::string> patients;
  for (int i = 0; i < 8; ++i) {
    const std::string nhs = SyntheticNhsNumber(i);
    patients.push_back(nhs);
    ActAs("admin-b", careledger::v1::ROLE_ADMINISTRATOR, i % 2 ? "G85001" : "RYJ");
    if (i % 4 == 3) MakeRequest(nhs, careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN, "start");
    StartPlan(nhs);
    UpdateSection(nhs, GpSection(nhs, "G85001"));
    Submit(nhs, "dr-a", "RYJ");
    if (i % 4 == 0) continue;  // left awaiting approval
    ActAs("dr-a", careledger::v1::ROLE_CLINICIAN, "RYJ");
    Approve(nhs);
    careledger::v1::AccessRecorded read;
    read.set_nhs_number(nhs);
    read.set_outcome(i % 3 ? careledger::v1::ACCESS_OUTCOME_GRANTED
                           : careledger::v1::ACCESS_OUTCOME_DENIED);
    ActAs("crew-c", careledger::v1::ROLE_URGENT_CARE, "RRU");
    RecordAccess(NodeInPartition(i % kPartitions), read);
    ActAs("dr-a", careledger::v1::ROLE_CLINICIAN, "RYJ");
    if (i % 4 == 1) UpdateSection(nhs, ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));
    if (i % 4 == 2) RecordDeath(nhs);
  }
  for (std::int32_t p = 0; p < kPartitions; ++p) AppendCheckpoint(p);

  std::unique_ptr<ProjectionStore> clean = OpenStore("clean");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport rebuilt, Project(clean.get()));
  EXPECT_TRUE(rebuilt.stops.empty());
  const std::string fingerprint = Fingerprint(*clean);

  for (const std::size_t batch : {std::size_t{1}, std::size_t{3}, std::size_t{17}}) {
    std::unique_ptr<ProjectionStore> batched = OpenStore(fmt::format("batched-{}", batch));
    CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report,
                            Project(batched.get(), Options(/*threads=*/2, batch)));
    EXPECT_TRUE(report.stops.empty());
    EXPECT_EQ(report.records_applied, rebuilt.records_applied);
    EXPECT_EQ(Fingerprint(*batched), fingerprint) << "batches of " << batch;
  }

  // Something of every family is there.
  PlanQueries queries(clean.get());
  CL_ASSERT_OK_AND_ASSIGN(std::vector<careledger::v1::WorklistItem> dr_a,
                          queries.ListWorklist(UserWorklist("dr-a")));
  EXPECT_EQ(dr_a.size(), 2u);  // patients 0 and 4 await approval
  CL_ASSERT_OK_AND_ASSIGN(std::vector<careledger::v1::HistoryEntry> history,
                          queries.ListHistory(patients[1]));
  EXPECT_EQ(history.size(), 6u);  // start, update, submit, approve, read, update
  CL_ASSERT_OK_AND_ASSIGN(careledger::v1::PlanRecord closed, queries.GetPlan(patients[2]));
  EXPECT_EQ(closed.status(), careledger::v1::PLAN_STATUS_CLOSED);
  CL_ASSERT_OK_AND_ASSIGN(careledger::v1::DirectoryUser crew,
                          DirectoryQueries(clean.get()).GetUser("crew-c"));
  EXPECT_TRUE(crew.has_last_activity());
}

TEST_F(ProjectorTest, ProjectingWhenCaughtUpChangesNothing) {
  for (int k = 0; k < 4; ++k) WriteWholePlan(NhsNumberInPartition(k % kPartitions, k));
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport first, Project(store.get()));
  EXPECT_EQ(first.records_applied, kGeneses + 24u);
  const std::string fingerprint = Fingerprint(*store);

  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport again, Project(store.get()));
  EXPECT_EQ(again.records_applied, 0u);
  EXPECT_TRUE(again.stops.empty());
  EXPECT_EQ(again.next_offsets, first.next_offsets);
  EXPECT_EQ(Fingerprint(*store), fingerprint);
}

TEST_F(ProjectorTest, CorruptRecordStopsItsPartitionOnly) {
  const std::string damaged = NhsNumberInPartition(0, 0);
  const std::string later_in_same = NhsNumberInPartition(0, 1);
  const std::string other = NhsNumberInPartition(1, 0);
  StartPlan(damaged);
  UpdateSection(damaged, DemographicsSection(damaged, "Franklin"));
  StartPlan(other);
  // The approval is stored with one bit flipped in its signature (the last
  // field of SignedEvent, so the last byte of the value).
  careledger::v1::Event approval = NextPlanEvent(damaged);
  approval.mutable_plan_approved()->set_version(1);
  std::string value = factory_.Seal(approval);
  value.back() ^= 0x01;
  const ledger::LogPosition bad = AppendRaw(PatientStream(damaged), value);
  StartPlan(later_in_same);
  UpdateSection(other, DemographicsSection(other, "Curie"));
  Approve(other);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ExpectOneStop(store.get(), 0, bad.offset, PatientStream(damaged),
                events::FailureKind::kBadSignature);

  // Everything before the bad record is applied; nothing from it or after it
  // in partition 0; partition 1 is complete.
  PlanQueries queries(store.get());
  CL_ASSERT_OK_AND_ASSIGN(PlanRecord plan, queries.GetPlan(damaged));
  EXPECT_EQ(plan.status(), careledger::v1::PLAN_STATUS_DRAFT);
  EXPECT_EQ(plan.last_event().stream_seq(), 2u);
  CL_ASSERT_OK_AND_ASSIGN(std::vector<PublishedVersion> versions, queries.ListVersions(damaged));
  EXPECT_TRUE(versions.empty());
  EXPECT_THAT(queries.GetPlan(later_in_same), StatusIs(absl::StatusCode::kNotFound));
  CL_ASSERT_OK_AND_ASSIGN(events::StreamHead head, ReadStreamHead(*store, PatientStream(damaged)));
  EXPECT_EQ(head.seq, 2u);
  CL_ASSERT_OK_AND_ASSIGN(PlanRecord other_plan, queries.GetPlan(other));
  EXPECT_EQ(other_plan.status(), careledger::v1::PLAN_STATUS_PUBLISHED);
  CL_ASSERT_OK_AND_ASSIGN(std::vector<PartitionProgress> progress, ReadProgress(*store, 4));
  EXPECT_EQ(progress[0].next_offset, bad.offset);
  EXPECT_EQ(progress[0].digest.last_offset, bad.offset - 1);
  EXPECT_EQ(progress[1].next_offset, 1 + 3);  // its genesis and three records

  // A rerun stops at the same record and changes nothing; new records of the
  // other partition are still applied.
  const std::string stopped = Fingerprint(*store);
  ExpectOneStop(store.get(), 0, bad.offset, PatientStream(damaged),
                events::FailureKind::kBadSignature);
  EXPECT_EQ(Fingerprint(*store), stopped);
  UpdateSection(other, ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));
  ExpectOneStop(store.get(), 0, bad.offset, PatientStream(damaged),
                events::FailureKind::kBadSignature);
  CL_ASSERT_OK_AND_ASSIGN(other_plan, queries.GetPlan(other));
  EXPECT_EQ(other_plan.status(), careledger::v1::PLAN_STATUS_EDITING);
  CL_ASSERT_OK_AND_ASSIGN(plan, queries.GetPlan(damaged));
  EXPECT_EQ(plan.last_event().stream_seq(), 2u);

  // The stopped store holds exactly what a log without the bad record and its
  // successors in partition 0 projects to.
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::Log> prefix_log,
                          ledger::OpenEmbeddedLog({dir_.Sub("prefix-log"), kPartitions,
                                                   ledger::EmbeddedLogMode::kCreate}));
  {
    CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::LogWriter> writer,
                            prefix_log->OpenWriter("copy"));
    CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::LogReader> reader, log_->OpenReader());
    CL_ASSERT_OK_AND_ASSIGN(ledger::ReadBatch all,
                            reader->Read(1000, std::chrono::milliseconds(0)));
    ASSERT_TRUE(all.caught_up);
    std::vector<ledger::AppendRecord> kept;
    for (const events::LogRecord& record : all.records) {
      if (record.partition == 0 && record.offset >= bad.offset) continue;
      kept.push_back(ledger::AppendRecord{record.partition, record.key, record.value});
    }
    ASSERT_THAT(writer->Append(kept), IsOk());
  }
  std::unique_ptr<ProjectionStore> prefix = OpenStore("prefix");
  {
    CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::LogReader> reader, prefix_log->OpenReader());
    Projector projector(reader.get(), prefix.get(), &signer_.keyring, Options());
    CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, projector.CatchUp());
    EXPECT_TRUE(report.stops.empty());
  }
  const std::vector<std::string> patients = {damaged, later_in_same, other};
  EXPECT_EQ(PlansOf(*store, patients), PlansOf(*prefix, patients));
  for (const std::string& nhs_number : patients) {
    CL_ASSERT_OK_AND_ASSIGN(events::StreamHead stopped_head,
                            ReadStreamHead(*store, PatientStream(nhs_number)));
    CL_ASSERT_OK_AND_ASSIGN(events::StreamHead prefix_head,
                            ReadStreamHead(*prefix, PatientStream(nhs_number)));
    EXPECT_EQ(stopped_head, prefix_head);
  }
}

TEST_F(ProjectorTest, RecordsThisProcessSignedAreNotVerifiedAgainOthersAre) {
  const std::string noted_nhs = NhsNumberInPartition(3, 0);
  const std::string other_nhs = NhsNumberInPartition(3, 1);
  StartPlan(noted_nhs);
  StartPlan(other_nhs);
  // Two records whose signatures do not verify (one bit flipped), on two
  // streams of one partition; only the first is noted as this process's own,
  // as the service's writer notes what it signs (events/own_signatures.h).
  auto flipped_update = [&](const std::string& nhs, const std::string& name) {
    careledger::v1::Event event = NextPlanEvent(nhs);
    *event.mutable_plan_section_updated()->mutable_value() = DemographicsSection(nhs, name);
    std::string value = factory_.Seal(event);
    value.back() ^= 0x01;
    return value;
  };
  const std::string noted = flipped_update(noted_nhs, "Seacole");
  const ledger::LogPosition noted_at = AppendRaw(PatientStream(noted_nhs), noted);
  const ledger::LogPosition bad =
      AppendRaw(PatientStream(other_nhs), flipped_update(other_nhs, "Nightingale"));

  events::OwnSignatures own;
  own.Remember(events::Sha256(noted), signer_.key.public_key());
  ProjectorOptions options = Options();
  options.own_signatures = &own;
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, Project(store.get(), options));
  ASSERT_EQ(report.stops.size(), 1u);
  EXPECT_EQ(report.stops.front().offset, bad.offset);
  EXPECT_EQ(report.stops.front().failure, events::FailureKind::kBadSignature);
  CL_ASSERT_OK_AND_ASSIGN(events::StreamHead head,
                          ReadStreamHead(*store, PatientStream(noted_nhs)));
  EXPECT_EQ(head.seq, 2u) << "the noted record was applied";

  // A projector not given the notes stops at the first.
  std::unique_ptr<ProjectionStore> fresh = OpenStore("fresh");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport unshared, Project(fresh.get()));
  ASSERT_EQ(unshared.stops.size(), 1u);
  EXPECT_EQ(unshared.stops.front().offset, noted_at.offset);
}

TEST_F(ProjectorTest, RecordSignedByAnUnknownKeyStops) {
  const std::string nhs = NhsNumberInPartition(2);
  StartPlan(nhs);
  careledger::testing::TestSigner rogue = careledger::testing::MakeTestSigner("rogue-key");
  careledger::v1::Event update = NextPlanEvent(nhs);  // correctly chained
  *update.mutable_plan_section_updated()->mutable_value() =
      ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR);
  CL_ASSERT_OK_AND_ASSIGN(std::string value, events::SealEvent(update, "rogue-key", rogue.key));
  const ledger::LogPosition bad = AppendRaw(PatientStream(nhs), value);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ExpectOneStop(store.get(), 2, bad.offset, PatientStream(nhs), events::FailureKind::kUnknownKey);
  CL_ASSERT_OK_AND_ASSIGN(PlanRecord plan, PlanQueries(store.get()).GetPlan(nhs));
  EXPECT_FALSE(plan.state().draft().has_resuscitation());
}

TEST_F(ProjectorTest, RecordSignedByAnExpiredKeyStops) {
  const std::string nhs = NhsNumberInPartition(3);
  StartPlan(nhs);
  const absl::Time now = absl::Now();
  careledger::testing::TestSigner retired = careledger::testing::MakeTestSigner("retired-key");
  CL_ASSERT_OK_AND_ASSIGN(events::VerifyingKey retired_key,
                          events::VerifyingKey::FromRaw(retired.key.public_key()));
  ASSERT_THAT(signer_.keyring.Add(events::KeyEntry{"retired-key", retired_key, now - absl::Hours(2),
                                                   now - absl::Hours(1)}),
              IsOk());
  careledger::v1::Event update = factory_.NextEvent(PatientStream(nhs), now);
  *update.mutable_plan_section_updated()->mutable_value() =
      ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR);
  CL_ASSERT_OK_AND_ASSIGN(std::string value, events::SealEvent(update, "retired-key", retired.key));
  const ledger::LogPosition bad = AppendRaw(PatientStream(nhs), value);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ExpectOneStop(store.get(), 3, bad.offset, PatientStream(nhs), events::FailureKind::kKeyNotValid);
}

TEST_F(ProjectorTest, DuplicatedRecordStops) {
  const std::string nhs = NhsNumberInPartition(1);
  StartPlan(nhs);
  UpdateSection(nhs, DemographicsSection(nhs, "Jenner"));
  careledger::v1::Event third = NextPlanEvent(nhs);
  *third.mutable_plan_section_updated()->mutable_value() =
      ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR);
  const std::string value = factory_.Seal(third);
  AppendRaw(PatientStream(nhs), value);
  const ledger::LogPosition bad = AppendRaw(PatientStream(nhs), value);  // seq 3 again

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ExpectOneStop(store.get(), 1, bad.offset, PatientStream(nhs), events::FailureKind::kDuplicate);
  CL_ASSERT_OK_AND_ASSIGN(PlanRecord plan, PlanQueries(store.get()).GetPlan(nhs));
  EXPECT_EQ(plan.last_event().stream_seq(), 3u);
  EXPECT_TRUE(plan.state().draft().has_resuscitation());
}

TEST_F(ProjectorTest, SkippedSequenceStops) {
  const std::string nhs = NhsNumberInPartition(0);
  StartPlan(nhs);
  UpdateSection(nhs, DemographicsSection(nhs, "Snow"));
  careledger::v1::Event skipping = NextPlanEvent(nhs);
  skipping.set_stream_seq(skipping.stream_seq() + 1);  // seq 4 after seq 2
  *skipping.mutable_plan_section_updated()->mutable_value() =
      ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR);
  const ledger::LogPosition bad = Append(skipping);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ExpectOneStop(store.get(), 0, bad.offset, PatientStream(nhs), events::FailureKind::kSequenceGap);
  CL_ASSERT_OK_AND_ASSIGN(PlanRecord plan, PlanQueries(store.get()).GetPlan(nhs));
  EXPECT_EQ(plan.last_event().stream_seq(), 2u);
}

TEST_F(ProjectorTest, StoppedPartitionGoesOnOnceTheKeyIsTrusted) {
  // A plan signed by a key the keyring does not list yet.
  const std::string nhs = NhsNumberInPartition(2);
  careledger::testing::TestSigner second = careledger::testing::MakeTestSigner("second-key");
  careledger::testing::EventFactory second_factory("second-key", second.key);
  careledger::v1::Event start = second_factory.NextEvent(PatientStream(nhs));
  start.mutable_plan_started()->set_nhs_number(nhs);
  const ledger::LogPosition bad = AppendRaw(PatientStream(nhs), second_factory.Seal(start));
  WriteWholePlan(NhsNumberInPartition(2, 1));

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ExpectOneStop(store.get(), 2, bad.offset, PatientStream(nhs), events::FailureKind::kUnknownKey);

  CL_ASSERT_OK_AND_ASSIGN(events::VerifyingKey key,
                          events::VerifyingKey::FromRaw(second.key.public_key()));
  ASSERT_THAT(signer_.keyring.Add(events::KeyEntry{"second-key", key, absl::UnixEpoch()}), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, Project(store.get()));
  EXPECT_TRUE(report.stops.empty());
  EXPECT_EQ(report.records_applied, 7u);  // nothing was skipped
  CL_ASSERT_OK_AND_ASSIGN(std::vector<PartitionStop> stored, ReadStops(*store));
  EXPECT_TRUE(stored.empty());
  EXPECT_THAT(PlanQueries(store.get()).GetPlan(nhs), IsOk());

  std::unique_ptr<ProjectionStore> clean = OpenStore("clean");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport rebuilt, Project(clean.get()));
  EXPECT_TRUE(rebuilt.stops.empty());
  EXPECT_EQ(Fingerprint(*store), Fingerprint(*clean));
}

TEST_F(ProjectorTest, ParallelVerificationGivesTheSameBytesAsSerial) {
  for (int i = 0; i < 40; ++i) WriteWholePlan(SyntheticNhsNumber(i));
  for (std::int32_t p = 0; p < kPartitions; ++p) AppendCheckpoint(p);

  std::unique_ptr<ProjectionStore> serial = OpenStore("serial");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport serial_report,
                          Project(serial.get(), Options(/*threads=*/1, /*batch_records=*/2000)));
  EXPECT_TRUE(serial_report.stops.empty());
  EXPECT_EQ(serial_report.records_applied, kGeneses + 244u);

  std::unique_ptr<ProjectionStore> parallel = OpenStore("parallel");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport parallel_report,
                          Project(parallel.get(), Options(/*threads=*/2, /*batch_records=*/2000)));
  EXPECT_TRUE(parallel_report.stops.empty());
  EXPECT_EQ(parallel_report.records_applied, kGeneses + 244u);

  std::unique_ptr<ProjectionStore> small_batches = OpenStore("small-batches");
  CL_ASSERT_OK_AND_ASSIGN(
      ProjectionReport small_report,
      Project(small_batches.get(), Options(/*threads=*/2, /*batch_records=*/7)));
  EXPECT_TRUE(small_report.stops.empty());

  EXPECT_EQ(Fingerprint(*parallel), Fingerprint(*serial));
  EXPECT_EQ(Fingerprint(*small_batches), Fingerprint(*serial));
  for (int i = 0; i < 40; ++i) {
    CL_ASSERT_OK_AND_ASSIGN(PlanRecord plan,
                            PlanQueries(parallel.get()).GetPlan(SyntheticNhsNumber(i)));
    EXPECT_EQ(plan.state().published_version(), 2u);
    EXPECT_EQ(plan.state().published().resuscitation().decision(),
              careledger::v1::CPR_DECISION_NOT_FOR_CPR);
  }
}

TEST_F(ProjectorTest, FollowAppliesRecordsAsTheyArrive) {
  const std::string nhs = NhsNumberInPartition(1);
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::LogReader> reader, log_->OpenReader());
  Projector projector(reader.get(), store.get(), &signer_.keyring, Options());
  absl::Status followed = absl::UnknownError("Follow did not return");
  std::jthread follower([&](std::stop_token stop) {
    followed = projector.Follow(stop, std::chrono::milliseconds(10));
  });

  WriteWholePlan(nhs);
  // Wait (bounded, not timed) for the follower to publish version 2.
  PlanQueries queries(store.get());
  bool published = false;
  for (int attempt = 0; attempt < 3000 && !published; ++attempt) {
    absl::StatusOr<PlanRecord> plan = queries.GetPlan(nhs);
    published = plan.ok() && plan->state().published_version() == 2;
    if (!published) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  follower.request_stop();
  follower.join();
  EXPECT_TRUE(published);
  EXPECT_THAT(followed, IsOk());
  CL_ASSERT_OK_AND_ASSIGN(std::vector<std::int64_t> offsets, queries.Offsets());
  EXPECT_EQ(offsets[1], 1 + 6);  // its genesis and six records
}

TEST_F(ProjectorTest, RefusesALogWithAnotherPartitionCount) {
  WriteWholePlan(NhsNumberInPartition(0));
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ledger::Log> other,
      ledger::OpenEmbeddedLog({dir_.Sub("two-partitions"), 2, ledger::EmbeddedLogMode::kCreate}));
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::LogReader> reader, other->OpenReader());
  Projector projector(reader.get(), store.get(), &signer_.keyring, Options());
  EXPECT_THAT(projector.CatchUp(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace careledger::projections
