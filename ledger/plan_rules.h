// The care plan's workflow, roles and reads: who may do what to a plan, in
// which state. Pure functions over the ledger's own state; the events they
// return mean what events/plan_fold.h says.
//
// Who may act (after the access prerequisites, ledger/access_rules.h):
//
//   action                   clinician admin urgent-care patient proxy auditor
//   start_plan                   x       x
//   update_plan_section          x       x
//   submit_plan                  x       x
//   approve_plan                 x
//   discard_draft                x       x
//   review_plan                  x
//   record_death                 x       x
//   withdraw_consent             x       x
//   restrict_plan                x
//   lift_restriction             x
//   add_urgent_care_note                       x
//   make_patient_request                                   x      x
//   resolve_patient_request      x       x
//   view_plan                    x       x     x           x      x      x
//   (audit_query                                                        x   ledger/audit_rules.h)
//
// and then by state: a closed (death) or withdrawn plan takes no more
// changes; a restricted plan refuses every professional who is not named on
// it, except for a read with a stated break-glass reason, which is granted
// read-only and flagged; urgent care, patients and proxies see published
// versions only, patients and proxies only their own subscribed plan; a
// withdrawn plan is removed from view for everyone but the CMC team.
//
// Refusals append no plan event (the writer records the attempt):
//  - INVALID_ARGUMENT: the command itself is wrong (missing consent, a note
//    too long, an unknown section, ...);
//  - PERMISSION_DENIED: the actor's role, or the restriction, forbids it;
//  - FAILED_PRECONDITION: not allowed in the plan's state (names the state,
//    or for an approval every missing mandatory field).
#ifndef CARELEDGER_LEDGER_PLAN_RULES_H_
#define CARELEDGER_LEDGER_PLAN_RULES_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/access.pb.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan_state.pb.h"
#include "ledger/directory.h"
#include "ledger/limits.h"

namespace careledger::ledger {

// What a plan command is decided against.
struct PlanContext {
  const careledger::v1::PlanState& plan;  // empty when the stream has no event
  std::uint64_t stream_seq = 0;           // the plan stream's last stream_seq
  const Directory& directory;
  absl::Time now;
};

// An accepted plan command.
struct PlanDecision {
  // Events for the patient's stream, with only their body set.
  std::vector<careledger::v1::Event> events;
  // For a granted read: its access record, and what it may show.
  std::optional<careledger::v1::AccessRecorded> access;
  std::optional<careledger::v1::ViewGrant> view;
};

// True for the commands this file decides (the plan workflow and reads).
bool IsPlanCommand(const careledger::v1::Command& command);

// Decides a plan command whose actor has met the access prerequisites.
absl::StatusOr<PlanDecision> DecidePlanCommand(const PlanContext& context,
                                               const careledger::v1::Command& command);

// A ViewPlan: the grant and access record, or why it is refused. Part of
// DecidePlanCommand; exposed for plan_rules.cc.
absl::StatusOr<PlanDecision> DecideView(const PlanContext& context,
                                        const careledger::v1::Command& command);

// Whether the plan's restriction lets `user_id` in (true when unrestricted).
bool RestrictionAllows(const careledger::v1::PlanState& plan, const std::string& user_id);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_PLAN_RULES_H_
