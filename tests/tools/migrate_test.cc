// The UCP migration's pure parts (docs/migration.md): which plans migrate
// and what each leaves behind (tools/migrate_select.h), who made each
// published version (AuthorshipOf) and the Bundle's shape
// (tools/migrate_fhir.h). The whole export, the validator and the signed
// manifest are checked end to end by migrate_cli_test.py.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "tools/migrate_fhir.h"
#include "tools/migrate_select.h"

namespace careledger::tools {
namespace {

using careledger::v1::HistoryEntry;
using careledger::v1::PlanRecord;
using careledger::v1::PublishedVersion;

constexpr char kNhs[] = "9990002010";

PlanRecord Published() {
  PlanRecord plan;
  plan.set_nhs_number(kNhs);
  plan.mutable_state()->set_nhs_number(kNhs);
  plan.mutable_state()->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_PUBLISHED);
  plan.mutable_state()->set_published_version(1);
  plan.mutable_state()->add_contributing_organisations("GP0001");
  plan.mutable_state()->mutable_published()->mutable_demographics()->set_gp_practice_ods("GP0001");
  *plan.mutable_state()->mutable_draft() = plan.state().published();
  return plan;
}

std::string VerdictOf(const PlanRecord& plan) {
  return std::string(MigrationVerdictName(DecideMigration(plan)));
}

TEST(MigrateSelectTest, EachCaseOfTheNoticeHasItsVerdict) {
  EXPECT_EQ(VerdictOf(Published()), "migrates");

  PlanRecord draft = Published();
  draft.mutable_state()->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_DRAFT);
  draft.mutable_state()->set_published_version(0);
  EXPECT_EQ(VerdictOf(draft), "draft_only");

  PlanRecord editing = Published();
  editing.mutable_state()->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_EDITING);
  editing.mutable_state()->set_draft_pending(true);
  EXPECT_EQ(VerdictOf(editing), "migrates");  // as its published version

  PlanRecord restricted = Published();
  restricted.mutable_state()->mutable_restriction()->set_by_user("dr.patel");
  EXPECT_EQ(VerdictOf(restricted), "restricted");

  PlanRecord withdrawn = restricted;  // withdrawal decides first
  withdrawn.mutable_state()->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_WITHDRAWN);
  withdrawn.mutable_state()->mutable_withdrawal();
  EXPECT_EQ(VerdictOf(withdrawn), "withdrawn");

  PlanRecord deceased = Published();
  deceased.mutable_state()->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_CLOSED);
  deceased.mutable_state()->mutable_death();
  EXPECT_EQ(VerdictOf(deceased), "deceased");

  PlanRecord requests_only;
  requests_only.set_nhs_number(kNhs);
  requests_only.mutable_state()->add_requests()->set_kind(
      careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN);
  EXPECT_EQ(VerdictOf(requests_only), "no_plan");

  // Erased with --override-retention while the plan was open: published,
  // unrestricted, but nothing of it can be read, so nothing migrates.
  PlanRecord erased = Published();
  erased.mutable_state()->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_ERASED);
  erased.mutable_state()->set_content_erased(true);
  EXPECT_EQ(VerdictOf(erased), "erased");
}

TEST(MigrateSelectTest, DraftEditsAndOpenRequestsAreLeftBehindEvenWhenThePlanMigrates) {
  PlanRecord plan = Published();
  plan.mutable_state()->set_lifecycle(careledger::v1::PLAN_LIFECYCLE_EDITING);
  plan.mutable_state()->set_draft_pending(true);
  plan.mutable_state()->add_contributing_organisations("CH0001");
  careledger::v1::PatientRequest* open = plan.mutable_state()->add_requests();
  open->set_request_id("req-1");
  open->set_kind(careledger::v1::PATIENT_REQUEST_KIND_CHANGE);
  careledger::v1::PatientRequest* done = plan.mutable_state()->add_requests();
  done->set_request_id("req-2");
  done->set_kind(careledger::v1::PATIENT_REQUEST_KIND_CHANGE);
  done->set_resolution(careledger::v1::REQUEST_RESOLUTION_RESOLVED);

  const std::vector<LeftBehind> left = LeftBehindOf(plan);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].reason, "draft_edit");
  EXPECT_EQ(left[0].organisations, (std::vector<std::string>{"CH0001", "GP0001"}));
  EXPECT_EQ(left[1].reason, "open_change_request");
  EXPECT_EQ(left[1].organisations, std::vector<std::string>{"GP0001"});
  EXPECT_NE(left[1].detail.find("req-1"), std::string::npos);

  std::map<std::string, OrganisationCounts> counts;
  for (const LeftBehind& entry : left) Count(entry, &counts);
  EXPECT_EQ(counts["GP0001"].draft_plans, 1u);
  EXPECT_EQ(counts["GP0001"].patient_change_requests, 1u);
  EXPECT_EQ(counts["CH0001"].draft_plans, 1u);
  EXPECT_EQ(counts["CH0001"].patient_change_requests, 0u);
  EXPECT_TRUE(LeftBehindOf(Published()).empty());
}

careledger::v1::Actor ActorOf(const std::string& user, const std::string& organisation) {
  careledger::v1::Actor actor;
  actor.set_user_id(user);
  actor.set_organisation(organisation);
  return actor;
}

HistoryEntry Event(const std::string& user, int body, std::uint64_t version = 0) {
  HistoryEntry entry;
  careledger::v1::Event* event = entry.mutable_event();
  event->set_stream_id(std::string("patient/") + kNhs);
  *event->mutable_actor() = ActorOf(user, "GP0001");
  switch (body) {
    case 0:
      event->mutable_plan_started();
      break;
    case 1:
      event->mutable_plan_section_updated();
      break;
    case 2:
      event->mutable_plan_approved()->set_version(version);
      break;
    default:
      event->mutable_draft_discarded();
  }
  return entry;
}

PublishedVersion Version(std::uint64_t number, const std::string& approver) {
  PublishedVersion version;
  version.set_nhs_number(kNhs);
  version.set_version(number);
  *version.mutable_approved_by() = ActorOf(approver, "GP0001");
  version.mutable_plan()->mutable_demographics()->set_gp_practice_ods("GP0001");
  return version;
}

TEST(MigrateFhirTest, EachVersionNamesItsEditorsAndADiscardedDraftNamesNobody) {
  const std::vector<HistoryEntry> history = {
      Event("admin.a", 0), Event("admin.a", 1), Event("nurse.b", 1),
      Event("dr.c", 2, 1), Event("admin.x", 1), Event("admin.x", 3),  // discarded
      Event("dr.c", 1),    Event("dr.c", 2, 2), Event("admin.y", 1),  // pending draft
  };
  absl::StatusOr<std::vector<VersionAuthorship>> authorship =
      AuthorshipOf({Version(1, "dr.c"), Version(2, "dr.c")}, history);
  ASSERT_TRUE(authorship.ok()) << authorship.status();
  ASSERT_EQ(authorship->size(), 2u);
  std::vector<std::string> first, second;
  for (const auto& actor : (*authorship)[0].editors) first.push_back(actor.user_id());
  for (const auto& actor : (*authorship)[1].editors) second.push_back(actor.user_id());
  EXPECT_EQ(first, (std::vector<std::string>{"admin.a", "nurse.b"}));
  EXPECT_EQ(second, std::vector<std::string>{"dr.c"});

  EXPECT_EQ(AuthorshipOf({Version(3, "dr.c")}, history).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(MigrateFhirTest, TheBundleHoldsAVersionChainAndIsTheSameBytesEachTime) {
  std::vector<VersionAuthorship> versions = {
      {Version(1, "dr.c"), {ActorOf("admin.a", "CH0001")}},
      {Version(2, "dr.c"), {ActorOf("dr.c", "GP0001")}},
  };
  MigrationDirectory directory;
  directory.users["dr.c"].set_name("Dr C");
  const nlohmann::json bundle = MigrationBundle(Published(), versions, directory, "ledger");
  EXPECT_EQ(bundle, MigrationBundle(Published(), versions, directory, "ledger"));
  std::map<std::string, int> kinds;
  std::vector<std::string> statuses;
  for (const nlohmann::json& entry : bundle["entry"]) {
    ++kinds[entry["resource"]["resourceType"].get<std::string>()];
    if (entry["resource"]["resourceType"] == "CarePlan") {
      statuses.push_back(entry["resource"]["status"].get<std::string>());
    }
  }
  EXPECT_EQ(kinds, (std::map<std::string, int>{{"CarePlan", 2},
                                               {"Consent", 1},
                                               {"Organization", 2},
                                               {"Patient", 1},
                                               {"Practitioner", 2},
                                               {"Provenance", 2}}));
  EXPECT_EQ(statuses, (std::vector<std::string>{"revoked", "active"}));
  // Another ledger's export of the same plan has other identities.
  EXPECT_NE(bundle["entry"][0]["fullUrl"],
            MigrationBundle(Published(), versions, directory, "other")["entry"][0]["fullUrl"]);
}

}  // namespace
}  // namespace careledger::tools
