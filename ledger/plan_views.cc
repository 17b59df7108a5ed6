// Reads of a plan (ViewPlan): who may see which view, and the access record
// that is appended before anything is shown. See ledger/plan_rules.h.
#include <fmt/format.h>

#include <algorithm>

#include "events/plan_fold.h"
#include "events/sha256.h"
#include "events/time_util.h"
#include "ledger/nhs_number.h"
#include "ledger/plan_rules.h"

namespace careledger::ledger {
namespace {

using careledger::v1::Command;
using careledger::v1::PlanState;
using careledger::v1::PlanView;
using careledger::v1::Role;

bool IsMyCmc(Role role) {
  return role == careledger::v1::ROLE_PATIENT || role == careledger::v1::ROLE_PROXY_VIEWER;
}

absl::Status CheckViewAllowed(const PlanContext& context, const Command& command, PlanView view) {
  const PlanState& plan = context.plan;
  const Role role = command.actor().role();
  if (plan.lifecycle() == careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED) {
    return absl::FailedPreconditionError("this patient has no care plan");
  }
  if (plan.lifecycle() == careledger::v1::PLAN_LIFECYCLE_ERASED) {
    return absl::FailedPreconditionError(
        "the patient was erased: the plan's content was destroyed and cannot be shown");
  }
  if (plan.lifecycle() == careledger::v1::PLAN_LIFECYCLE_WITHDRAWN &&
      role != careledger::v1::ROLE_AUDITOR) {
    return absl::FailedPreconditionError("consent was withdrawn: the plan is removed from view");
  }
  const bool published_only = role == careledger::v1::ROLE_URGENT_CARE || IsMyCmc(role);
  if (published_only && view != careledger::v1::PLAN_VIEW_PUBLISHED &&
      !(role == careledger::v1::ROLE_URGENT_CARE && view == careledger::v1::PLAN_VIEW_VERSION)) {
    return absl::PermissionDeniedError(
        fmt::format("role {} sees published plans only, never drafts or the edit history",
                    careledger::v1::Role_Name(role)));
  }
  if (IsMyCmc(role)) {
    const DirectoryUser* user = context.directory.FindUser(command.actor().user_id());
    if (role == careledger::v1::ROLE_PATIENT) {
      if (user == nullptr || user->user.nhs_number() != plan.nhs_number()) {
        return absl::PermissionDeniedError("a patient may only see their own plan");
      }
      if (!plan.published().mycmc().subscribed()) {
        return absl::PermissionDeniedError("the plan is not subscribed to myCMC");
      }
    } else {
      const auto& proxies = plan.published().mycmc().proxy_viewers();
      if (std::none_of(proxies.begin(), proxies.end(), [&](const auto& proxy) {
            return proxy.user_id() == command.actor().user_id();
          })) {
        return absl::PermissionDeniedError("this proxy viewer is not named on the plan");
      }
    }
  }
  return absl::OkStatus();
}

// The version, and the hash of the content, that `view` shows.
absl::Status ResolveView(const PlanState& plan, const careledger::v1::ViewPlan& ask,
                         careledger::v1::ViewGrant* grant) {
  switch (grant->view()) {
    case careledger::v1::PLAN_VIEW_PUBLISHED:
    case careledger::v1::PLAN_VIEW_HISTORY:
      if (plan.published_version() == 0 && grant->view() == careledger::v1::PLAN_VIEW_PUBLISHED) {
        return absl::FailedPreconditionError(
            "the plan has no published version yet: it is still a draft");
      }
      grant->set_version(plan.published_version());
      grant->set_content_hash(
          plan.published_version() > 0
              ? plan.version_hashes(static_cast<int>(plan.published_version() - 1))
              : events::HashBytes(events::PlanContentHash(plan.draft())));
      return absl::OkStatus();
    case careledger::v1::PLAN_VIEW_DRAFT:
      if (!plan.draft_pending()) {
        return absl::FailedPreconditionError("the plan has no working draft");
      }
      grant->set_content_hash(events::HashBytes(events::PlanContentHash(plan.draft())));
      return absl::OkStatus();
    case careledger::v1::PLAN_VIEW_VERSION:
      if (ask.version() < 1 || ask.version() > plan.published_version()) {
        return absl::InvalidArgumentError(
            fmt::format("there is no published version {} (the plan has {})", ask.version(),
                        plan.published_version()));
      }
      grant->set_version(ask.version());
      grant->set_content_hash(plan.version_hashes(static_cast<int>(ask.version() - 1)));
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError("unknown view");
  }
}

// A point-in-time read (ViewPlan.as_of) is a HISTORY read: its answer is
// folded from the stream the grant names. The instant must be a valid time
// no later than now.
absl::Status CheckAsOf(const PlanContext& context, const careledger::v1::ViewPlan& ask) {
  if (!ask.has_as_of()) return absl::OkStatus();
  if (ask.view() != careledger::v1::PLAN_VIEW_UNSPECIFIED &&
      ask.view() != careledger::v1::PLAN_VIEW_HISTORY) {
    return absl::InvalidArgumentError("a point-in-time read is a history read: give no view");
  }
  if (ask.as_of().nanos() < 0 || ask.as_of().nanos() >= 1'000'000'000) {
    return absl::InvalidArgumentError("the point-in-time read's instant is not a valid time");
  }
  if (events::FromTimestamp(ask.as_of()) > context.now) {
    return absl::InvalidArgumentError("the point-in-time read's instant is in the future");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PlanDecision> DecideView(const PlanContext& context, const Command& command) {
  const careledger::v1::ViewPlan& ask = command.view_plan();
  if (absl::Status as_of = CheckAsOf(context, ask); !as_of.ok()) return as_of;
  careledger::v1::ViewGrant grant;
  grant.set_view(ask.has_as_of() ? careledger::v1::PLAN_VIEW_HISTORY
                 : ask.view() == careledger::v1::PLAN_VIEW_UNSPECIFIED
                     ? careledger::v1::PLAN_VIEW_PUBLISHED
                     : ask.view());
  if (absl::Status allowed = CheckViewAllowed(context, command, grant.view()); !allowed.ok()) {
    return allowed;
  }
  const Role role = command.actor().role();
  grant.set_restricted(context.plan.has_restriction());
  if (!IsMyCmc(role) && !RestrictionAllows(context.plan, command.actor().user_id())) {
    if (ask.break_glass_reason().empty()) {
      return absl::PermissionDeniedError(
          "the plan is restricted to named users; give a break-glass reason to read it");
    }
    grant.set_break_glass(true);
  }
  if (absl::Status resolved = ResolveView(context.plan, ask, &grant); !resolved.ok()) {
    return resolved;
  }
  grant.set_stream_seq(context.stream_seq);

  PlanDecision decision;
  careledger::v1::AccessRecorded& access = decision.access.emplace();
  access.set_action("view_plan");
  access.set_subject(PatientStream(ask.nhs_number()));
  access.set_nhs_number(ask.nhs_number());
  access.set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
  access.set_view(grant.view());
  access.set_version(grant.version());
  access.set_stream_seq(grant.stream_seq());
  access.set_content_hash(grant.content_hash());
  access.set_restricted(grant.restricted());
  access.set_break_glass(grant.break_glass());
  if (grant.break_glass()) access.set_break_glass_reason(ask.break_glass_reason());
  if (ask.has_as_of()) *access.mutable_as_of() = ask.as_of();
  decision.view = std::move(grant);
  return decision;
}

}  // namespace careledger::ledger
