// Proves the audit trail: one entry per access record and per plan or
// directory event (reads, refusals, audit queries, every kind of change),
// each naming who (and their name in the directory now), where (device,
// address, and the site's name as it was then), when, what and the record that proves it; the four
// ways in (by patient, by user, by organisation, everything), each over a time range [from, to) and
// a page at a time in either order with no duplicates or gaps; and that batching and resuming
// change no byte of it.
#include "projections/audit_projection.h"

#include <gtest/gtest.h>

#include <set>

#include "events/time_util.h"
#include "projections/audit_queries.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::projections {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using careledger::v1::AuditEntry;

careledger::v1::Organisation Organisation(const std::string& ods, const std::string& name) {
  careledger::v1::Organisation organisation;
  organisation.set_ods_code(ods);
  organisation.set_name(name);
  return organisation;
}

std::string Where(const AuditEntry& entry) {
  return fmt::format("{}/{}", entry.position().partition(), entry.position().offset());
}

std::string Where(const ledger::LogPosition& position) {
  return fmt::format("{}/{}", position.partition, position.offset);
}

std::vector<std::string> Positions(const std::vector<AuditEntry>& entries) {
  std::vector<std::string> positions;
  for (const AuditEntry& entry : entries) positions.push_back(Where(entry));
  return positions;
}

class AuditProjectionTest : public ProjectionTest {
 protected:
  // A read of `nhs` by the acting user from serving node `node`.
  ledger::LogPosition Read(const std::string& node, const std::string& nhs, std::uint64_t version,
                           std::uint64_t stream_seq, const std::string& content_hash) {
    return RecordAccess(node, PublishedRead(nhs, version, stream_seq, content_hash));
  }

  // Every entry of a list, read `limit` at a time, following the tokens.
  template <typename List>
  std::vector<AuditEntry> AllPages(List list, AuditPageRequest request, int* pages) {
    std::vector<AuditEntry> all;
    *pages = 0;
    for (;;) {
      absl::StatusOr<AuditPage> page = list(request);
      EXPECT_THAT(page, IsOk());
      if (!page.ok()) break;
      ++*pages;
      EXPECT_LE(page->entries.size(), request.limit);
      for (AuditEntry& entry : page->entries) all.push_back(std::move(entry));
      if (page->next_page_token.empty()) break;
      request.page_token = page->next_page_token;
    }
    return all;
  }
};

TEST_F(AuditProjectionTest, EveryKindOfEntryWithWhoWhereWhenWhatAndProof) {
  const std::string nhs = NhsNumberInPartition(1);
  const std::string node = NodeInPartition(2);
  ActAs("cmc.keeper", careledger::v1::ROLE_AUDITOR, "CMC001");  // the CMC team keeps the directory
  const ledger::LogPosition org = RecordOrganisation(Organisation("AMB001", "London Ambulance"));
  RecordOrganisation(Organisation("GP0001", "Riverside Practice"));
  careledger::v1::User crew;
  crew.set_user_id("crew.lee");
  crew.set_organisation("AMB001");
  RecordUser(crew);

  ActAs("dr.a", careledger::v1::ROLE_CLINICIAN, "GP0001");
  acting_.set_device_id("dev-gp");
  acting_.set_network_address("10.2.0.31");
  acting_.set_purpose("care planning");
  const ledger::LogPosition started = StartPlan(nhs);
  const ledger::LogPosition edited = UpdateSection(nhs, DemographicsSection(nhs, "Lovelace"));
  const ledger::LogPosition submitted = Submit(nhs, "dr.b", "", "please approve");
  const ledger::LogPosition approved = Approve(nhs);
  const std::string v1_hash = events::HashBytes(events::PlanContentHash(Draft(nhs)));
  const ledger::LogPosition restricted = Restrict(nhs, {"dr.a"});

  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  acting_.set_device_id("toughbook-3");
  acting_.set_network_address("10.3.0.41");
  acting_.set_purpose("emergency care");
  careledger::v1::AccessRecorded glass = PublishedRead(nhs, 1, 5, v1_hash);
  glass.set_restricted(true);
  glass.set_break_glass(true);
  glass.set_break_glass_reason("cardiac arrest, patient unconscious");
  const ledger::LogPosition broke_glass = RecordAccess(node, glass);
  careledger::v1::AccessRecorded refused;
  refused.set_action("view_plan");
  refused.set_subject(PatientStream(nhs));
  refused.set_nhs_number(nhs);
  refused.set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
  refused.set_reason("the plan is restricted");
  refused.set_view(careledger::v1::PLAN_VIEW_PUBLISHED);
  const ledger::LogPosition denied = RecordAccess(node, refused);
  const ledger::LogPosition note = AddNote(nhs, "attended; comfortable");

  ActAs("dr.a", careledger::v1::ROLE_CLINICIAN, "GP0001");
  const ledger::LogPosition lifted = LiftRestriction(nhs);
  const ledger::LogPosition reviewed = Review(nhs, MakeDate(2024, 9, 1));
  ActAs("patient-1", careledger::v1::ROLE_PATIENT);
  const std::string request =
      MakeRequest(nhs, careledger::v1::PATIENT_REQUEST_KIND_CHANGE, "please add my son");
  ActAs("dr.a", careledger::v1::ROLE_CLINICIAN, "GP0001");
  const ledger::LogPosition resolved = ResolveRequest(nhs, request);
  UpdateSection(nhs, ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));
  const ledger::LogPosition discarded = DiscardDraft(nhs);
  const ledger::LogPosition died = RecordDeath(nhs);

  ActAs("auditor.cmc", careledger::v1::ROLE_AUDITOR, "CMC001");
  careledger::v1::AccessRecorded query;
  query.set_action("audit_patient");
  query.set_subject(PatientStream(nhs));
  query.set_nhs_number(nhs);
  query.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  *query.mutable_range_from() = events::ToTimestamp(absl::FromUnixSeconds(1710000000));
  const ledger::LogPosition audited = RecordAccess(node, query);
  const ledger::LogPosition suspended =
      ChangeUserStatus("crew.lee", careledger::v1::USER_STATUS_SUSPENDED);
  AppendCheckpoint(1);  // no entry

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, Project(store.get()));
  EXPECT_TRUE(report.stops.empty());
  const AuditQueries queries(store.get());
  CL_ASSERT_OK_AND_ASSIGN(AuditPage page, queries.ListByPatient(nhs, AuditPageRequest()));
  EXPECT_TRUE(page.next_page_token.empty());
  ASSERT_EQ(page.entries.size(), 16u);  // 13 plan events, 2 reads, 1 audit query

  std::map<std::string, AuditEntry> by_position;
  for (const AuditEntry& entry : page.entries) by_position[Where(entry)] = entry;
  auto at = [&](const ledger::LogPosition& position) { return by_position[Where(position)]; };

  const AuditEntry start = at(started);
  EXPECT_EQ(start.kind(), careledger::v1::AUDIT_KIND_CHANGE);
  EXPECT_EQ(start.action(), "plan_started");
  EXPECT_EQ(start.subject(), PatientStream(nhs));
  EXPECT_EQ(start.nhs_number(), nhs);
  EXPECT_EQ(start.stream_seq(), 1u);
  EXPECT_EQ(start.outcome(), careledger::v1::ACCESS_OUTCOME_GRANTED);
  EXPECT_EQ(start.actor().user_id(), "dr.a");
  EXPECT_EQ(start.actor().device_id(), "dev-gp");
  EXPECT_EQ(start.actor().network_address(), "10.2.0.31");
  EXPECT_EQ(start.actor().purpose(), "care planning");
  EXPECT_EQ(start.site(), "Riverside Practice");
  EXPECT_EQ(start.position().partition(), started.partition);
  EXPECT_EQ(start.position().offset(), started.offset);
  EXPECT_EQ(start.position().stream_seq(), 1u);
  EXPECT_EQ(start.position().value_hash().size(), 32u);
  EXPECT_FALSE(start.command_id().empty());

  EXPECT_EQ(at(edited).action(), "plan_section_updated");
  EXPECT_EQ(at(edited).section(), "demographics");
  EXPECT_EQ(at(submitted).note(), "to dr.b: please approve");
  EXPECT_EQ(at(approved).action(), "plan_approved");
  EXPECT_EQ(at(approved).version(), 1u);
  EXPECT_EQ(at(approved).content_hash(), v1_hash);
  EXPECT_EQ(at(approved).stream_seq(), 4u);
  EXPECT_EQ(at(restricted).action(), "restriction_set");
  EXPECT_EQ(at(restricted).note(), "allowed: dr.a; member of staff");
  EXPECT_EQ(at(lifted).action(), "restriction_lifted");
  EXPECT_EQ(at(reviewed).action(), "plan_reviewed");
  EXPECT_EQ(at(resolved).action(), "patient_request_resolved");
  EXPECT_EQ(at(discarded).note(), "not needed");
  EXPECT_EQ(at(died).action(), "death_recorded");
  EXPECT_EQ(at(died).note(), "place: home");
  EXPECT_EQ(at(note).action(), "urgent_care_note_added");
  EXPECT_EQ(at(note).actor().user_id(), "crew.lee");
  EXPECT_EQ(at(note).site(), "London Ambulance");

  const AuditEntry read = at(broke_glass);
  EXPECT_EQ(read.kind(), careledger::v1::AUDIT_KIND_READ);
  EXPECT_EQ(read.action(), "view_plan");
  EXPECT_EQ(read.view(), careledger::v1::PLAN_VIEW_PUBLISHED);
  EXPECT_EQ(read.version(), 1u);
  EXPECT_EQ(read.stream_seq(), 5u);
  EXPECT_EQ(read.content_hash(), v1_hash);
  EXPECT_TRUE(read.restricted());
  EXPECT_TRUE(read.break_glass());
  EXPECT_EQ(read.break_glass_reason(), "cardiac arrest, patient unconscious");
  EXPECT_EQ(read.actor().device_id(), "toughbook-3");
  EXPECT_EQ(read.site(), "London Ambulance");
  EXPECT_EQ(read.subject(), PatientStream(nhs));

  EXPECT_EQ(at(denied).kind(), careledger::v1::AUDIT_KIND_REFUSED);
  EXPECT_EQ(at(denied).outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_EQ(at(denied).reason(), "the plan is restricted");

  const AuditEntry audit = at(audited);
  EXPECT_EQ(audit.kind(), careledger::v1::AUDIT_KIND_AUDIT_QUERY);
  EXPECT_EQ(audit.action(), "audit_patient");
  EXPECT_EQ(audit.range_from().seconds(), 1710000000);
  EXPECT_FALSE(audit.has_range_to());
  EXPECT_EQ(audit.site(), "");  // CMC001 was never recorded

  // A directory change is in its actor's trail, not in a patient's.
  EXPECT_EQ(by_position.count(Where(suspended)), 0u);
  EXPECT_EQ(by_position.count(Where(org)), 0u);
  CL_ASSERT_OK_AND_ASSIGN(AuditPage auditor, queries.ListByUser("auditor.cmc", {}));
  ASSERT_EQ(auditor.entries.size(), 2u);
  EXPECT_EQ(Where(auditor.entries[1]), Where(suspended));
  EXPECT_EQ(auditor.entries[1].kind(), careledger::v1::AUDIT_KIND_CHANGE);
  EXPECT_EQ(auditor.entries[1].action(), "user_status_changed");
  EXPECT_EQ(auditor.entries[1].subject(), "directory/user/crew.lee");
  EXPECT_EQ(auditor.entries[1].nhs_number(), "");
  EXPECT_EQ(auditor.entries[1].note(), "crew.lee -> USER_STATUS_SUSPENDED: leaver");

  // GetEntry by the record's time and position.
  CL_ASSERT_OK_AND_ASSIGN(AuditEntry got,
                          queries.GetEntry(read.at(), broke_glass.partition, broke_glass.offset));
  EXPECT_EQ(Text(got), Text(read));
  EXPECT_THAT(queries.GetEntry(read.at(), broke_glass.partition, broke_glass.offset + 1000),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(AuditProjectionTest, IndexesByPatientUserAndOrganisationInRecordedOrder) {
  const std::string first = NhsNumberInPartition(0);
  const std::string second = NhsNumberInPartition(3);
  const std::string node_a = NodeInPartition(1);
  const std::string node_b = NodeInPartition(2);
  ActAs("dr.a", careledger::v1::ROLE_CLINICIAN, "GP0001");
  WriteWholePlan(first);   // 6 changes
  WriteWholePlan(second);  // 6 changes
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  Read(node_a, first, 2, 6, "h1");
  Read(node_b, second, 2, 6, "h2");
  Read(node_a, second, 2, 6, "h2");
  ActAs("call.okafor", careledger::v1::ROLE_URGENT_CARE, "NHS111");
  Read(node_b, first, 2, 6, "h1");
  // An access record recorded earlier than the plan events, appended last.
  careledger::v1::Event early = NextEventOn(fmt::format("access/{}", node_b));
  early.mutable_access_recorded()->set_action("view_plan");
  early.mutable_access_recorded()->set_nhs_number(first);
  early.mutable_access_recorded()->set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
  *early.mutable_recorded_at() = events::ToTimestamp(absl::FromUnixSeconds(1710000000));
  const ledger::LogPosition early_position = Append(early);

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  CL_ASSERT_OK_AND_ASSIGN(ProjectionReport report, Project(store.get()));
  EXPECT_TRUE(report.stops.empty());
  const AuditQueries queries(store.get());

  CL_ASSERT_OK_AND_ASSIGN(AuditPage patient, queries.ListByPatient(first, {}));
  ASSERT_EQ(patient.entries.size(), 9u);  // 6 changes, 2 reads, 1 refusal
  EXPECT_EQ(Where(patient.entries[0]), Where(early_position));
  for (std::size_t i = 1; i < patient.entries.size(); ++i) {
    EXPECT_EQ(patient.entries[i].nhs_number(), first);
    EXPECT_LT(events::FromTimestamp(patient.entries[i - 1].at()),
              events::FromTimestamp(patient.entries[i].at()));
  }
  CL_ASSERT_OK_AND_ASSIGN(AuditPage other, queries.ListByPatient(second, {}));
  EXPECT_EQ(other.entries.size(), 8u);

  CL_ASSERT_OK_AND_ASSIGN(AuditPage crew, queries.ListByUser("crew.lee", {}));
  ASSERT_EQ(crew.entries.size(), 3u);
  std::set<std::string> touched;
  for (const AuditEntry& entry : crew.entries) {
    EXPECT_EQ(entry.actor().user_id(), "crew.lee");
    touched.insert(entry.nhs_number());
  }
  EXPECT_EQ(touched, (std::set<std::string>{first, second}));
  CL_ASSERT_OK_AND_ASSIGN(AuditPage doctor, queries.ListByUser("dr.a", {}));
  EXPECT_EQ(doctor.entries.size(), 12u);
  // A user id that another extends is another user.
  CL_ASSERT_OK_AND_ASSIGN(AuditPage prefix, queries.ListByUser("dr", {}));
  EXPECT_TRUE(prefix.entries.empty());

  CL_ASSERT_OK_AND_ASSIGN(AuditPage ambulance, queries.ListByOrganisation("AMB001", {}));
  EXPECT_EQ(ambulance.entries.size(), 3u);
  CL_ASSERT_OK_AND_ASSIGN(AuditPage nhs111, queries.ListByOrganisation("NHS111", {}));
  EXPECT_EQ(nhs111.entries.size(), 2u);
  CL_ASSERT_OK_AND_ASSIGN(AuditPage nobody, queries.ListByOrganisation("RXX", {}));
  EXPECT_TRUE(nobody.entries.empty());

  CL_ASSERT_OK_AND_ASSIGN(AuditPage all, queries.ListAll({}));
  EXPECT_EQ(all.entries.size(), 17u);
  EXPECT_EQ(Where(all.entries[0]), Where(early_position));
}

// The patient index holds each entry itself (AuditIndexHoldsEntries), byte
// for byte the trail's; the user and organisation indexes only point into it.
// A patient index value that does not parse is reported, not skipped.
TEST_F(AuditProjectionTest, PatientIndexHoldsTheTrailsOwnEntries) {
  const std::string nhs = NhsNumberInPartition(0);
  ActAs("dr.a", careledger::v1::ROLE_CLINICIAN, "GP0001");
  WriteWholePlan(nhs);
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  Read(NodeInPartition(1), nhs, 2, 6, "h1");
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());

  std::vector<std::pair<std::string, std::string>> by_patient;
  ASSERT_THAT(store->Scan(StoreFamily::kAuditByPatient, "",
                          [&](std::string_view key, std::string_view value) {
                            by_patient.emplace_back(key, value);
                            return true;
                          }),
              IsOk());
  ASSERT_EQ(by_patient.size(), 7u);  // 6 changes, 1 read
  const std::string prefix = nhs + std::string(1, '\0');
  for (const auto& [key, value] : by_patient) {
    ASSERT_EQ(key.substr(0, prefix.size()), prefix);
    CL_ASSERT_OK_AND_ASSIGN(std::optional<std::string> trail,
                            store->Get(StoreFamily::kAudit, key.substr(prefix.size())));
    ASSERT_TRUE(trail.has_value());
    EXPECT_EQ(value, *trail);
  }
  for (StoreFamily pointers : {StoreFamily::kAuditByUser, StoreFamily::kAuditByOrg}) {
    EXPECT_FALSE(AuditIndexHoldsEntries(pointers));
    ASSERT_THAT(store->Scan(pointers, "",
                            [&](std::string_view, std::string_view value) {
                              EXPECT_TRUE(value.empty());
                              return true;
                            }),
                IsOk());
  }

  StoreBatch corrupt;
  corrupt.Put(StoreFamily::kAuditByPatient, by_patient[3].first, "\xff\xff not an entry");
  ASSERT_THAT(store->Commit(corrupt), IsOk());
  EXPECT_THAT(AuditQueries(store.get()).ListByPatient(nhs, {}),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(AuditProjectionTest, TimeRangesAreHalfOpen) {
  const std::string nhs = NhsNumberInPartition(2);
  const absl::Time start = clock_;
  WriteWholePlan(nhs);  // recorded at start + 1s ... start + 6s
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  const AuditQueries queries(store.get());

  AuditPageRequest request;
  request.from = start + absl::Seconds(2);
  request.to = start + absl::Seconds(5);
  CL_ASSERT_OK_AND_ASSIGN(AuditPage page, queries.ListByPatient(nhs, request));
  ASSERT_EQ(page.entries.size(), 3u);  // seconds 2, 3 and 4
  EXPECT_EQ(page.entries[0].stream_seq(), 2u);
  EXPECT_EQ(page.entries[2].stream_seq(), 4u);
  CL_ASSERT_OK_AND_ASSIGN(AuditPage everything, queries.ListAll(request));
  EXPECT_EQ(everything.entries.size(), 3u);
  request.newest_first = true;
  CL_ASSERT_OK_AND_ASSIGN(AuditPage newest, queries.ListByPatient(nhs, request));
  ASSERT_EQ(newest.entries.size(), 3u);
  EXPECT_EQ(newest.entries[0].stream_seq(), 4u);
  EXPECT_EQ(newest.entries[2].stream_seq(), 2u);

  request = AuditPageRequest();
  request.from = start + absl::Seconds(6);
  CL_ASSERT_OK_AND_ASSIGN(AuditPage last, queries.ListByPatient(nhs, request));
  ASSERT_EQ(last.entries.size(), 1u);
  EXPECT_EQ(last.entries[0].stream_seq(), 6u);
  request = AuditPageRequest();
  request.to = start + absl::Seconds(1);
  CL_ASSERT_OK_AND_ASSIGN(AuditPage before, queries.ListByPatient(nhs, request));
  EXPECT_TRUE(before.entries.empty());

  request.from = start + absl::Seconds(3);
  request.to = start + absl::Seconds(3);
  EXPECT_THAT(queries.ListByPatient(nhs, request), StatusIs(absl::StatusCode::kInvalidArgument));
  request = AuditPageRequest();
  request.limit = 0;
  EXPECT_THAT(queries.ListAll(request), StatusIs(absl::StatusCode::kInvalidArgument));
  request.limit = kMaxAuditPageSize + 1;
  EXPECT_THAT(queries.ListAll(request), StatusIs(absl::StatusCode::kInvalidArgument));
  request = AuditPageRequest();
  request.page_token = "not-a-token";
  EXPECT_THAT(queries.ListAll(request), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(AuditProjectionTest, PagesHaveNoDuplicatesOrGapsInEitherOrder) {
  const std::string nhs = NhsNumberInPartition(1);
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  StartPlan(nhs);
  // 23 reads from four nodes, some recorded at the same instant (ties
  // break by partition and offset).
  for (int i = 0; i < 23; ++i) {
    careledger::v1::Event event = NextEventOn(fmt::format("access/{}", NodeInPartition(i % 4)));
    if (i % 3 != 0) clock_ -= absl::Seconds(1);  // same second as the one before
    *event.mutable_recorded_at() = events::ToTimestamp(clock_);
    event.mutable_access_recorded()->set_action("view_plan");
    event.mutable_access_recorded()->set_nhs_number(nhs);
    event.mutable_access_recorded()->set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
    Append(event);
  }
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  const AuditQueries queries(store.get());
  CL_ASSERT_OK_AND_ASSIGN(AuditPage whole, queries.ListByPatient(nhs, {}));
  ASSERT_EQ(whole.entries.size(), 24u);
  const std::vector<std::string> expected = Positions(whole.entries);
  EXPECT_EQ(std::set<std::string>(expected.begin(), expected.end()).size(), 24u);

  for (std::size_t limit : {1u, 5u, 23u, 24u, 100u}) {
    AuditPageRequest request;
    request.limit = limit;
    int pages = 0;
    std::vector<AuditEntry> paged = AllPages(
        [&](const AuditPageRequest& r) { return queries.ListByPatient(nhs, r); }, request, &pages);
    EXPECT_EQ(Positions(paged), expected) << "limit " << limit;
    EXPECT_EQ(pages, static_cast<int>((24 + limit - 1) / limit)) << "limit " << limit;

    request.newest_first = true;
    std::vector<AuditEntry> reversed = AllPages(
        [&](const AuditPageRequest& r) { return queries.ListByPatient(nhs, r); }, request, &pages);
    std::vector<std::string> backwards = Positions(reversed);
    std::reverse(backwards.begin(), backwards.end());
    EXPECT_EQ(backwards, expected) << "newest first, limit " << limit;

    request.newest_first = false;
    std::vector<AuditEntry> all =
        AllPages([&](const AuditPageRequest& r) { return queries.ListAll(r); }, request, &pages);
    EXPECT_EQ(Positions(all), expected) << "all, limit " << limit;
  }
}

TEST_F(AuditProjectionTest, SiteIsTheOrganisationsNameWhenTheyActed) {
  const std::string nhs = NhsNumberInPartition(0);
  const std::string node = NodeInPartition(3);
  ActAs("cmc.keeper", careledger::v1::ROLE_AUDITOR, "CMC001");  // the CMC team keeps the directory
  RecordOrganisation(Organisation("AMB001", "London Ambulance Service"));
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  const ledger::LogPosition before = Read(node, nhs, 1, 1, "h");
  ActAs("cmc.keeper", careledger::v1::ROLE_AUDITOR, "CMC001");  // the CMC team keeps the directory
  RecordOrganisation(Organisation("AMB001", "London Ambulance Service NHS Trust"));
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  const ledger::LogPosition after = Read(node, nhs, 1, 1, "h");

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  const AuditQueries queries(store.get());
  CL_ASSERT_OK_AND_ASSIGN(AuditPage page, queries.ListByUser("crew.lee", {}));
  ASSERT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(Where(page.entries[0]), Where(before));
  EXPECT_EQ(page.entries[0].site(), "London Ambulance Service");
  EXPECT_EQ(Where(page.entries[1]), Where(after));
  EXPECT_EQ(page.entries[1].site(), "London Ambulance Service NHS Trust");
  CL_ASSERT_OK_AND_ASSIGN(std::string now, queries.SiteName("AMB001", page.entries[1].at()));
  EXPECT_EQ(now, "London Ambulance Service NHS Trust");
  CL_ASSERT_OK_AND_ASSIGN(std::string never,
                          queries.SiteName("AMB001", events::ToTimestamp(absl::UnixEpoch())));
  EXPECT_EQ(never, "");
}

// The reader's name is the directory's as it stands when the trail is read
// (it keeps no history of users), filled in by the queries and never
// stored; a user the directory does not know is named by id only.
TEST_F(AuditProjectionTest, ActorNameIsTheDirectorysNameNowAndNeverStored) {
  const std::string nhs = NhsNumberInPartition(0);
  const std::string node = NodeInPartition(3);
  ActAs("cmc.keeper", careledger::v1::ROLE_AUDITOR, "CMC001");  // the CMC team keeps the directory
  careledger::v1::User crew;
  crew.set_user_id("crew.lee");
  crew.set_organisation("AMB001");
  crew.set_name("Lee Patel");
  RecordUser(crew);
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  const ledger::LogPosition before = Read(node, nhs, 1, 1, "h");
  ActAs("cmc.keeper", careledger::v1::ROLE_AUDITOR, "CMC001");
  crew.set_name("Lee Khan");  // renamed after the first read
  RecordUser(crew);
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  const ledger::LogPosition after = Read(node, nhs, 1, 1, "h");
  ActAs("locum.x", careledger::v1::ROLE_URGENT_CARE, "AMB001");  // never recorded
  const ledger::LogPosition stranger = Read(node, nhs, 1, 1, "h");

  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  const AuditQueries queries(store.get());
  CL_ASSERT_OK_AND_ASSIGN(AuditPage page, queries.ListByPatient(nhs, {}));
  ASSERT_EQ(page.entries.size(), 3u);
  EXPECT_EQ(Where(page.entries[0]), Where(before));
  EXPECT_EQ(page.entries[0].actor_name(), "Lee Khan");
  EXPECT_EQ(Where(page.entries[1]), Where(after));
  EXPECT_EQ(page.entries[1].actor_name(), "Lee Khan");
  EXPECT_EQ(Where(page.entries[2]), Where(stranger));
  EXPECT_EQ(page.entries[2].actor().user_id(), "locum.x");
  EXPECT_EQ(page.entries[2].actor_name(), "");

  CL_ASSERT_OK_AND_ASSIGN(AuditEntry one,
                          queries.GetEntry(page.entries[0].at(), before.partition, before.offset));
  EXPECT_EQ(one.actor_name(), "Lee Khan");
  CL_ASSERT_OK_AND_ASSIGN(std::string named, queries.UserName("crew.lee"));
  EXPECT_EQ(named, "Lee Khan");
  CL_ASSERT_OK_AND_ASSIGN(std::string unknown, queries.UserName("locum.x"));
  EXPECT_EQ(unknown, "");

  // Unannotated (a summary's or the rules' reading): the same entries, with
  // neither name nor site; annotated again, both.
  AuditPageRequest bare;
  bare.annotate = false;
  CL_ASSERT_OK_AND_ASSIGN(AuditPage plain, queries.ListByUser("crew.lee", bare));
  CL_ASSERT_OK_AND_ASSIGN(AuditPage annotated, queries.ListByUser("crew.lee", {}));
  ASSERT_EQ(plain.entries.size(), 2u);
  ASSERT_EQ(annotated.entries.size(), 2u);
  for (std::size_t i = 0; i < plain.entries.size(); ++i) {
    EXPECT_EQ(Where(plain.entries[i]), Where(annotated.entries[i]));
    EXPECT_EQ(plain.entries[i].actor_name(), "");
    EXPECT_EQ(plain.entries[i].site(), "");
    EXPECT_EQ(annotated.entries[i].actor_name(), "Lee Khan");
    AuditEntry stripped = annotated.entries[i];
    stripped.clear_actor_name();
    stripped.clear_site();
    EXPECT_EQ(stripped.SerializeAsString(), plain.entries[i].SerializeAsString());
  }

  // The stored entries carry no name (so renaming rewrites nothing).
  int stored = 0;
  ASSERT_THAT(
      store->Scan(StoreFamily::kAudit, "",
                  [&](std::string_view, std::string_view value) {
                    AuditEntry entry;
                    EXPECT_TRUE(entry.ParseFromArray(value.data(), static_cast<int>(value.size())));
                    EXPECT_EQ(entry.actor_name(), "") << Where(entry);
                    ++stored;
                    return true;
                  }),
      IsOk());
  EXPECT_GE(stored, 3);
}

TEST_F(AuditProjectionTest, RebuildIsByteIdenticalWhateverTheBatching) {
  ActAs("cmc.keeper", careledger::v1::ROLE_AUDITOR, "CMC001");  // the CMC team keeps the directory
  RecordOrganisation(Organisation("GP0001", "Riverside Practice"));
  ActAs("dr.a", careledger::v1::ROLE_CLINICIAN, "GP0001");
  for (int p = 0; p < kPartitions; ++p) WriteWholePlan(NhsNumberInPartition(p));
  ActAs("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001");
  for (int i = 0; i < 12; ++i) {
    Read(NodeInPartition(i % 4), NhsNumberInPartition(i % 4), 2, 6, "h");
  }
  std::unique_ptr<ProjectionStore> whole = OpenStore("whole");
  ASSERT_THAT(Project(whole.get()), IsOk());
  std::unique_ptr<ProjectionStore> one_by_one = OpenStore("one-by-one");
  ASSERT_THAT(Project(one_by_one.get(), Options(/*threads=*/1, /*batch_records=*/1)), IsOk());
  EXPECT_EQ(Fingerprint(*one_by_one), Fingerprint(*whole));
  std::unique_ptr<ProjectionStore> sevens = OpenStore("sevens");
  ASSERT_THAT(Project(sevens.get(), Options(/*threads=*/2, /*batch_records=*/7)), IsOk());
  EXPECT_EQ(Fingerprint(*sevens), Fingerprint(*whole));

  // Resumed: projected halfway, then more records, then the rest.
  std::unique_ptr<ProjectionStore> resumed = OpenStore("resumed");
  ASSERT_THAT(Project(resumed.get(), Options(/*threads=*/1, /*batch_records=*/3)), IsOk());
  ActAs("call.okafor", careledger::v1::ROLE_URGENT_CARE, "NHS111");
  Read(NodeInPartition(1), NhsNumberInPartition(1), 2, 6, "h");
  ASSERT_THAT(Project(resumed.get()), IsOk());
  ASSERT_THAT(Project(whole.get()), IsOk());
  EXPECT_EQ(Fingerprint(*resumed), Fingerprint(*whole));
  std::unique_ptr<ProjectionStore> fresh = OpenStore("fresh");
  ASSERT_THAT(Project(fresh.get()), IsOk());
  EXPECT_EQ(Fingerprint(*fresh), Fingerprint(*whole));
  CL_ASSERT_OK_AND_ASSIGN(AuditPage all, AuditQueries(fresh.get()).ListAll({}));
  EXPECT_EQ(all.entries.size(), 1u + 4 * 6 + 13);
}

}  // namespace
}  // namespace careledger::projections
