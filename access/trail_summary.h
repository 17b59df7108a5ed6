// The summary of a whole audit trail over a range: what the workbench's
// patient, user and organisation views chart (who has looked, the busiest
// users, the hour-by-weekday heat map), counted by the server over every
// entry of the range, however many, so that the figures an auditor reads
// never stand for the newest page only.
//
// Every figure is a count over the same entries the trail's pages list
// (projections/audit_queries.h) for the same subject and range, in any
// order; no entry is counted twice and none left out.
#ifndef CARELEDGER_ACCESS_TRAIL_SUMMARY_H_
#define CARELEDGER_ACCESS_TRAIL_SUMMARY_H_

#include <array>
#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/audit.pb.h"
#include "careledger/v1/commands.pb.h"
#include "projections/projection_store.h"

namespace careledger::access {

struct AuditRange;

// One row of "who has looked": a user's reads (AUDIT_KIND_READ) and
// refusals (AUDIT_KIND_REFUSED), keyed by the organisation, user id, role
// and name as their entries carry them (a user acting for two organisations
// or in two roles is two rows). Changes and audit queries are not looks.
struct Looker {
  std::string organisation;  // "" when the entry names none
  std::string user_id;
  std::string role;  // the Role's name, "ROLE_CLINICIAN"
  std::string name;  // the entries' actor_name ("" when the directory does not know them)
  std::size_t reads = 0;
  std::size_t refusals = 0;
};

// One row of the busiest users: everything a user id did in the range.
struct BusyUser {
  std::string user_id;  // "" for entries with no acting user
  std::string role;     // the role on the user's newest entry in the range
  std::size_t reads = 0;
  std::size_t refusals = 0;
  std::size_t patients = 0;  // distinct NHS numbers across all their entries
};

struct TrailSummary {
  std::size_t entries = 0;
  std::size_t reads = 0;          // AUDIT_KIND_READ
  std::size_t refusals = 0;       // AUDIT_KIND_REFUSED (outcome DENIED)
  std::size_t changes = 0;        // AUDIT_KIND_CHANGE
  std::size_t audit_queries = 0;  // AUDIT_KIND_AUDIT_QUERY
  std::size_t break_glass = 0;    // entries with break_glass set (reads and refused reads)
  std::size_t patients = 0;       // distinct non-empty NHS numbers
  // The earliest and latest entry's time; both unset when there are no
  // entries.
  absl::Time first_at = absl::InfiniteFuture();
  absl::Time last_at = absl::InfinitePast();
  // Every entry by London weekday (0 = Monday) and hour: LondonWeekdayHour.
  std::array<std::array<std::size_t, 24>, 7> by_weekday_hour{};
  std::string time_zone;  // LondonZoneName()
  // Ordered by organisation, user id, role and name.
  std::vector<Looker> who_looked;
  // Most reads first; equal reads by user id.
  std::vector<BusyUser> busiest;
};

// Counts entries one at a time, in any order, then hands over the summary.
class TrailSummariser {
 public:
  void Add(const careledger::v1::AuditEntry& entry);
  TrailSummary Finish() &&;

 private:
  struct UserTally {
    BusyUser row;
    absl::Time role_at = absl::InfinitePast();
    std::set<std::string> patients;
  };
  TrailSummary summary_;
  std::set<std::string> patients_;
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Looker> lookers_;
  std::map<std::string, UserTally> users_;
};

// The summary of every entry of `query`'s trail (scope PATIENT, USER or
// ORGANISATION; its subject) over `range` in `store`, read a page at a time
// (WriteTrail) in memory bounded by the distinct users and patients. Shows
// nothing by itself: call it only after the query's grant (audit_read.h).
// INVALID_ARGUMENT for another scope; the store's errors.
absl::StatusOr<TrailSummary> SummariseTrail(const projections::ProjectionStore& store,
                                            const careledger::v1::AuditQuery& query,
                                            const AuditRange& range);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_TRAIL_SUMMARY_H_
