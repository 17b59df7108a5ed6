#include "projections/investigation_cases.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "events/time_util.h"
#include "projections/directory_queries.h"
#include "projections/internal/keys.h"

namespace careledger::projections {
namespace {

using careledger::v1::CaseEntry;
using careledger::v1::InvestigationCase;

// Every stored entry under `prefix` ("" = every case), in key order.
absl::StatusOr<std::vector<CaseEntry>> ScanEntries(const ProjectionStore& store,
                                                   const std::string& prefix) {
  std::vector<CaseEntry> entries;
  absl::Status parsed = absl::OkStatus();
  absl::Status scanned =
      store.Scan(StoreFamily::kCases, prefix, [&](std::string_view key, std::string_view value) {
        CaseEntry& entry = entries.emplace_back();
        if (!entry.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          parsed = absl::DataLossError(fmt::format(
              "an unreadable case entry in the projection (key of {} bytes)", key.size()));
          return false;
        }
        return true;
      });
  if (!scanned.ok()) return scanned;
  if (!parsed.ok()) return parsed;
  return entries;
}

// The directory's name for each user, read once per user.
class Names {
 public:
  explicit Names(const ProjectionStore& store) : directory_(&store) {}
  absl::StatusOr<std::string> Of(const std::string& user_id) {
    if (user_id.empty()) return std::string();
    auto it = names_.find(user_id);
    if (it == names_.end()) {
      absl::StatusOr<careledger::v1::DirectoryUser> row = directory_.GetUser(user_id);
      if (!row.ok() && !absl::IsNotFound(row.status())) return row.status();
      it = names_.emplace(user_id, row.ok() ? row->user().name() : std::string()).first;
    }
    return it->second;
  }

 private:
  DirectoryQueries directory_;
  std::map<std::string, std::string> names_;
};

bool Matches(const InvestigationCase& found, const CaseFilter& filter) {
  return (filter.status == careledger::v1::CASE_STATUS_UNSPECIFIED ||
          found.status() == filter.status) &&
         (filter.user_id.empty() || found.user_id() == filter.user_id) &&
         (filter.nhs_number.empty() || found.nhs_number() == filter.nhs_number);
}

}  // namespace

InvestigationCase FoldCase(std::vector<CaseEntry> entries) {
  std::sort(entries.begin(), entries.end(),
            [](const CaseEntry& a, const CaseEntry& b) { return a.stream_seq() < b.stream_seq(); });
  InvestigationCase folded;
  std::set<std::string> alerts;
  for (CaseEntry& entry : entries) {
    folded.set_case_id(entry.case_id());
    folded.set_version(entry.stream_seq());
    if (entry.action() == "case_opened") {
      folded.set_title(entry.title());
      folded.set_user_id(entry.user_id());
      folded.set_nhs_number(entry.nhs_number());
      folded.set_status(careledger::v1::CASE_STATUS_OPEN);
      *folded.mutable_opened_by() = entry.actor();
      *folded.mutable_opened_at() = entry.at();
    } else if (entry.action() == "case_alert_added") {
      if (alerts.insert(entry.alert_id()).second) folded.add_alert_ids(entry.alert_id());
    } else if (entry.action() == "case_note_added") {
      folded.set_note_count(folded.note_count() + 1);
    } else if (entry.action() == "case_closed") {
      folded.set_status(careledger::v1::CASE_STATUS_CLOSED);
      folded.set_outcome(entry.outcome());
      *folded.mutable_closed_at() = entry.at();
    }
    *folded.add_entries() = std::move(entry);
  }
  return folded;
}

absl::StatusOr<std::vector<InvestigationCase>> ListCases(const ProjectionStore& store,
                                                         const CaseFilter& filter) {
  absl::StatusOr<std::vector<CaseEntry>> entries = ScanEntries(store, "");
  if (!entries.ok()) return entries.status();
  std::map<std::string, std::vector<CaseEntry>> by_case;
  for (CaseEntry& entry : *entries) by_case[entry.case_id()].push_back(std::move(entry));
  std::vector<InvestigationCase> cases;
  Names names(store);
  for (auto& [case_id, its] : by_case) {
    InvestigationCase folded = FoldCase(std::move(its));
    if (!Matches(folded, filter)) continue;
    folded.clear_entries();
    absl::StatusOr<std::string> name = names.Of(folded.user_id());
    if (!name.ok()) return name.status();
    folded.set_user_name(*name);
    cases.push_back(std::move(folded));
  }
  std::stable_sort(cases.begin(), cases.end(),
                   [](const InvestigationCase& a, const InvestigationCase& b) {
                     const absl::Time at = events::FromTimestamp(a.opened_at());
                     const absl::Time bt = events::FromTimestamp(b.opened_at());
                     return at != bt ? at > bt : a.case_id() < b.case_id();
                   });
  return cases;
}

absl::StatusOr<InvestigationCase> GetCase(const ProjectionStore& store, std::string_view case_id) {
  absl::StatusOr<std::vector<CaseEntry>> entries =
      ScanEntries(store, internal::AuditIndexPrefix(case_id));
  if (!entries.ok()) return entries.status();
  if (entries->empty()) return absl::NotFoundError(fmt::format("no case {}", case_id));
  InvestigationCase folded = FoldCase(*std::move(entries));
  Names names(store);
  absl::StatusOr<std::string> name = names.Of(folded.user_id());
  if (!name.ok()) return name.status();
  folded.set_user_name(*name);
  for (CaseEntry& entry : *folded.mutable_entries()) {
    absl::StatusOr<std::string> actor = names.Of(entry.actor().user_id());
    if (!actor.ok()) return actor.status();
    entry.set_actor_name(*actor);
  }
  return folded;
}

absl::StatusOr<std::map<std::string, std::vector<std::string>>> CasesByAlert(
    const ProjectionStore& store) {
  absl::StatusOr<std::vector<CaseEntry>> entries = ScanEntries(store, "");
  if (!entries.ok()) return entries.status();
  std::map<std::string, std::set<std::string>> sets;
  for (const CaseEntry& entry : *entries) {
    if (entry.action() == "case_alert_added") sets[entry.alert_id()].insert(entry.case_id());
  }
  std::map<std::string, std::vector<std::string>> by_alert;
  for (auto& [alert_id, ids] : sets) by_alert[alert_id].assign(ids.begin(), ids.end());
  return by_alert;
}

}  // namespace careledger::projections
