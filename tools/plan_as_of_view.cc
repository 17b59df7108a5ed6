#include "tools/plan_as_of_view.h"

#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "access/london_time.h"
#include "access/plan_read.h"
#include "events/plan_fold.h"
#include "events/sha256.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/plan_view.h"

namespace careledger::tools {
namespace {

using access::Cause;

std::string UtcText(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

nlohmann::json CauseJson(const std::optional<Cause>& cause) {
  if (!cause) return nullptr;
  return {{"partition", cause->position.partition()},
          {"offset", cause->position.offset()},
          {"stream_seq", cause->position.stream_seq()},
          {"value_hash", Base64(cause->position.value_hash())},
          {"action", cause->action},
          {"user", cause->actor.user_id()},
          {"role", careledger::v1::Role_Name(cause->actor.role())},
          {"organisation", cause->actor.organisation()},
          {"recorded_at", UtcText(cause->recorded_at)},
          {"recorded_at_london", access::FormatLondonTime(cause->recorded_at)},
          {"key_id", cause->key_id},
          {"signature", "verified"}};
}

std::string CauseText(const std::optional<Cause>& cause) {
  if (!cause) return "";
  return fmt::format(
      "\n      made so by {} (seq {}, partition {} offset {}) at {} by {} ({}, {}), "
      "signed by {}",
      cause->action, cause->position.stream_seq(), cause->position.partition(),
      cause->position.offset(), access::FormatLondonTime(cause->recorded_at),
      cause->actor.user_id(), ShortEnum(careledger::v1::Role_Name(cause->actor.role()), 5),
      cause->actor.organisation(), cause->key_id);
}

std::string ContentText(const careledger::v1::CarePlan& plan) {
  return events::HashHex(events::PlanContentHash(plan)).substr(0, 12);
}

}  // namespace

nlohmann::json PlanAsOfJson(const access::PlanAsOf& answer) {
  const careledger::v1::PlanState& state = answer.state;
  nlohmann::json document;
  document["as_of"] = UtcText(answer.as_of);
  document["as_of_london"] = access::FormatLondonTime(answer.as_of);
  document["existed"] = answer.existed;
  document["records_folded"] = answer.folded.size();
  if (answer.existed) {
    document["status"] = careledger::v1::PlanStatus_Name(answer.status);
    document["state"] = nlohmann::json::parse(
        ToJsonLine(access::ShownState(state, careledger::v1::PLAN_VIEW_HISTORY)));
    document["published_version"] = state.published_version();
    document["urgent_care_view"] = answer.urgent_care_view
                                       ? nlohmann::json::parse(ToJsonLine(*answer.urgent_care_view))
                                       : nlohmann::json(nullptr);
    document["urgent_care_content_hash"] =
        answer.urgent_care_view
            ? nlohmann::json(events::HashHex(events::PlanContentHash(*answer.urgent_care_view)))
            : nlohmann::json(nullptr);
    document["draft"] = state.draft_pending() ? nlohmann::json::parse(ToJsonLine(state.draft()))
                                              : nlohmann::json(nullptr);
    document["draft_content_hash"] =
        state.draft_pending()
            ? nlohmann::json(events::HashHex(events::PlanContentHash(state.draft())))
            : nlohmann::json(nullptr);
    document["made_by"] = {{"status", CauseJson(answer.status_by)},
                           {"published", CauseJson(answer.published_by)},
                           {"draft", CauseJson(answer.draft_by)},
                           {"restriction", CauseJson(answer.restriction_by)},
                           {"consent", CauseJson(answer.consent_by)},
                           {"death", CauseJson(answer.death_by)},
                           {"last", CauseJson(answer.last_by)}};
  }
  return document;
}

int PrintPlanAsOf(const access::PlanAsOf& answer, const careledger::v1::CommandResult& access,
                  bool json) {
  const careledger::v1::PlanState& state = answer.state;
  const int exit_code = answer.existed ? kExitOk : kExitNoPlanThen;
  if (json) {
    nlohmann::json document = PlanAsOfJson(answer);
    document["access"] = nlohmann::json::parse(ToJsonLine(access));
    PrintJson(document);
    return exit_code;
  }
  std::cout << fmt::format("access recorded: {} seq {} (partition {}, offset {}){}\n",
                           access.stream_id(), access.stream_seq(), access.partition(),
                           access.offset(),
                           access.view().break_glass() ? "  ** BREAK-GLASS **" : "");
  const std::string when =
      fmt::format("{} ({})", access::FormatLondonTime(answer.as_of), UtcText(answer.as_of));
  if (!answer.existed) {
    std::cout << fmt::format("no care plan existed at {}: the plan was started later\n", when);
    return exit_code;
  }
  std::cout << fmt::format(
      "plan {} as it was at {}, folded from {} signed record{} of the log, verified\n",
      state.nhs_number(), when, answer.folded.size(), answer.folded.size() == 1 ? "" : "s");
  std::cout << fmt::format("  status: {}{}\n",
                           ShortEnum(careledger::v1::PlanStatus_Name(answer.status), 12),
                           CauseText(answer.status_by));
  if (answer.urgent_care_view) {
    std::cout << fmt::format(
        "  urgent care would have seen: published version {} (content {}){}{}\n",
        state.published_version(), ContentText(*answer.urgent_care_view),
        state.has_restriction() ? ", only through break-glass (restricted)" : "",
        CauseText(answer.published_by));
  } else {
    std::cout << fmt::format(
        "  urgent care would have seen: nothing ({}){}\n",
        state.published_version() == 0 ? "no version published yet" : "consent withdrawn",
        CauseText(state.published_version() == 0 ? answer.status_by : answer.consent_by));
  }
  if (state.draft_pending()) {
    std::cout << fmt::format("  working draft: pending (content {}){}\n",
                             ContentText(state.draft()), CauseText(answer.draft_by));
  } else {
    std::cout << fmt::format("  working draft: none{}\n", CauseText(answer.draft_by));
  }
  std::cout << fmt::format("  restriction: {}{}\n",
                           state.has_restriction()
                               ? fmt::format("restricted, set by {}", state.restriction().by_user())
                               : std::string("none"),
                           CauseText(answer.restriction_by));
  const careledger::v1::CarePlan& consent_plan =
      state.published_version() > 0 ? state.published() : state.draft();
  std::cout << fmt::format(
      "  consent: {}{}\n",
      state.has_withdrawal() ? std::string("WITHDRAWN") : ToJsonLine(consent_plan.consent()),
      CauseText(answer.consent_by));
  std::cout << fmt::format("  death: {}{}\n",
                           state.has_death() ? ToJsonLine(state.death()) : std::string("none"),
                           CauseText(answer.death_by));
  if (answer.urgent_care_view) {
    std::cout << fmt::format("  published version {}:\n", state.published_version());
    PrintCarePlan(*answer.urgent_care_view, std::cout);
  }
  if (state.draft_pending()) {
    std::cout << "  working draft, not visible to urgent care:\n";
    PrintCarePlan(state.draft(), std::cout);
  }
  return exit_code;
}

}  // namespace careledger::tools
