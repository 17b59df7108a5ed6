#include "access/trail_summary.h"

#include <algorithm>

#include "access/audit_read.h"
#include "access/london_time.h"
#include "careledger/v1/roles.pb.h"
#include "events/time_util.h"
#include "projections/audit_queries.h"

namespace careledger::access {

void TrailSummariser::Add(const careledger::v1::AuditEntry& entry) {
  const absl::Time at = events::FromTimestamp(entry.at());
  const bool read = entry.kind() == careledger::v1::AUDIT_KIND_READ;
  const bool refused = entry.kind() == careledger::v1::AUDIT_KIND_REFUSED;
  ++summary_.entries;
  summary_.reads += read ? 1 : 0;
  summary_.refusals += refused ? 1 : 0;
  summary_.changes += entry.kind() == careledger::v1::AUDIT_KIND_CHANGE ? 1 : 0;
  summary_.audit_queries += entry.kind() == careledger::v1::AUDIT_KIND_AUDIT_QUERY ? 1 : 0;
  summary_.break_glass += entry.break_glass() ? 1 : 0;
  summary_.first_at = std::min(summary_.first_at, at);
  summary_.last_at = std::max(summary_.last_at, at);
  const WeekdayHour cell = LondonWeekdayHour(at);
  ++summary_.by_weekday_hour[cell.weekday][cell.hour];

  const careledger::v1::Actor& actor = entry.actor();
  const std::string role = careledger::v1::Role_Name(actor.role());
  if (!entry.nhs_number().empty()) patients_.insert(entry.nhs_number());
  if (read || refused) {
    Looker& looker = lookers_[{actor.organisation(), actor.user_id(), role, entry.actor_name()}];
    looker.organisation = actor.organisation();
    looker.user_id = actor.user_id();
    looker.role = role;
    looker.name = entry.actor_name();
    looker.reads += read ? 1 : 0;
    looker.refusals += refused ? 1 : 0;
  }
  UserTally& user = users_[actor.user_id()];
  user.row.user_id = actor.user_id();
  if (at >= user.role_at) {
    user.row.role = role;
    user.role_at = at;
  }
  user.row.reads += read ? 1 : 0;
  user.row.refusals += refused ? 1 : 0;
  if (!entry.nhs_number().empty()) user.patients.insert(entry.nhs_number());
}

TrailSummary TrailSummariser::Finish() && {
  summary_.patients = patients_.size();
  summary_.time_zone = LondonZoneName();
  for (auto& [key, looker] : lookers_) summary_.who_looked.push_back(std::move(looker));
  for (auto& [user_id, tally] : users_) {
    tally.row.patients = tally.patients.size();
    summary_.busiest.push_back(std::move(tally.row));
  }
  // users_ is ordered by user id, so equal reads stay in that order.
  std::stable_sort(summary_.busiest.begin(), summary_.busiest.end(),
                   [](const BusyUser& a, const BusyUser& b) { return a.reads > b.reads; });
  return std::move(summary_);
}

absl::StatusOr<TrailSummary> SummariseTrail(const projections::ProjectionStore& store,
                                            const careledger::v1::AuditQuery& query,
                                            const AuditRange& range) {
  // The entries without their site and actor_name (a user's busy day is
  // tens of thousands of them): the lookers, a few, are named at the end,
  // as the entries would have been (the directory's name now, by user id,
  // so the rows group and order the same).
  TrailSummariser summariser;
  absl::StatusOr<std::size_t> visited = WriteTrail(
      store, query, range,
      [&](const careledger::v1::AuditEntry& entry) {
        summariser.Add(entry);
        return true;
      },
      /*annotate=*/false);
  if (!visited.ok()) return visited.status();
  TrailSummary summary = std::move(summariser).Finish();
  const projections::AuditQueries queries(&store);
  std::map<std::string, std::string> names;
  for (Looker& looker : summary.who_looked) {
    if (looker.user_id.empty()) continue;
    auto named = names.find(looker.user_id);
    if (named == names.end()) {
      absl::StatusOr<std::string> name = queries.UserName(looker.user_id);
      if (!name.ok()) return name.status();
      named = names.emplace(looker.user_id, *std::move(name)).first;
    }
    looker.name = named->second;
  }
  return summary;
}

}  // namespace careledger::access
