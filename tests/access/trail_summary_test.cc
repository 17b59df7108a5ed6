// access/trail_summary.h over a real projection of a planted log: every
// figure of a patient's, a user's and an organisation's summary equals a
// direct count over the entries their pages list (reads, refusals,
// break-glass, changes, audit queries, patients, who looked, the busiest
// users, first and last times), the heat map places times either side of
// the clocks going forward in London local time, and a trail of more
// entries than a page (and than WriteTrail's own pages) is counted whole,
// over exactly the range asked.
#include "access/trail_summary.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "absl/time/civil_time.h"
#include "access/audit_read.h"
#include "events/time_util.h"
#include "projections/audit_queries.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::access {
namespace {

using careledger::testing::IsOk;
using careledger::v1::AuditEntry;
using careledger::v1::AuditScope;

careledger::v1::AuditQuery Trail(AuditScope scope, const std::string& subject) {
  careledger::v1::AuditQuery query;
  query.set_scope(scope);
  query.set_subject(subject);
  return query;
}

// Every entry of the trail, listed two at a time (so over many pages).
std::vector<AuditEntry> Listed(const projections::ProjectionStore& store,
                               const careledger::v1::AuditQuery& query) {
  projections::AuditQueries queries(&store);
  projections::AuditPageRequest request;
  request.limit = 2;
  std::vector<AuditEntry> all;
  for (;;) {
    absl::StatusOr<projections::AuditPage> page =
        ListScope(queries, query.scope(), query.subject(), request);
    EXPECT_THAT(page, IsOk());
    if (!page.ok()) return all;
    all.insert(all.end(), page->entries.begin(), page->entries.end());
    if (page->next_page_token.empty()) return all;
    request.page_token = page->next_page_token;
  }
}

// The summary's figures counted the plain way, entry by entry, as the
// workbench counted them in the browser.
void ExpectSummaryOf(const std::vector<AuditEntry>& entries, const TrailSummary& summary) {
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  std::size_t kinds[5] = {};
  std::size_t break_glass = 0;
  std::set<std::string> patients;
  std::array<std::array<std::size_t, 24>, 7> heat{};
  std::map<std::tuple<std::string, std::string, std::string, std::string>,
           std::pair<std::size_t, std::size_t>>
      looked;
  struct User {
    std::string role;
    std::size_t reads = 0, refusals = 0;
    std::set<std::string> patients;
  };
  std::map<std::string, User> users;
  absl::Time first = absl::InfiniteFuture(), last = absl::InfinitePast();
  for (const AuditEntry& entry : entries) {  // oldest first
    ++kinds[entry.kind()];
    break_glass += entry.break_glass();
    if (!entry.nhs_number().empty()) patients.insert(entry.nhs_number());
    const absl::Time at = events::FromTimestamp(entry.at());
    first = std::min(first, at);
    last = std::max(last, at);
    const absl::CivilHour local = absl::ToCivilHour(at, london);
    ++heat[static_cast<int>(absl::GetWeekday(absl::CivilDay(local)))][local.hour()];
    const std::string role = careledger::v1::Role_Name(entry.actor().role());
    const bool read = entry.kind() == careledger::v1::AUDIT_KIND_READ;
    const bool refused = entry.outcome() == careledger::v1::ACCESS_OUTCOME_DENIED;
    if (read || refused) {
      auto& row =
          looked[{entry.actor().organisation(), entry.actor().user_id(), role, entry.actor_name()}];
      row.first += read;
      row.second += refused;
    }
    User& user = users[entry.actor().user_id()];
    user.role = role;  // the newest entry's, as they come oldest first
    user.reads += read;
    user.refusals += refused;
    if (!entry.nhs_number().empty()) user.patients.insert(entry.nhs_number());
  }
  EXPECT_EQ(summary.entries, entries.size());
  EXPECT_EQ(summary.reads, kinds[careledger::v1::AUDIT_KIND_READ]);
  EXPECT_EQ(summary.refusals, kinds[careledger::v1::AUDIT_KIND_REFUSED]);
  EXPECT_EQ(summary.changes, kinds[careledger::v1::AUDIT_KIND_CHANGE]);
  EXPECT_EQ(summary.audit_queries, kinds[careledger::v1::AUDIT_KIND_AUDIT_QUERY]);
  EXPECT_EQ(summary.break_glass, break_glass);
  EXPECT_EQ(summary.patients, patients.size());
  EXPECT_EQ(summary.first_at, first);
  EXPECT_EQ(summary.last_at, last);
  EXPECT_EQ(summary.by_weekday_hour, heat);
  EXPECT_EQ(summary.time_zone, "Europe/London");
  ASSERT_EQ(summary.who_looked.size(), looked.size());
  std::size_t i = 0;
  for (const auto& [key, counts] : looked) {  // in the summary's order
    const Looker& row = summary.who_looked[i++];
    EXPECT_EQ(std::tie(row.organisation, row.user_id, row.role, row.name), key);
    EXPECT_EQ(row.reads, counts.first) << row.user_id;
    EXPECT_EQ(row.refusals, counts.second) << row.user_id;
  }
  ASSERT_EQ(summary.busiest.size(), users.size());
  for (std::size_t k = 0; k < summary.busiest.size(); ++k) {
    const BusyUser& row = summary.busiest[k];
    if (k > 0) {
      EXPECT_GE(summary.busiest[k - 1].reads, row.reads);
    }
    ASSERT_TRUE(users.contains(row.user_id)) << row.user_id;
    const User& user = users[row.user_id];
    EXPECT_EQ(row.role, user.role) << row.user_id;
    EXPECT_EQ(row.reads, user.reads) << row.user_id;
    EXPECT_EQ(row.refusals, user.refusals) << row.user_id;
    EXPECT_EQ(row.patients, user.patients.size()) << row.user_id;
  }
}

class TrailSummaryTest : public projections::ProjectionTest {
 protected:
  careledger::v1::AccessRecorded Access(const std::string& nhs) {
    return PublishedRead(nhs, 1, 1, "h");
  }
  // A read of `nhs` at `at` by the acting user.
  void ReadAt(absl::Time at, const std::string& nhs, bool break_glass = false) {
    clock_ = at - absl::Seconds(1);  // NextEventOn adds a second
    careledger::v1::AccessRecorded read = Access(nhs);
    read.set_break_glass(break_glass);
    if (break_glass) read.set_break_glass_reason("unconscious, no plan found");
    RecordAccess(node_, read);
  }
  void RefusedAt(absl::Time at, const std::string& nhs) {
    clock_ = at - absl::Seconds(1);
    careledger::v1::AccessRecorded refused = Access(nhs);
    refused.set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
    refused.set_reason("no legitimate relationship");
    refused.set_break_glass(true);
    RecordAccess(node_, refused);
  }

  std::string node_ = NodeInPartition(1);
};

absl::Time Utc(int day, int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2024, 3, day, hour, minute), absl::UTCTimeZone());
}

TEST_F(TrailSummaryTest, EveryFigureIsTheDirectCountOfTheListedEntries) {
  const std::string p1 = NhsNumberInPartition(0);
  const std::string p2 = NhsNumberInPartition(2);
  const std::string p3 = NhsNumberInPartition(3);
  ActAs("cmc.keeper", careledger::v1::ROLE_AUDITOR, "CMC001");
  RecordUser("crew.lee", "AMB001", "Lee Patel");
  // Sunday 31 March 2024: the clocks go forward at 01:00 UTC (GMT to BST).
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  ReadAt(Utc(31, 0, 30), p1);                        // Sunday 00:30 GMT
  ReadAt(Utc(31, 1, 30), p1);                        // Sunday 02:30 BST
  ReadAt(Utc(31, 1, 40), p2, /*break_glass=*/true);  // Sunday 02:40 BST
  RefusedAt(Utc(31, 1, 50), p3);                     // Sunday 02:50 BST
  ActAs("para.ng", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  ReadAt(Utc(31, 23, 10), p2);  // Monday 00:10 BST
  ReadAt(Utc(31, 23, 20), p1);
  ActAs("gp.x", careledger::v1::ROLE_CLINICIAN, "GP001");
  clock_ = Utc(31, 12, 0);
  StartPlan(p1);  // changes: the plan's events
  ReadAt(Utc(31, 12, 30), p1);
  ActAs("cmc.audit", careledger::v1::ROLE_AUDITOR, "CMC001");
  clock_ = Utc(31, 13, 0);
  careledger::v1::AccessRecorded query;
  query.set_action("audit_patient");
  query.set_subject(projections::PatientStream(p1));
  query.set_nhs_number(p1);
  query.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  RecordAccess(node_, query);
  ActAs("crew.lee", careledger::v1::ROLE_CLINICIAN, "AMB001");  // a new role
  ReadAt(Utc(30, 23, 59) + absl::Hours(48), p1);                // Tuesday 00:59 BST

  std::unique_ptr<projections::ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  for (const careledger::v1::AuditQuery& trail :
       {Trail(careledger::v1::AUDIT_SCOPE_PATIENT, p1),
        Trail(careledger::v1::AUDIT_SCOPE_USER, "crew.lee"),
        Trail(careledger::v1::AUDIT_SCOPE_ORGANISATION, "AMB001")}) {
    SCOPED_TRACE(trail.ShortDebugString());
    const std::vector<AuditEntry> listed = Listed(*store, trail);
    CL_ASSERT_OK_AND_ASSIGN(TrailSummary summary, SummariseTrail(*store, trail, AuditRange{}));
    ExpectSummaryOf(listed, summary);
  }

  // The figures themselves, for the user and the organisation.
  CL_ASSERT_OK_AND_ASSIGN(
      TrailSummary user,
      SummariseTrail(*store, Trail(careledger::v1::AUDIT_SCOPE_USER, "crew.lee"), AuditRange{}));
  EXPECT_EQ(user.entries, 5u);
  EXPECT_EQ(user.reads, 4u);
  EXPECT_EQ(user.refusals, 1u);
  EXPECT_EQ(user.break_glass, 2u);  // a break-glass read and a refused break-glass attempt
  EXPECT_EQ(user.patients, 3u);
  EXPECT_EQ(user.by_weekday_hour[6][0], 1u);  // Sunday 00:30 GMT
  EXPECT_EQ(user.by_weekday_hour[6][1], 0u);  // the hour that never happened
  EXPECT_EQ(user.by_weekday_hour[6][2], 3u);  // Sunday 02:30 to 02:50 BST
  EXPECT_EQ(user.by_weekday_hour[1][0], 1u);  // Tuesday 00:59 BST (Monday 23:59 UTC)
  EXPECT_EQ(user.first_at, Utc(31, 0, 30));
  EXPECT_EQ(user.last_at, Utc(30, 23, 59) + absl::Hours(48));
  ASSERT_EQ(user.who_looked.size(), 2u);  // one row per role
  EXPECT_EQ(user.who_looked[0].role, "ROLE_CLINICIAN");
  EXPECT_EQ(user.who_looked[0].reads, 1u);
  EXPECT_EQ(user.who_looked[1].role, "ROLE_URGENT_CARE");
  EXPECT_EQ(user.who_looked[1].name, "Lee Patel");
  EXPECT_EQ(user.who_looked[1].reads, 3u);
  EXPECT_EQ(user.who_looked[1].refusals, 1u);

  CL_ASSERT_OK_AND_ASSIGN(
      TrailSummary org,
      SummariseTrail(*store, Trail(careledger::v1::AUDIT_SCOPE_ORGANISATION, "AMB001"),
                     AuditRange{}));
  EXPECT_EQ(org.entries, 7u);
  ASSERT_EQ(org.busiest.size(), 2u);
  EXPECT_EQ(org.busiest[0].user_id, "crew.lee");
  EXPECT_EQ(org.busiest[0].role, "ROLE_CLINICIAN");  // their newest entry's
  EXPECT_EQ(org.busiest[0].reads, 4u);
  EXPECT_EQ(org.busiest[0].refusals, 1u);
  EXPECT_EQ(org.busiest[0].patients, 3u);
  EXPECT_EQ(org.busiest[1].user_id, "para.ng");
  EXPECT_EQ(org.busiest[1].reads, 2u);
  EXPECT_EQ(org.busiest[1].patients, 2u);
  EXPECT_EQ(org.by_weekday_hour[0][0], 2u);  // Monday 00:10 and 00:20 BST

  CL_ASSERT_OK_AND_ASSIGN(
      TrailSummary patient,
      SummariseTrail(*store, Trail(careledger::v1::AUDIT_SCOPE_PATIENT, p1), AuditRange{}));
  EXPECT_GE(patient.changes, 1u);
  EXPECT_EQ(patient.audit_queries, 1u);
  EXPECT_EQ(patient.reads, 5u);
}

TEST_F(TrailSummaryTest, ATrailLongerThanAPageIsCountedWholeOverExactlyTheRange) {
  const std::string nhs = NhsNumberInPartition(0);
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  const absl::Time start = Utc(12, 9, 0);
  constexpr int kReads = 2'500;  // more than a page of the workbench, and of WriteTrail
  for (int i = 0; i < kReads; ++i) ReadAt(start + absl::Seconds(i), nhs, i % 100 == 0);
  std::unique_ptr<projections::ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  const careledger::v1::AuditQuery trail = Trail(careledger::v1::AUDIT_SCOPE_USER, "crew.lee");

  projections::AuditPageRequest first_page;
  first_page.limit = 500;
  first_page.newest_first = true;
  CL_ASSERT_OK_AND_ASSIGN(
      projections::AuditPage page,
      projections::AuditQueries(store.get()).ListByUser("crew.lee", first_page));
  EXPECT_EQ(page.entries.size(), 500u);
  EXPECT_FALSE(page.next_page_token.empty());

  CL_ASSERT_OK_AND_ASSIGN(TrailSummary whole, SummariseTrail(*store, trail, AuditRange{}));
  EXPECT_EQ(whole.entries, static_cast<std::size_t>(kReads));
  EXPECT_EQ(whole.reads, static_cast<std::size_t>(kReads));
  EXPECT_EQ(whole.break_glass, 25u);
  EXPECT_EQ(whole.first_at, start);
  EXPECT_EQ(whole.last_at, start + absl::Seconds(kReads - 1));
  ExpectSummaryOf(Listed(*store, trail), whole);

  // [from, to) as asked: the 1,000 reads from the 1,000th second.
  const AuditRange range{start + absl::Seconds(1000), start + absl::Seconds(2000)};
  CL_ASSERT_OK_AND_ASSIGN(TrailSummary part, SummariseTrail(*store, trail, range));
  EXPECT_EQ(part.entries, 1000u);
  EXPECT_EQ(part.break_glass, 10u);
  EXPECT_EQ(part.first_at, range.from);
  EXPECT_EQ(part.last_at, range.to - absl::Seconds(1));
}

TEST_F(TrailSummaryTest, AnEmptyTrailHasNoTimesAndAnotherScopeIsRefused) {
  std::unique_ptr<projections::ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(
      TrailSummary empty,
      SummariseTrail(*store, Trail(careledger::v1::AUDIT_SCOPE_USER, "nobody"), AuditRange{}));
  EXPECT_EQ(empty.entries, 0u);
  EXPECT_EQ(empty.first_at, absl::InfiniteFuture());
  EXPECT_TRUE(empty.busiest.empty());
  EXPECT_EQ(SummariseTrail(*store, Trail(careledger::v1::AUDIT_SCOPE_ALERTS, ""), AuditRange{})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace careledger::access
