// The plan as it was at a past instant (`careledger plan show --as-of`,
// the service's `GET /v1/patients/{nhs}/plan?as_of=`): docs/governance.md,
// "The plan at a past moment".
//
// The read is a ViewPlan with `as_of` set, decided by the ledger like a
// HISTORY read and recorded (AccessRecorded with `as_of`) before anything is
// shown: ReadPlanAsOf goes through ReadPlan (plan_read.h) for that. The
// answer is then folded (events/plan_fold.h) from the patient's stream as
// the signed log holds it: every record of `patient/<NHS number>` up to the
// granted stream_seq is found through the history projection, read from the
// log and verified (signature, the position's value hash, sequence, chain)
// by a StreamRecords, and the fold takes the stream's records in order
// while their recorded_at is at or before the instant (a stream is written
// by one writer at a time, whose clock is monotone, so this is the prefix of
// the stream recorded by then). Each part of the answer names the signed
// record that made it so.
#ifndef CARELEDGER_ACCESS_PLAN_AS_OF_H_
#define CARELEDGER_ACCESS_PLAN_AS_OF_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "access/plan_read.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/projection.pb.h"
#include "events/envelope.h"

namespace careledger::access {

// Reads one record of the log, verified: the record at `position`, whose
// value hash is `position.value_hash()` (when set) and whose signature
// checks against the keyring. DATA_LOSS when it is not, or does not verify.
// (Both front ends read through access/log_lookup.h: LogStreamRecords.)
class StreamRecords {
 public:
  virtual ~StreamRecords() = default;
  virtual absl::StatusOr<events::OpenedRecord> ReadVerified(
      const careledger::v1::EventPosition& position) = 0;
};

// The signed record that made one part of the plan what it was.
struct Cause {
  careledger::v1::EventPosition position;  // partition, offset, stream_seq, value hash
  std::string action;                      // the event body's name: "plan_approved", ...
  careledger::v1::Actor actor;
  absl::Time recorded_at;
  std::string key_id;  // the ledger key that signed it
};

// The plan at `as_of`. Every cause is unset while that part was never set
// by then (no publication, no restriction, no death, ...); a part that was
// set and cleared again (a restriction lifted) names the clearing record.
struct PlanAsOf {
  absl::Time as_of;
  // False: no record of the plan stream was recorded at or before `as_of`
  // (the plan did not exist yet); everything below is empty.
  bool existed = false;
  careledger::v1::PlanState state;  // the fold up to as_of
  careledger::v1::PlanStatus status = careledger::v1::PLAN_STATUS_UNSPECIFIED;
  // What urgent care would have been shown by a published read then: the
  // published version unless none was published yet or consent was
  // withdrawn (then nothing: has_value() false). A restricted plan was
  // shown only through break-glass (state.restriction).
  std::optional<careledger::v1::CarePlan> urgent_care_view;
  std::optional<Cause> status_by;                     // the record that set the status
  std::optional<Cause> published_by;                  // the approval of the published version
  std::optional<Cause> draft_by;                      // the last change of the working draft
  std::optional<Cause> restriction_by;                // set or lifted
  std::optional<Cause> consent_by;                    // consent recorded or changed, or withdrawn
  std::optional<Cause> death_by;                      // the death recorded
  std::optional<Cause> last_by;                       // the last record folded
  std::vector<careledger::v1::EventPosition> folded;  // every record folded, in order
  // Every version published by then, as approved (what `audit access`
  // rebuilds a version read from).
  std::map<std::uint64_t, careledger::v1::CarePlan> versions;
};

// Folds the plan stream of `nhs_number` up to `as_of`, from `history` (the
// history projection's entries of this patient, plan_queries.h
// ListHistory; other streams' entries are ignored) limited to stream_seq
// <= `up_to_seq`, each record read and verified through `records`.
// FAILED_PRECONDITION when `history` lacks a record up to `up_to_seq` (the
// projection has not caught up); DATA_LOSS when the log's records do not
// chain or fold.
absl::StatusOr<PlanAsOf> FoldPlanAsOf(const std::vector<careledger::v1::HistoryEntry>& history,
                                      const std::string& nhs_number, std::uint64_t up_to_seq,
                                      absl::Time as_of, StreamRecords& records);

struct PlanAsOfOutcome {
  careledger::v1::CommandResult access;  // the writer's result: the access record, or refusal
  std::optional<PlanAsOf> answer;        // only when granted
  bool granted() const { return answer.has_value(); }
};

// The whole point-in-time read: `command` must carry a view_plan with
// as_of set (INVALID_ARGUMENT otherwise, nothing appended). ReadPlan's
// errors, then FoldPlanAsOf's. A refusal (no plan at all now, a role that
// may not read history, ...) is an outcome without an answer, as ReadPlan's.
absl::StatusOr<PlanAsOfOutcome> ReadPlanAsOf(ledger::Writer& writer,
                                             const careledger::v1::Command& command,
                                             ProjectionFeed& feed, StreamRecords& records,
                                             absl::Time deadline);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_PLAN_AS_OF_H_
