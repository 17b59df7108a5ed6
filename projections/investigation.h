// Investigation rules (docs/domain.md, "Investigation rules"): what looks
// wrong in the audit trail, raised as alerts, each with its reason for
// people and the audit records that are its evidence.
//
// Rules are evaluated on demand over a time range of the audit trail
// (audit_queries.h, ListAll, a page at a time), never stored at projection
// time: thresholds change without a rebuild, and the same trail and
// thresholds always give the same alerts with the same ids. An alert's id is
// "<rule>/<partition>-<offset>": the rule and the log position of the audit
// record that raised it. Repeats fold: a record that would raise the same
// rule at the same severity for the same user, device and patient as an alert
// already raised in [from, to) is added to that alert's evidence and counted
// in its `occurrences` (`last_at` its time) instead of raising another, so a
// user reading one patient forty times is one alert, not forty. (The window
// rules raise once per crossing anyway.) An auditor's review of an alert is a signed event
// (AlertReviewed, ledger/alert_review_rules.h), projected into the family
// `alert_reviews`; Investigate attaches each alert's latest review, the
// investigation cases it is in (case_ids; projections/investigation_cases.h)
// and the name the directory has now for its user (actor_name).
//
// Which records count: granted reads (AUDIT_KIND_READ) and refused attempts
// (AUDIT_KIND_REFUSED); never changes, and never the auditors' own audit
// queries (AUDIT_KIND_AUDIT_QUERY).
//
//   rule                 raised by                                        severity
//   break_glass          a granted read through break-glass                MEDIUM
//   restricted_record    a refused attempt on a restricted plan (a read,    MEDIUM
//                        command or audit query of "patient/<nhs>"); a
//                        granted read of a restricted plan, without         HIGH
//                        break-glass, by someone not named on it then
//   no_relationship      a clinician's or administrator's read where the   MEDIUM
//                        user's organisation is not the GP practice, not
//                        a contributor (started, edited or was submitted
//                        the plan), not a contact's, and the user did not
//                        start it, was not submitted or named on it
//   family_or_neighbour  a professional's read of a relative (the family   HIGH
//                        name and the address or postcode shared) or of a
//                        neighbour (the postcode, address or street        MEDIUM
//                        shared); a shared family name alone raises nothing
//   own_record           a professional's read of their own plan (the      HIGH
//                        user's NHS number is the patient's, however
//                        either was written)
//   deceased             a read more than deceased_days after the death    MEDIUM
//   out_of_hours         a read outside working hours (local time, or a    LOW
//                        weekend or bank holiday) that the reader's role
//                        and organisation do not explain: a clinician at
//                        a 24-hour organisation type works shifts; an
//                        administrator or CMC team member keeps office
//                        hours even there; urgent care is never judged
//   many_patients        a user's reads of more than many_patients         HIGH
//                        distinct patients within many_patients_minutes
//   unregistered_device  a professional's read or refused attempt from a   HIGH (read)
//                        device that was not registered to their           MEDIUM (refused)
//                        organisation, revoked, or whose licence was older
//                        than licence_months at the time
//   repeated_refusals    `refusals` refused attempts by one user within    MEDIUM
//                        refusals_minutes
//
// The two window rules raise once per crossing: when a user's count in the
// window ending at one of their records goes over the threshold, having not
// been over it at their previous record. The scan starts two windows before
// `from` (without raising there), so a window rule's alerts in [from, to)
// do not depend on `from`.
//
// One user's alerts (InvestigationRequest::user_id): every rule judges a
// record by that record and its own user's other records only (the windows
// count one user's records; repeats fold per user, device and patient;
// ranking corroborates per user and patient), never by another user's. So
// examining only one user's records (read from the by-user index, the cost
// that of their trail, not of the whole log's range) raises exactly the
// alerts the investigation of every user raises for that user: the same
// ids, reasons, evidence, occurrences, risk, reviews and cases, in the same
// relative order. Only records_examined differs: it counts that user's
// records.
//
// What the store holds is the current state of plans and of the directory;
// the rules read it as follows (docs/domain.md has the reasons):
//   - relationships and names: the plan's current published version and
//     working draft, and the version the read showed; contributors, the
//     submission and the restriction as they are now (a superset of the
//     past: contributors are never removed);
//   - a restriction's named users at the time of the read (from the plan's
//     history when it changed since);
//   - users: their directory record now (family name, address, postcode,
//     NHS number);
//   - devices: the directory record now; revocation and the licence are
//     judged only when that record was written before the access (a device
//     re-recorded since is judged on registration and organisation only);
//   - deaths: the date of death recorded now.
//
// Ranking: each alert's `risk` is its severity's weight (HIGH 60, MEDIUM
// 30, LOW 10), plus kCorroborationWeight for every other rule raised on the
// same user and patient in the range (a relative's plan read at night with
// no relationship is likelier a breach than any one of those alone), plus
// one for each repeat folded into it (at most kMaxRepeatWeight). The
// queue (`careledger audit alerts`, GET /v1/audit/alerts) lists the
// riskiest first.
//
// Layout: each rule lives in projections/investigation/rules/<rule>.cc;
// the facts they look up, their text helpers and thresholds beside them.
//
// Thread safety: Investigate may be called from any thread, also while a
// projector is committing (each page is one consistent read).
#ifndef CARELEDGER_PROJECTIONS_INVESTIGATION_H_
#define CARELEDGER_PROJECTIONS_INVESTIGATION_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "careledger/v1/audit.pb.h"
#include "careledger/v1/directory.pb.h"
#include "projections/projection_store.h"

namespace careledger::projections {

// Every rule, in the order the alerts raised by one record are listed.
inline constexpr std::array<std::string_view, 10> kInvestigationRules = {
    "break_glass",         "restricted_record", "no_relationship", "family_or_neighbour",
    "own_record",          "deceased",          "out_of_hours",    "many_patients",
    "unregistered_device", "repeated_refusals"};

// The rules' thresholds, with their defaults. Each is set by name with
// SetThreshold ("key=value"; `careledger audit alerts --threshold`).
struct RuleThresholds {
  // deceased: reads more than this many days after the date of death.
  int deceased_days = 30;
  // out_of_hours: working hours on weekdays, [start, end) in minutes after
  // local midnight ("working_hours=08:00-18:30"), in `time_zone` (an IANA
  // name; UTC, with a note, when it cannot be loaded); weekends and
  // `bank_holidays` are out of hours all day.
  int working_day_start = 8 * 60;
  int working_day_end = 18 * 60 + 30;
  std::string time_zone = "Europe/London";
  std::vector<absl::CivilDay> bank_holidays;  // none by default
  // Organisations of these types work around the clock: their users in
  // out_of_hours_shift_roles work shifts there.
  std::vector<careledger::v1::OrganisationType> out_of_hours_exempt = {
      careledger::v1::ORGANISATION_TYPE_HOSPITAL,
      careledger::v1::ORGANISATION_TYPE_HOSPICE,
      careledger::v1::ORGANISATION_TYPE_CARE_HOME,
      careledger::v1::ORGANISATION_TYPE_AMBULANCE_SERVICE,
      careledger::v1::ORGANISATION_TYPE_NHS_111,
      careledger::v1::ORGANISATION_TYPE_OUT_OF_HOURS_GP,
  };
  // The roles that work their organisation's hours. Other judged roles
  // (administrators, the CMC team) keep office hours wherever they work.
  std::vector<careledger::v1::Role> out_of_hours_shift_roles = {careledger::v1::ROLE_CLINICIAN};
  // Organisations (ODS codes) every user of which works around the clock,
  // whatever the organisation's type (a GP practice running an extended-hours
  // hub). None by default.
  std::vector<std::string> out_of_hours_exempt_orgs;
  // many_patients: more than this many distinct patients read within the
  // window.
  int many_patients = 20;
  int many_patients_minutes = 60;
  // repeated_refusals: this many refused attempts within the window.
  int refusals = 5;
  int refusals_minutes = 60;
  // unregistered_device: a device licence is valid this many months.
  int licence_months = 9;
};

// Sets one threshold from "key=value" (keys as ThresholdValues names them).
// INVALID_ARGUMENT naming the problem, and the keys, otherwise.
absl::Status SetThreshold(std::string_view assignment, RuleThresholds* thresholds);

// Every threshold as (key, value) text, in a fixed order: what SetThreshold
// accepts, for showing what an investigation used.
std::vector<std::pair<std::string, std::string>> ThresholdValues(const RuleThresholds& thresholds);

// The order of an investigation's alerts.
enum class AlertOrder {
  kTime,  // by the raising record (time, then log position), then by rule
  kRisk,  // riskiest first (`risk`, see "Ranking"); ties in time order
};

inline constexpr int kCorroborationWeight = 20;
inline constexpr int kMaxRepeatWeight = 10;

// Sets each alert's `risk` (see "Ranking") and orders them by `order`;
// `alerts` must be in time order.
void RankAlerts(AlertOrder order, std::vector<careledger::v1::Alert>* alerts);

struct InvestigationRequest {
  // The records examined: recorded in [from, to); infinite = unbounded.
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  RuleThresholds thresholds;
  // Only these rules (names of kInvestigationRules); empty = every rule.
  std::vector<std::string> rules;
  // Only the records of this acting user (see "One user's alerts"); "" =
  // every user's.
  std::string user_id;
  AlertOrder order = AlertOrder::kTime;
};

struct Investigation {
  // In the request's order, each with its `risk`.
  std::vector<careledger::v1::Alert> alerts;
  std::uint64_t records_examined = 0;  // audit entries in [from, to) (of user_id, if set)
  std::string time_zone;               // the zone out-of-hours was judged in
  std::vector<std::string> notes;      // for people: approximations made
};

// Runs the rules over the audit trail in `store`. INVALID_ARGUMENT for an
// unknown rule or from >= to; other errors from the store.
absl::StatusOr<Investigation> Investigate(const ProjectionStore& store,
                                          const InvestigationRequest& request);

// Every review of `alert_id`, oldest first (the last is the one in force).
absl::StatusOr<std::vector<careledger::v1::AlertReview>> ListAlertReviews(
    const ProjectionStore& store, std::string_view alert_id);

// "<rule>/<partition>-<offset>".
std::string AlertId(std::string_view rule, const careledger::v1::EventPosition& raised_by);

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_INVESTIGATION_H_
