// AuditProjection: the audit trail (issue "Audit"): one AuditEntry for every
// access record and every plan and directory event, on any stream, indexed
// by patient, by acting user and by their organisation, each in recorded
// order, so that "who has looked at my plan?", "what did this user do?" and
// "what did this organisation's users do?" are range scans over a time
// range, never full scans.
//
//   event                                   entry
//   AccessRecorded, DENIED                  REFUSED (a refused read, command or audit query)
//   AccessRecorded, action "audit_..."      AUDIT_QUERY (auditors are audited)
//   AccessRecorded, otherwise               READ (view, version, stream_seq, content hash shown)
//   plan event (events::IsPlanEvent)        CHANGE on "patient/<nhs>": action = the body's
//                                           field name, stream_seq = the event's; the section
//                                           of an edit, the version and content hash of an
//                                           approval, the note or reason of the others
//   directory event                         CHANGE on its directory stream
//   AlertReviewed                           CHANGE "alert_reviewed" on "audit/alert/<id>": the
//                                           auditor's review (note: "<id> <outcome>: <note>"),
//                                           naming the patient the alert concerns
//   CaseOpened, CaseAlertAdded,             CHANGE "case_opened", ... on "audit/case/<id>",
//   CaseNoteAdded, CaseClosed               naming the case's patient or the alert's
//   checkpoint                              none
//
// Every entry names who (the actor: user, role, organisation), where (device,
// network address; the site is named by the queries, audit_queries.h), when
// (recorded_at), what (action, purpose, outcome, plan version and content
// hash) and the position of the signed record that proves it.
//
// Families (projections/README.md has the layout):
//   audit             AuditKey(recorded_at, partition, offset) -> AuditEntry
//   audit_by_patient  nhs number 0x00 AuditKey -> AuditEntry (entries naming a
//                     patient; a covering index, see below)
//   audit_by_user     user id 0x00 AuditKey -> ""      (entries with an acting user)
//   audit_by_org      ODS code 0x00 AuditKey -> ""     (entries whose actor names one)
//   audit_sites       ODS code 0x00 AuditKey -> AuditSite   (every OrganisationRecorded)
//   alert_reviews     alert id 0x00 AuditKey -> AlertReview (every AlertReviewed)
//   cases             case id 0x00 AuditKey -> CaseEntry (every case event)
// The patient index holds the entries themselves: a patient's accesses are
// spread over the plan's whole life, so a page of them read through the
// pointer indexes would be one random lookup per entry, while a user's or an
// organisation's actions cluster in working sessions and stay cheap to look
// up. (Measured: docs/benchmarks.md, "bench audit".)
// Every key is fixed by its record alone and nothing is ever read back, so a
// rebuild writes the same bytes whatever the batching and whatever order the
// partitions are applied in. Never refuses an event.
#ifndef CARELEDGER_PROJECTIONS_AUDIT_PROJECTION_H_
#define CARELEDGER_PROJECTIONS_AUDIT_PROJECTION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "careledger/v1/audit.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/projection.pb.h"
#include "projections/projection.h"
#include "projections/projection_store.h"

namespace careledger::projections {

// The audit entry `event`, at `position`, becomes (site left ""), or nullopt
// for an event that is no one's action on a plan or the directory
// (checkpoints, bodiless events).
std::optional<careledger::v1::AuditEntry> AuditEntryOf(
    const careledger::v1::Event& event, const careledger::v1::EventPosition& position);

// Whether `index` (an audit_by_* family) holds whole AuditEntry values
// rather than empty ones pointing into the audit family.
constexpr bool AuditIndexHoldsEntries(StoreFamily index) {
  return index == StoreFamily::kAuditByPatient;
}

class AuditProjection final : public Projection {
 public:
  std::string_view name() const override { return "audit"; }
  absl::Status Apply(const AppliedEvent& event) override;
  void Flush(StoreBatch* batch) override;
  void Discard() override { pending_.clear(); }

 private:
  struct Write {
    StoreFamily family;
    std::string key;
    std::string value;
  };
  std::vector<Write> pending_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_AUDIT_PROJECTION_H_
