// Investigation cases in the audit projection (projections/investigation_cases.h):
// every case event kept whole in the family `cases` and in the audit trail;
// a case folds to its status, alerts (each once), notes and outcome with
// who, when and where of every signed event; lists filter by status and
// subject; names are the directory's now and never stored; and a rebuild,
// however batched, writes the same bytes as the live fold.
#include "projections/investigation_cases.h"

#include <gtest/gtest.h>

#include "projections/audit_queries.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::projections {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using careledger::v1::Event;
using careledger::v1::InvestigationCase;

class InvestigationCasesTest : public ProjectionTest {
 protected:
  ledger::LogPosition CaseEvent(const std::string& case_id,
                                const std::function<void(Event*)>& set_body) {
    Event event = NextEventOn(fmt::format("audit/case/{}", case_id));
    set_body(&event);
    return Append(event);
  }
  ledger::LogPosition Open(const std::string& case_id, const std::string& title,
                           const std::string& user_id, const std::string& nhs) {
    return CaseEvent(case_id, [&](Event* event) {
      event->mutable_case_opened()->set_case_id(case_id);
      event->mutable_case_opened()->set_title(title);
      event->mutable_case_opened()->set_user_id(user_id);
      event->mutable_case_opened()->set_nhs_number(nhs);
    });
  }
  ledger::LogPosition AddAlert(const std::string& case_id, const std::string& alert_id,
                               const std::string& nhs) {
    return CaseEvent(case_id, [&](Event* event) {
      event->mutable_case_alert_added()->set_case_id(case_id);
      event->mutable_case_alert_added()->set_alert_id(alert_id);
      event->mutable_case_alert_added()->set_nhs_number(nhs);
    });
  }
  ledger::LogPosition Note(const std::string& case_id, const std::string& note) {
    return CaseEvent(case_id, [&](Event* event) {
      event->mutable_case_note_added()->set_case_id(case_id);
      event->mutable_case_note_added()->set_note(note);
    });
  }
  ledger::LogPosition Close(const std::string& case_id,
                            careledger::v1::AlertReviewOutcome outcome) {
    return CaseEvent(case_id, [&](Event* event) {
      event->mutable_case_closed()->set_case_id(case_id);
      event->mutable_case_closed()->set_outcome(outcome);
      event->mutable_case_closed()->set_note("closing note");
    });
  }

  // Two cases: c1 on a user (two alerts, one added twice, a note, closed),
  // c2 on a patient (open).
  void WriteCases() {
    ActAs("cmc.keeper", careledger::v1::ROLE_AUDITOR, "CMC001");
    careledger::v1::User keeper;
    keeper.set_user_id("cmc.keeper");
    keeper.set_organisation("CMC001");
    keeper.set_name("Kim Keeper");
    RecordUser(keeper);
    careledger::v1::User crew;
    crew.set_user_id("crew.lee");
    crew.set_organisation("AMB001");
    crew.set_name("Lee Patel");
    RecordUser(crew);
    nhs_ = NhsNumberInPartition(2);
    opened_ = Open("c1", "Neighbour reads", "crew.lee", "");
    Open("c2", "Who read this plan?", "", nhs_);
    AddAlert("c1", "family_or_neighbour/1-5", nhs_);
    AddAlert("c1", "out_of_hours/0-9", "");
    AddAlert("c1", "family_or_neighbour/1-5", nhs_);  // again: listed once
    noted_ = Note("c1", "Rota asked for.");
    closed_ = Close("c1", careledger::v1::ALERT_REVIEW_OUTCOME_INAPPROPRIATE_ACCESS_CONFIRMED);
    AddAlert("c2", "break_glass/3-4", nhs_);
  }

  std::string nhs_;
  ledger::LogPosition opened_, noted_, closed_;
};

TEST_F(InvestigationCasesTest, ACaseFoldsToItsAlertsNotesAndOutcomeWithWhoWhenAndWhere) {
  WriteCases();
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(InvestigationCase c1, GetCase(*store, "c1"));
  EXPECT_EQ(c1.title(), "Neighbour reads");
  EXPECT_EQ(c1.user_id(), "crew.lee");
  EXPECT_EQ(c1.user_name(), "Lee Patel");
  EXPECT_EQ(c1.status(), careledger::v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(c1.outcome(), careledger::v1::ALERT_REVIEW_OUTCOME_INAPPROPRIATE_ACCESS_CONFIRMED);
  EXPECT_EQ(c1.opened_by().user_id(), "cmc.keeper");
  ASSERT_EQ(c1.alert_ids_size(), 2);
  EXPECT_EQ(c1.alert_ids(0), "family_or_neighbour/1-5");
  EXPECT_EQ(c1.alert_ids(1), "out_of_hours/0-9");
  EXPECT_EQ(c1.note_count(), 1);
  EXPECT_EQ(c1.version(), 6u);
  ASSERT_EQ(c1.entries_size(), 6);
  for (int i = 0; i < c1.entries_size(); ++i) {
    EXPECT_EQ(c1.entries(i).stream_seq(), static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(c1.entries(i).actor().user_id(), "cmc.keeper");
    EXPECT_EQ(c1.entries(i).actor_name(), "Kim Keeper");
  }
  EXPECT_EQ(c1.entries(0).action(), "case_opened");
  EXPECT_EQ(c1.entries(0).position().partition(), opened_.partition);
  EXPECT_EQ(c1.entries(0).position().offset(), opened_.offset);
  EXPECT_EQ(c1.entries(4).action(), "case_note_added");
  EXPECT_EQ(c1.entries(4).note(), "Rota asked for.");
  EXPECT_EQ(c1.entries(4).position().offset(), noted_.offset);
  EXPECT_EQ(c1.entries(5).action(), "case_closed");
  EXPECT_EQ(c1.entries(5).note(), "closing note");
  EXPECT_EQ(c1.entries(5).position().offset(), closed_.offset);

  CL_ASSERT_OK_AND_ASSIGN(InvestigationCase c2, GetCase(*store, "c2"));
  EXPECT_EQ(c2.status(), careledger::v1::CASE_STATUS_OPEN);
  EXPECT_EQ(c2.nhs_number(), nhs_);
  EXPECT_EQ(c2.user_name(), "");
  EXPECT_THAT(GetCase(*store, "c3"), StatusIs(absl::StatusCode::kNotFound));

  // Which cases each alert is in.
  CL_ASSERT_OK_AND_ASSIGN(auto by_alert, CasesByAlert(*store));
  EXPECT_EQ(by_alert["family_or_neighbour/1-5"], std::vector<std::string>{"c1"});
  EXPECT_EQ(by_alert["break_glass/3-4"], std::vector<std::string>{"c2"});
  EXPECT_EQ(by_alert.count("many_patients/0-1"), 0u);

  // The case events are in the audit trail, the patient's too.
  CL_ASSERT_OK_AND_ASSIGN(AuditPage patient, AuditQueries(store.get()).ListByPatient(nhs_, {}));
  std::vector<std::string> actions;
  for (const auto& entry : patient.entries) actions.push_back(entry.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"case_opened", "case_alert_added",
                                               "case_alert_added", "case_alert_added"}));
  EXPECT_EQ(patient.entries[0].subject(), "audit/case/c2");
  EXPECT_EQ(patient.entries[0].kind(), careledger::v1::AUDIT_KIND_CHANGE);
}

TEST_F(InvestigationCasesTest, ListsFilterByStatusAndSubject) {
  WriteCases();
  std::unique_ptr<ProjectionStore> store = OpenStore("store");
  ASSERT_THAT(Project(store.get()), IsOk());
  const auto ids = [&](const CaseFilter& filter) {
    std::vector<std::string> out;
    absl::StatusOr<std::vector<InvestigationCase>> cases = ListCases(*store, filter);
    EXPECT_THAT(cases, IsOk());
    if (!cases.ok()) return out;
    for (const InvestigationCase& found : *cases) {
      EXPECT_EQ(found.entries_size(), 0) << "a list carries no entries";
      out.push_back(found.case_id());
    }
    return out;
  };
  const auto filter = [](careledger::v1::CaseStatus status, const std::string& user_id,
                         const std::string& nhs_number) {
    CaseFilter made;
    made.status = status;
    made.user_id = user_id;
    made.nhs_number = nhs_number;
    return made;
  };
  constexpr auto kAny = careledger::v1::CASE_STATUS_UNSPECIFIED;
  constexpr auto kOpen = careledger::v1::CASE_STATUS_OPEN;
  EXPECT_EQ(ids(CaseFilter{}), (std::vector<std::string>{"c2", "c1"})) << "newest opened first";
  EXPECT_EQ(ids(filter(kOpen, "", "")), std::vector<std::string>{"c2"});
  EXPECT_EQ(ids(filter(careledger::v1::CASE_STATUS_CLOSED, "", "")),
            std::vector<std::string>{"c1"});
  EXPECT_EQ(ids(filter(kAny, "crew.lee", "")), std::vector<std::string>{"c1"});
  EXPECT_EQ(ids(filter(kAny, "", nhs_)), std::vector<std::string>{"c2"});
  EXPECT_TRUE(ids(filter(kOpen, "crew.lee", "")).empty());
  CL_ASSERT_OK_AND_ASSIGN(auto listed, ListCases(*store, filter(kAny, "crew.lee", "")));
  EXPECT_EQ(listed[0].user_name(), "Lee Patel");
}

TEST_F(InvestigationCasesTest, ARebuildEqualsTheLiveFoldByteForByteAndStoresNoNames) {
  WriteCases();
  std::unique_ptr<ProjectionStore> live = OpenStore("live");
  ASSERT_THAT(Project(live.get(), Options(/*threads=*/1, /*batch_records=*/2)), IsOk());
  Note("c2", "more, after the first projection");
  Close("c2", careledger::v1::ALERT_REVIEW_OUTCOME_FALSE_POSITIVE);
  ASSERT_THAT(Project(live.get(), Options(/*threads=*/1, /*batch_records=*/1)), IsOk());
  std::unique_ptr<ProjectionStore> rebuilt = OpenStore("rebuilt");
  ASSERT_THAT(Project(rebuilt.get()), IsOk());
  EXPECT_EQ(Fingerprint(*live), Fingerprint(*rebuilt));
  std::unique_ptr<ProjectionStore> sevens = OpenStore("sevens");
  ASSERT_THAT(Project(sevens.get(), Options(/*threads=*/2, /*batch_records=*/7)), IsOk());
  EXPECT_EQ(Fingerprint(*sevens), Fingerprint(*rebuilt));
  CL_ASSERT_OK_AND_ASSIGN(InvestigationCase c2, GetCase(*rebuilt, "c2"));
  EXPECT_EQ(c2.status(), careledger::v1::CASE_STATUS_CLOSED);
  EXPECT_EQ(c2.note_count(), 1);
  int stored = 0;
  ASSERT_THAT(rebuilt->Scan(StoreFamily::kCases, "",
                            [&](std::string_view, std::string_view value) {
                              careledger::v1::CaseEntry entry;
                              EXPECT_TRUE(entry.ParseFromArray(value.data(),
                                                               static_cast<int>(value.size())));
                              EXPECT_EQ(entry.actor_name(), "");
                              ++stored;
                              return true;
                            }),
              IsOk());
  EXPECT_EQ(stored, 10);  // c1: 6 events, c2: 4
}

}  // namespace
}  // namespace careledger::projections
