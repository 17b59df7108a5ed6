// Proves the per-patient history: every event of the patient's plan stream
// and every access record naming them, from any serving node's stream in any
// partition, listed in recorded order (not in the order partitions happen to
// be applied), each with its log position and the whole signed event (who,
// from where, and for a read which version and content hash was shown); and
// that batching changes no byte of it.
#include "projections/history_projection.h"

#include <gtest/gtest.h>

#include "events/time_util.h"
#include "projections/plan_queries.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::projections {
namespace {

using ::careledger::testing::IsOk;
using careledger::v1::HistoryEntry;

class HistoryProjectionTest : public ProjectionTest {};

TEST_F(HistoryProjectionTest, PlanEventsAndAccessRecordsInRecordedOrder) {
  const std::string nhs = NhsNumberInPartition(1);
  const std::string other = NhsNumberInPartition(1, 1);
  const std::string node = NodeInPartition(2);  // another partition
  ASSERT_NE(ledger::PartitionForKey(fmt::format("access/{}", node), kPartitions),
            ledger::PartitionForKey(PatientStream(nhs), kPartitions));

  const ledger::LogPosition started = StartPlan(nhs);
  const absl::Time started_at = clock_;
  const ledger::LogPosition updated = UpdateSection(nhs, DemographicsSection(nhs, "Lovelace"));
  const ledger::LogPosition approved = Approve(nhs);
  const std::string shown_hash = events::HashBytes(events::PlanContentHash(Draft(nhs)));

  // An ambulance crew reads version 1 from serving node `node`.
  ActAs("crew-7", careledger::v1::ROLE_URGENT_CARE, "RRU");
  acting_.set_device_id("toughbook-3");
  acting_.set_network_address("10.1.2.3");
  acting_.set_purpose("emergency care");
  careledger::v1::AccessRecorded read = PublishedRead(nhs, 1, 3, shown_hash);
  const ledger::LogPosition crew_read = RecordAccess(node, read);

  // Someone without a legitimate relationship is refused.
  ActAs("nosy-1", careledger::v1::ROLE_ADMINISTRATOR, "RXX");
  careledger::v1::AccessRecorded refused = read;
  refused.set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
  refused.set_reason("no legitimate relationship");
  refused.clear_content_hash();
  const ledger::LogPosition nosy = RecordAccess(node, refused);

  // Not about this patient: another patient's read and a directory lookup.
  careledger::v1::AccessRecorded other_read = read;
  other_read.set_nhs_number(other);
  RecordAccess(node, other_read);
  careledger::v1::AccessRecorded lookup;
  lookup.set_action("view_user");
  lookup.set_subject("directory/user/dr-a");
  lookup.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  RecordAccess(node, lookup);

  // A read recorded between the start and the update but appended last.
  ActAs("gp-1", careledger::v1::ROLE_CLINICIAN, "G85001");
  careledger::v1::Event early = NextEventOn(fmt::format("access/{}", node));
  *early.mutable_access_recorded() = read;
  *early.mutable_recorded_at() = events::ToTimestamp(started_at + absl::Milliseconds(500));
  const ledger::LogPosition early_read = Append(early);
  const ledger::LogPosition edited =
      UpdateSection(nhs, ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, Project(store.get()));
  EXPECT_TRUE(report.stops.empty());
  CL_ASSERT_OK_AND_ASSIGN(std::vector<HistoryEntry> history,
                          PlanQueries(store.get()).ListHistory(nhs));

  // (stream, offset) of each entry, in order.
  std::vector<std::string> order;
  for (const HistoryEntry& entry : history) {
    order.push_back(fmt::format("{}@{}", entry.stream_id(), entry.position().offset()));
    EXPECT_EQ(entry.nhs_number(), nhs);
    EXPECT_EQ(entry.event().stream_id(), entry.stream_id());
  }
  const std::string plan = PatientStream(nhs);
  const std::string access = fmt::format("access/{}", node);
  EXPECT_THAT(order, ::testing::ElementsAre(fmt::format("{}@{}", plan, started.offset),
                                            fmt::format("{}@{}", access, early_read.offset),
                                            fmt::format("{}@{}", plan, updated.offset),
                                            fmt::format("{}@{}", plan, approved.offset),
                                            fmt::format("{}@{}", access, crew_read.offset),
                                            fmt::format("{}@{}", access, nosy.offset),
                                            fmt::format("{}@{}", plan, edited.offset)));

  // The crew's read: who, from where, why, what they were shown.
  ASSERT_EQ(history.size(), 7u);
  const HistoryEntry& crew = history[4];
  EXPECT_EQ(crew.position().partition(), crew_read.partition);
  EXPECT_EQ(crew.position().stream_seq(), 1u);
  EXPECT_EQ(crew.event().actor().user_id(), "crew-7");
  EXPECT_EQ(crew.event().actor().device_id(), "toughbook-3");
  EXPECT_EQ(crew.event().actor().network_address(), "10.1.2.3");
  EXPECT_EQ(crew.event().actor().purpose(), "emergency care");
  EXPECT_EQ(crew.event().access_recorded().version(), 1u);
  EXPECT_EQ(crew.event().access_recorded().stream_seq(), 3u);
  CL_ASSERT_OK_AND_ASSIGN(careledger::v1::PublishedVersion version_1,
                          PlanQueries(store.get()).GetVersion(nhs, 1));
  EXPECT_EQ(crew.event().access_recorded().content_hash(), version_1.content_hash());
  EXPECT_EQ(crew.event().access_recorded().content_hash(), shown_hash);
  // The refused attempt is in the history too, flagged as denied.
  EXPECT_EQ(history[5].event().access_recorded().outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_EQ(history[5].event().actor().user_id(), "nosy-1");
  // The plan stream's entries carry their plan events.
  EXPECT_TRUE(history[3].event().has_plan_approved());
  EXPECT_EQ(history[3].position().stream_seq(), 3u);

  CL_ASSERT_OK_AND_ASSIGN(std::vector<HistoryEntry> other_history,
                          PlanQueries(store.get()).ListHistory(other));
  ASSERT_EQ(other_history.size(), 1u);
  EXPECT_EQ(other_history[0].event().access_recorded().nhs_number(), other);
  CL_ASSERT_OK_AND_ASSIGN(std::vector<HistoryEntry> nobody,
                          PlanQueries(store.get()).ListHistory("9990000999"));
  EXPECT_TRUE(nobody.empty());

  // One record per batch writes the same bytes.
  std::unique_ptr<ProjectionStore> one_by_one = OpenStore("one-by-one");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport slow,
                          Project(one_by_one.get(), Options(/*threads=*/1, /*batch_records=*/1)));
  EXPECT_TRUE(slow.stops.empty());
  EXPECT_EQ(Fingerprint(*one_by_one), Fingerprint(*store));
}

}  // namespace
}  // namespace careledger::projections
