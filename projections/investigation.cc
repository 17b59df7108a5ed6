// The investigation's driver: reads the audit trail in [from, to) a page at
// a time, hands each record to the rules (projections/investigation/rules/,
// one file each), attaches reviews and ranks the alerts. The rules, their
// thresholds and the facts they look up live in projections/investigation/.
#include "projections/investigation.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "events/time_util.h"
#include "projections/audit_queries.h"
#include "projections/directory_queries.h"
#include "projections/internal/keys.h"
#include "projections/investigation/alert_sink.h"
#include "projections/investigation/facts.h"
#include "projections/investigation/rules.h"
#include "projections/investigation/window.h"
#include "projections/investigation_cases.h"

namespace careledger::projections {
namespace {

using careledger::v1::Alert;
using careledger::v1::AuditEntry;
using careledger::v1::EventPosition;
using investigation::Examined;
using investigation::RuleScope;
using investigation::Window;

class Investigator {
 public:
  Investigator(const ProjectionStore& store, const InvestigationRequest& request)
      : store_(store), request_(request), facts_(&store) {
    for (std::string_view rule : kInvestigationRules) {
      enabled_.emplace(rule, request.rules.empty() ||
                                 std::find(request.rules.begin(), request.rules.end(), rule) !=
                                     request.rules.end());
    }
    if (absl::LoadTimeZone(request.thresholds.time_zone, &zone_)) {
      result_.time_zone = request.thresholds.time_zone;
    } else {
      zone_ = absl::UTCTimeZone();
      result_.time_zone = "UTC";
      result_.notes.push_back(fmt::format(
          "time zone {} could not be loaded (is tzdata installed?): out of hours and days "
          "after a death are judged in UTC",
          request.thresholds.time_zone));
    }
  }

  absl::StatusOr<Investigation> Run() {
    // Window rules look back: start two windows early, raising nothing there.
    const int longest =
        std::max(request_.thresholds.many_patients_minutes, request_.thresholds.refusals_minutes);
    AuditPageRequest page;
    page.from = request_.from == absl::InfinitePast()
                    ? absl::InfinitePast()
                    : request_.from - absl::Minutes(2 * static_cast<std::int64_t>(longest));
    page.to = request_.to;
    page.limit = kMaxAuditPageSize;
    page.annotate = false;  // the rules use neither site nor actor_name
    const AuditQueries queries(&store_);
    for (;;) {
      absl::StatusOr<AuditPage> entries = request_.user_id.empty()
                                              ? queries.ListAll(page)
                                              : queries.ListByUser(request_.user_id, page);
      if (!entries.ok()) return entries.status();
      for (const AuditEntry& entry : entries->entries) {
        if (absl::Status examined = Examine(entry); !examined.ok()) return examined;
      }
      if (entries->next_page_token.empty()) break;
      page.page_token = entries->next_page_token;
    }
    result_.alerts = std::move(sink_.alerts());
    for (Alert& alert : result_.alerts) {
      absl::StatusOr<std::vector<careledger::v1::AlertReview>> reviews =
          ListAlertReviews(store_, alert.alert_id());
      if (!reviews.ok()) return reviews.status();
      if (!reviews->empty()) *alert.mutable_review() = std::move(reviews->back());
    }
    if (absl::Status named = AttachCasesAndNames(); !named.ok()) return named;
    RankAlerts(request_.order, &result_.alerts);
    return std::move(result_);
  }

 private:
  bool On(std::string_view rule) const { return enabled_.at(rule); }

  // Each alert's cases (family `cases`) and its actor's name in the
  // directory as it stands now (one read per distinct user).
  absl::Status AttachCasesAndNames() {
    if (result_.alerts.empty()) return absl::OkStatus();
    absl::StatusOr<std::map<std::string, std::vector<std::string>>> cases = CasesByAlert(store_);
    if (!cases.ok()) return cases.status();
    const DirectoryQueries directory(&store_);
    std::map<std::string, std::string> names;
    for (Alert& alert : result_.alerts) {
      if (auto it = cases->find(alert.alert_id()); it != cases->end()) {
        for (const std::string& case_id : it->second) alert.add_case_ids(case_id);
      }
      const std::string& user_id = alert.actor().user_id();
      if (user_id.empty()) continue;
      auto named = names.find(user_id);
      if (named == names.end()) {
        absl::StatusOr<careledger::v1::DirectoryUser> row = directory.GetUser(user_id);
        if (!row.ok() && !absl::IsNotFound(row.status())) return row.status();
        named = names.emplace(user_id, row.ok() ? row->user().name() : std::string()).first;
      }
      alert.set_actor_name(named->second);
    }
    return absl::OkStatus();
  }

  absl::Status Examine(const AuditEntry& entry) {
    const absl::Time at = events::FromTimestamp(entry.at());
    const bool in_range = at >= request_.from;
    if (in_range) ++result_.records_examined;
    const bool read = entry.kind() == careledger::v1::AUDIT_KIND_READ;
    const bool refused = entry.kind() == careledger::v1::AUDIT_KIND_REFUSED;
    const careledger::v1::Actor& actor = entry.actor();
    if ((!read && !refused) || actor.user_id().empty() ||
        actor.role() == careledger::v1::ROLE_SYSTEM) {
      return absl::OkStatus();
    }
    Examined record{.entry = entry, .at = at, .read = read};
    RuleScope scope{request_.thresholds, zone_, result_.time_zone, facts_, sink_};
    if (in_range) {
      if (absl::Status found = Look(&record); !found.ok()) return found;
      if (absl::Status checked = CheckRecord(scope, record); !checked.ok()) return checked;
    }
    Windows& windows = windows_[actor.user_id()];
    if (On("many_patients")) ManyPatients(scope, record, in_range, &windows.reads);
    if (in_range && On("unregistered_device")) {
      if (absl::Status checked = UnregisteredDevice(scope, record); !checked.ok()) return checked;
    }
    if (On("repeated_refusals")) RepeatedRefusals(scope, record, in_range, &windows.refusals);
    return absl::OkStatus();
  }

  // The patient's plan now and, for a read of a published version, the
  // content it showed.
  absl::Status Look(Examined* record) {
    const AuditEntry& entry = record->entry;
    const std::string& nhs = entry.nhs_number();
    if (nhs.empty()) return absl::OkStatus();
    absl::StatusOr<const investigation::Patient*> patient = facts_.FindPatient(nhs);
    if (!patient.ok()) return patient.status();
    record->patient = *patient;
    if (record->read && entry.version() > 0 &&
        (entry.view() == careledger::v1::PLAN_VIEW_PUBLISHED ||
         entry.view() == careledger::v1::PLAN_VIEW_VERSION)) {
      absl::StatusOr<const investigation::Content*> shown =
          facts_.FindVersion(nhs, entry.version());
      if (!shown.ok()) return shown.status();
      record->shown = *shown;
    }
    return absl::OkStatus();
  }

  // The single-record rules before the windows, in rule order.
  absl::Status CheckRecord(RuleScope& scope, const Examined& record) {
    if (On("break_glass")) BreakGlass(scope, record);
    if (On("restricted_record")) {
      if (absl::Status checked = RestrictedRecord(scope, record); !checked.ok()) return checked;
    }
    if (On("no_relationship")) NoRelationship(scope, record);
    if (On("family_or_neighbour")) {
      if (absl::Status checked = FamilyOrNeighbour(scope, record); !checked.ok()) return checked;
    }
    if (On("own_record")) {
      if (absl::Status checked = OwnRecord(scope, record); !checked.ok()) return checked;
    }
    if (On("deceased")) Deceased(scope, record);
    if (On("out_of_hours")) return OutOfHours(scope, record);
    return absl::OkStatus();
  }

  struct Windows {
    Window reads;
    Window refusals;
  };

  const ProjectionStore& store_;
  const InvestigationRequest& request_;
  investigation::Facts facts_;
  investigation::AlertSink sink_;
  std::map<std::string_view, bool> enabled_;
  absl::TimeZone zone_;
  Investigation result_;
  std::map<std::string, Windows> windows_;
};

int SeverityWeight(careledger::v1::AlertSeverity severity) {
  switch (severity) {
    case careledger::v1::ALERT_SEVERITY_HIGH:
      return 60;
    case careledger::v1::ALERT_SEVERITY_MEDIUM:
      return 30;
    case careledger::v1::ALERT_SEVERITY_LOW:
      return 10;
    default:
      return 0;
  }
}

}  // namespace

void RankAlerts(AlertOrder order, std::vector<Alert>* alerts) {
  // The distinct rules raised on each (user, patient) pair: several rules on
  // one pair corroborate each other (a relative's plan read at night with no
  // relationship is likelier a breach than any one of those alone).
  std::map<std::pair<std::string, std::string>, std::set<std::string>> rules_on_pair;
  for (const Alert& alert : *alerts) {
    if (alert.nhs_number().empty()) continue;
    rules_on_pair[{alert.actor().user_id(), alert.nhs_number()}].insert(alert.rule());
  }
  for (Alert& alert : *alerts) {
    int risk = SeverityWeight(alert.severity());
    if (!alert.nhs_number().empty()) {
      const std::size_t rules = rules_on_pair[{alert.actor().user_id(), alert.nhs_number()}].size();
      risk += kCorroborationWeight * static_cast<int>(rules - 1);
    }
    risk += std::min(alert.occurrences() - 1, kMaxRepeatWeight);
    alert.set_risk(risk);
  }
  // kTime: they are in recorded order already (the rules raise as they read).
  if (order == AlertOrder::kRisk) {
    std::stable_sort(alerts->begin(), alerts->end(),
                     [](const Alert& a, const Alert& b) { return a.risk() > b.risk(); });
  }
}

std::string AlertId(std::string_view rule, const EventPosition& raised_by) {
  return fmt::format("{}/{}-{}", rule, raised_by.partition(), raised_by.offset());
}

absl::StatusOr<Investigation> Investigate(const ProjectionStore& store,
                                          const InvestigationRequest& request) {
  for (const std::string& rule : request.rules) {
    if (std::find(kInvestigationRules.begin(), kInvestigationRules.end(), rule) ==
        kInvestigationRules.end()) {
      return absl::InvalidArgumentError(
          fmt::format("no investigation rule is called '{}' (rules: {})", rule,
                      fmt::join(kInvestigationRules, ", ")));
    }
  }
  if (request.from >= request.to) {
    return absl::InvalidArgumentError(
        "the investigation's time range is empty: from must be before to");
  }
  Investigator investigator(store, request);
  return investigator.Run();
}

absl::StatusOr<std::vector<careledger::v1::AlertReview>> ListAlertReviews(
    const ProjectionStore& store, std::string_view alert_id) {
  std::vector<careledger::v1::AlertReview> reviews;
  absl::Status parsed = absl::OkStatus();
  absl::Status scanned =
      store.Scan(StoreFamily::kAlertReviews, internal::AuditIndexPrefix(alert_id),
                 [&](std::string_view, std::string_view value) {
                   careledger::v1::AlertReview& review = reviews.emplace_back();
                   if (!review.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                     parsed = absl::DataLossError(fmt::format(
                         "an unreadable review of alert {} in the projection", alert_id));
                     return false;
                   }
                   return true;
                 });
  if (!scanned.ok()) return scanned;
  if (!parsed.ok()) return parsed;
  return reviews;
}

}  // namespace careledger::projections