// Every role against every plan command in every plan state, through the
// writer (ledger/writer.h) on an in-memory log, compared with a table of
// expected outcomes written out below (ledger/plan_rules.h states the rules;
// the table is not computed from them).
//
// For every case: a refusal is answered REJECTED, appends exactly one record,
// an AccessRecorded DENIED on the writer's "access/" stream naming the action,
// the subject and the reason, and nothing on the patient's stream; an
// accepted command appends its event to the patient's stream (a granted read:
// one AccessRecorded GRANTED, and the result says what may be shown).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <array>
#include <map>
#include <ostream>
#include <string_view>
#include <tuple>

#include "ledger/dates.h"
#include "ledger/decide.h"
#include "ledger/nhs_number.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::ledger {
namespace {

using careledger::testing::LedgerWorld;
using careledger::v1::Actor;
using careledger::v1::Command;
using careledger::v1::CommandResult;
using careledger::v1::Event;
using careledger::v1::PlanState;

enum class State {
  kNone,
  kDraft,
  kSubmitted,
  kPublished,
  kEditing,
  kRestricted,
  kClosed,
  kWithdrawn
};
constexpr std::array kStates = {State::kNone,      State::kDraft,    State::kSubmitted,
                                State::kPublished, State::kEditing,  State::kRestricted,
                                State::kClosed,    State::kWithdrawn};

std::string_view StateName(State state) {
  switch (state) {
    case State::kNone:
      return "no_plan";
    case State::kDraft:
      return "draft";
    case State::kSubmitted:
      return "submitted";
    case State::kPublished:
      return "published";
    case State::kEditing:
      return "editing";
    case State::kRestricted:
      return "restricted";
    case State::kClosed:
      return "closed_by_death";
    case State::kWithdrawn:
      return "withdrawn";
  }
  return "?";
}

// The plan commands of commands.proto, in its order.
enum Action {
  kStart,
  kUpdate,
  kSubmit,
  kApprove,
  kDiscard,
  kReview,
  kDeath,
  kWithdraw,
  kRestrict,
  kLift,
  kNote,
  kRequest,
  kResolve,
  kView,
  kActionCount
};
constexpr std::array<std::string_view, kActionCount> kActionNames = {"start_plan",
                                                                     "update_plan_section",
                                                                     "submit_plan",
                                                                     "approve_plan",
                                                                     "discard_draft",
                                                                     "review_plan",
                                                                     "record_death",
                                                                     "withdraw_consent",
                                                                     "restrict_plan",
                                                                     "lift_restriction",
                                                                     "add_urgent_care_note",
                                                                     "make_patient_request",
                                                                     "resolve_patient_request",
                                                                     "view_plan"};
// What an accepted command appends (view_plan: its access record).
constexpr std::array<Event::BodyCase, kActionCount> kAppendedBody = {Event::kPlanStarted,
                                                                     Event::kPlanSectionUpdated,
                                                                     Event::kPlanSubmitted,
                                                                     Event::kPlanApproved,
                                                                     Event::kDraftDiscarded,
                                                                     Event::kPlanReviewed,
                                                                     Event::kDeathRecorded,
                                                                     Event::kConsentWithdrawn,
                                                                     Event::kRestrictionSet,
                                                                     Event::kRestrictionLifted,
                                                                     Event::kUrgentCareNoteAdded,
                                                                     Event::kPatientRequestMade,
                                                                     Event::kPatientRequestResolved,
                                                                     Event::kAccessRecorded};

enum Role { kClinician, kAdministrator, kUrgentCare, kPatient, kProxy, kAuditor, kRoleCount };
constexpr std::array<std::string_view, kRoleCount> kRoleNames = {
    "clinician", "administrator", "urgent_care", "patient", "proxy_viewer", "auditor"};

// The expected outcome of every (state, action, role):
//   A  applied
//   R  refused: the role may not do this at all
//   X  refused: the plan is restricted and the actor is not named on it
//   S  refused: not in this state (or not for this actor's subject)
// Columns: clinician, administrator, urgent care, patient, proxy, auditor.
// Rows: the actions in kActionNames' order.
//
// The worlds: the patient asked for a plan on myCMC (request
// "initiate-request", still open) before any plan was started; "restricted"
// is a published plan restricted by the GP (the clinician column) with no
// one else named; the clinician is the GP, the administrator the care home's.
using Table = std::array<std::string_view, kActionCount>;
const std::map<State, Table>& Expected() {
  static const auto* table = new std::map<State, Table>{
      {State::kNone,
       {
           // C A U P X Au
           "A A R R R R",  // start_plan
           "S S R R R R",  // update_plan_section
           "S S R R R R",  // submit_plan
           "S R R R R R",  // approve_plan
           "S S R R R R",  // discard_draft
           "S R R R R R",  // review_plan
           "S S R R R R",  // record_death
           "S S R R R R",  // withdraw_consent
           "S R R R R R",  // restrict_plan
           "S R R R R R",  // lift_restriction
           "R R S R R R",  // add_urgent_care_note
           "R R R S S R",  // make_patient_request (a change request)
           "A A R R R R",  // resolve_patient_request
           "S S S S S S",  // view_plan (published)
       }},
      {State::kDraft,
       {
           // C A U P X Au
           "S S R R R R",  // start_plan
           "A A R R R R",  // update_plan_section
           "A A R R R R",  // submit_plan
           "A R R R R R",  // approve_plan
           "S S R R R R",  // discard_draft: never published, nothing to go back to
           "S R R R R R",  // review_plan
           "A A R R R R",  // record_death
           "A A R R R R",  // withdraw_consent
           "A R R R R R",  // restrict_plan
           "S R R R R R",  // lift_restriction
           "R R S R R R",  // add_urgent_care_note
           "R R R S S R",  // make_patient_request
           "A A R R R R",  // resolve_patient_request
           "S S S S S S",  // view_plan
       }},
      {State::kSubmitted,
       {
           // C A U P X Au
           "S S R R R R",  // start_plan
           "A A R R R R",  // update_plan_section
           "A A R R R R",  // submit_plan (again)
           "A R R R R R",  // approve_plan
           "S S R R R R",  // discard_draft
           "S R R R R R",  // review_plan
           "A A R R R R",  // record_death
           "A A R R R R",  // withdraw_consent
           "A R R R R R",  // restrict_plan
           "S R R R R R",  // lift_restriction
           "R R S R R R",  // add_urgent_care_note
           "R R R S S R",  // make_patient_request
           "A A R R R R",  // resolve_patient_request
           "S S S S S S",  // view_plan
       }},
      {State::kPublished,
       {
           // C A U P X Au
           "S S R R R R",  // start_plan
           "A A R R R R",  // update_plan_section (opens a working draft)
           "S S R R R R",  // submit_plan: no working draft
           "S R R R R R",  // approve_plan: no working draft
           "S S R R R R",  // discard_draft
           "A R R R R R",  // review_plan
           "A A R R R R",  // record_death
           "A A R R R R",  // withdraw_consent
           "A R R R R R",  // restrict_plan
           "S R R R R R",  // lift_restriction: not restricted
           "R R A R R R",  // add_urgent_care_note
           "R R R A A R",  // make_patient_request
           "A A R R R R",  // resolve_patient_request
           "A A A A A A",  // view_plan
       }},
      {State::kEditing,
       {
           // C A U P X Au
           "S S R R R R",  // start_plan
           "A A R R R R",  // update_plan_section
           "A A R R R R",  // submit_plan
           "A R R R R R",  // approve_plan (version 2)
           "A A R R R R",  // discard_draft
           "A R R R R R",  // review_plan
           "A A R R R R",  // record_death
           "A A R R R R",  // withdraw_consent
           "A R R R R R",  // restrict_plan
           "S R R R R R",  // lift_restriction
           "R R A R R R",  // add_urgent_care_note
           "R R R A A R",  // make_patient_request
           "A A R R R R",  // resolve_patient_request
           "A A A A A A",  // view_plan (the published version)
       }},
      {State::kRestricted,
       {
           // C A U P X Au
           "S X R R R R",  // start_plan
           "A X R R R R",  // update_plan_section
           "S X R R R R",  // submit_plan
           "S R R R R R",  // approve_plan
           "S X R R R R",  // discard_draft
           "A R R R R R",  // review_plan
           "A X R R R R",  // record_death
           "A X R R R R",  // withdraw_consent
           "A R R R R R",  // restrict_plan
           "A R R R R R",  // lift_restriction
           "R R X R R R",  // add_urgent_care_note
           "R R R A A R",  // make_patient_request (their own plan)
           "A X R R R R",  // resolve_patient_request
           "A X X A A X",  // view_plan (no break-glass reason given)
       }},
      {State::kClosed,
       {
           // C A U P X Au
           "S S R R R R",  // start_plan
           "S S R R R R",  // update_plan_section
           "S S R R R R",  // submit_plan
           "S R R R R R",  // approve_plan
           "S S R R R R",  // discard_draft
           "S R R R R R",  // review_plan
           "S S R R R R",  // record_death
           "S S R R R R",  // withdraw_consent
           "S R R R R R",  // restrict_plan
           "S R R R R R",  // lift_restriction
           "R R S R R R",  // add_urgent_care_note
           "R R R S S R",  // make_patient_request
           "S S R R R R",  // resolve_patient_request
           "A A A A A A",  // view_plan
       }},
      {State::kWithdrawn,
       {
           // C A U P X Au
           "S S R R R R",  // start_plan
           "S S R R R R",  // update_plan_section
           "S S R R R R",  // submit_plan
           "S R R R R R",  // approve_plan
           "S S R R R R",  // discard_draft
           "S R R R R R",  // review_plan
           "S S R R R R",  // record_death
           "S S R R R R",  // withdraw_consent
           "S R R R R R",  // restrict_plan
           "S R R R R R",  // lift_restriction
           "R R S R R R",  // add_urgent_care_note
           "R R R S S R",  // make_patient_request
           "S S R R R R",  // resolve_patient_request
           "S S S S S A",  // view_plan: removed from view but for the CMC team
       }},
  };
  return *table;
}

char ExpectedOutcome(State state, Action action, Role role) {
  const std::string_view row = Expected().at(state)[action];
  return row.at(static_cast<std::size_t>(role) * 2);  // "A A R ..."
}

constexpr char kInitiateRequest[] = "initiate-request";

careledger::v1::PlanSectionValue MedicationsEdit() {
  careledger::v1::PlanSectionValue value;
  careledger::v1::Medication* medication = value.mutable_medications()->add_items();
  medication->set_name("Paracetamol");
  medication->set_dose("1 g");
  medication->set_route("oral");
  medication->set_frequency("four times a day");
  return value;
}

// The world in `state`, built once and copied by every case.
const LedgerWorld& BaseWorld(State state) {
  static auto* worlds = new std::map<State, std::unique_ptr<LedgerWorld>>();
  auto it = worlds->find(state);
  if (it != worlds->end()) return *it->second;
  auto world = std::make_unique<LedgerWorld>();
  const tools::SampleActors& a = world->actors();
  Command initiate =
      LedgerWorld::Request(a.patient, careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN);
  initiate.set_command_id(kInitiateRequest);
  world->Apply(initiate);
  if (state != State::kNone) world->DraftSamplePlan();
  switch (state) {
    case State::kSubmitted:
      world->Apply(LedgerWorld::SubmitTo(a.care_home_admin, a.gp.user_id(), ""));
      break;
    case State::kPublished:
      world->Apply(LedgerWorld::Approve(a.gp));
      break;
    case State::kEditing:
      world->Apply(LedgerWorld::Approve(a.gp));
      world->Apply(LedgerWorld::Update(a.care_home_admin, MedicationsEdit()));
      break;
    case State::kRestricted:
      world->Apply(LedgerWorld::Approve(a.gp));
      world->Apply(LedgerWorld::Restrict(a.gp, {}));
      break;
    case State::kClosed:
      world->Apply(LedgerWorld::Approve(a.gp));
      world->Apply(LedgerWorld::Death(a.gp, FromCivilDay(world->today()), "Rosewood Care Home"));
      break;
    case State::kWithdrawn:
      world->Apply(LedgerWorld::Approve(a.gp));
      world->Apply(LedgerWorld::Withdraw(a.care_home_admin));
      break;
    default:
      break;
  }
  return *worlds->emplace(state, std::move(world)).first->second;
}

Actor ActorFor(Role role, const tools::SampleActors& a) {
  switch (role) {
    case kClinician:
      return a.gp;
    case kAdministrator:
      return a.care_home_admin;
    case kUrgentCare:
      return a.ambulance;
    case kPatient:
      return a.patient;
    case kProxy:
      return a.proxy;
    case kAuditor:
      return a.auditor;
    default:
      return Actor();
  }
}

// A well-formed command for `action`: whether it is accepted depends only on
// the actor's role and the plan's state.
Command CommandFor(Action action, const Actor& actor, const LedgerWorld& world) {
  switch (action) {
    case kStart:
      return world.StartPlan(actor);
    case kUpdate:
      return LedgerWorld::Update(actor, MedicationsEdit());
    case kSubmit:
      return LedgerWorld::SubmitTo(actor, "dr.patel", "");
    case kApprove:
      return LedgerWorld::Approve(actor);
    case kDiscard:
      return LedgerWorld::Discard(actor);
    case kReview:
      return LedgerWorld::Review(actor, nullptr);
    case kDeath:
      return LedgerWorld::Death(actor, FromCivilDay(world.today()), "Rosewood Care Home");
    case kWithdraw:
      return LedgerWorld::Withdraw(actor);
    case kRestrict:
      return LedgerWorld::Restrict(actor, {"nurse.rosewood"});
    case kLift:
      return LedgerWorld::Lift(actor);
    case kNote:
      return LedgerWorld::Note(actor, "Attended at 02:00; comfortable; family told.");
    case kRequest:
      return LedgerWorld::Request(actor, careledger::v1::PATIENT_REQUEST_KIND_CHANGE);
    case kResolve:
      return LedgerWorld::Resolve(actor, kInitiateRequest,
                                  careledger::v1::REQUEST_RESOLUTION_RESOLVED);
    case kView:
      return LedgerWorld::View(actor);
    default:
      return Command();
  }
}

// Readable parameters in gtest's messages.
void PrintTo(State state, std::ostream* out) { *out << StateName(state); }
void PrintTo(Action action, std::ostream* out) { *out << kActionNames[action]; }
void PrintTo(Role role, std::ostream* out) { *out << kRoleNames[role]; }

using Case = std::tuple<State, Action, Role>;

class RoleMatrixTest : public ::testing::TestWithParam<Case> {};

TEST(RoleMatrixSetupTest, EachStateIsTheOneItIsNamedFor) {
  const std::map<State, careledger::v1::PlanLifecycle> lifecycle = {
      {State::kNone, careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED},
      {State::kDraft, careledger::v1::PLAN_LIFECYCLE_DRAFT},
      {State::kSubmitted, careledger::v1::PLAN_LIFECYCLE_DRAFT},
      {State::kPublished, careledger::v1::PLAN_LIFECYCLE_PUBLISHED},
      {State::kEditing, careledger::v1::PLAN_LIFECYCLE_EDITING},
      {State::kRestricted, careledger::v1::PLAN_LIFECYCLE_PUBLISHED},
      {State::kClosed, careledger::v1::PLAN_LIFECYCLE_CLOSED},
      {State::kWithdrawn, careledger::v1::PLAN_LIFECYCLE_WITHDRAWN},
  };
  for (State state : kStates) {
    SCOPED_TRACE(StateName(state));
    const PlanState plan = BaseWorld(state).Plan();
    EXPECT_EQ(plan.lifecycle(), lifecycle.at(state));
    EXPECT_EQ(plan.has_submission(), state == State::kSubmitted);
    EXPECT_EQ(plan.has_restriction(), state == State::kRestricted);
    EXPECT_EQ(plan.draft_pending(),
              state == State::kDraft || state == State::kSubmitted || state == State::kEditing);
    ASSERT_EQ(plan.requests_size(), 1);
    EXPECT_EQ(plan.requests(0).request_id(), kInitiateRequest);
    EXPECT_EQ(plan.requests(0).resolution(), careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED);
    EXPECT_EQ(Expected().at(state).size(), static_cast<std::size_t>(kActionCount));
    for (std::string_view row : Expected().at(state)) EXPECT_EQ(row.size(), 11u) << row;
  }
}

TEST_P(RoleMatrixTest, OutcomeMatchesTheTable) {
  const auto [state, action, role] = GetParam();
  const char expected = ExpectedOutcome(state, action, role);
  std::unique_ptr<LedgerWorld> world = BaseWorld(state).Clone();
  const Actor actor = ActorFor(role, world->actors());
  const Command command = CommandFor(action, actor, *world);
  ASSERT_EQ(CommandAction(command), kActionNames[action]);
  const std::string patient = PatientStream(tools::kSamplePatient);
  const PlanState plan_before = world->Plan();
  const std::size_t patient_events_before = world->StreamEvents(patient).size();
  const std::vector<std::int64_t> mark = world->Mark();

  const CommandResult result = world->Submit(command);

  const std::vector<Event> added = world->EventsSince(mark);
  ASSERT_EQ(added.size(), 1u) << "every decided command appends exactly one record here";
  const Event& event = added.front();
  EXPECT_EQ(event.command_id(), command.command_id());
  EXPECT_EQ(event.actor().user_id(), actor.user_id());
  EXPECT_EQ(event.actor().role(), actor.role());
  EXPECT_EQ(result.command_id(), command.command_id());
  EXPECT_EQ(result.stream_id(), event.stream_id());
  EXPECT_EQ(result.stream_seq(), event.stream_seq());

  if (expected == 'A') {
    ASSERT_EQ(result.outcome(), careledger::v1::OUTCOME_APPLIED) << result.error();
    EXPECT_EQ(event.body_case(), kAppendedBody[action]);
    if (action == kView) {
      EXPECT_TRUE(event.stream_id().starts_with("access/")) << event.stream_id();
      const careledger::v1::AccessRecorded& access = event.access_recorded();
      EXPECT_EQ(access.outcome(), careledger::v1::ACCESS_OUTCOME_GRANTED);
      EXPECT_EQ(access.action(), "view_plan");
      EXPECT_EQ(access.subject(), patient);
      EXPECT_EQ(world->StreamEvents(patient).size(), patient_events_before)
          << "a read appends nothing to the plan";
      EXPECT_EQ(result.view().view(), careledger::v1::PLAN_VIEW_PUBLISHED);
      EXPECT_EQ(result.view().version(), plan_before.published_version());
      ASSERT_GT(plan_before.version_hashes_size(), 0);
      EXPECT_EQ(result.view().content_hash(), plan_before.version_hashes(0));
      EXPECT_EQ(access.content_hash(), result.view().content_hash());
    } else {
      EXPECT_EQ(event.stream_id(), patient);
      EXPECT_EQ(event.stream_seq(), patient_events_before + 1);
      EXPECT_EQ(world->StreamEvents(patient).size(), patient_events_before + 1);
    }
    return;
  }

  ASSERT_EQ(result.outcome(), careledger::v1::OUTCOME_REJECTED) << "expected " << expected;
  EXPECT_FALSE(result.error().empty());
  EXPECT_TRUE(event.stream_id().starts_with("access/")) << event.stream_id();
  ASSERT_TRUE(event.has_access_recorded()) << event.DebugString();
  const careledger::v1::AccessRecorded& access = event.access_recorded();
  EXPECT_EQ(access.outcome(), careledger::v1::ACCESS_OUTCOME_DENIED);
  EXPECT_EQ(access.action(), kActionNames[action]);
  EXPECT_EQ(access.subject(), patient);
  EXPECT_EQ(access.nhs_number(), tools::kSamplePatient);
  EXPECT_EQ(access.reason(), result.error());
  EXPECT_EQ(world->StreamEvents(patient).size(), patient_events_before)
      << "a refusal appends no plan event";

  const std::string& reason = result.error();
  const bool role_refusal = reason.find("may not") != std::string::npos ||
                            reason.starts_with("only a registered clinician");
  const bool restriction = reason.find("restricted to named users") != std::string::npos;
  switch (expected) {
    case 'R':
      EXPECT_TRUE(role_refusal) << "not a refusal for the role: " << reason;
      break;
    case 'X':
      EXPECT_TRUE(restriction && !role_refusal) << "not a refusal by the restriction: " << reason;
      break;
    case 'S':
      EXPECT_TRUE(!role_refusal && !restriction) << "not a refusal by the state: " << reason;
      break;
    default:
      FAIL() << "bad table entry " << expected;
  }
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (State state : kStates) {
    for (int action = 0; action < kActionCount; ++action) {
      for (int role = 0; role < kRoleCount; ++role) {
        cases.emplace_back(state, static_cast<Action>(action), static_cast<Role>(role));
      }
    }
  }
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  const auto& [state, action, role] = info.param;
  return fmt::format("{}__{}__{}", StateName(state), kActionNames[action], kRoleNames[role]);
}

INSTANTIATE_TEST_SUITE_P(AllStatesActionsAndRoles, RoleMatrixTest, ::testing::ValuesIn(AllCases()),
                         CaseName);

}  // namespace
}  // namespace careledger::ledger
