// The worklist ("Action Needed", DESIGN §5; seeds/004): the open items a
// user, an organisation or a patient's care team has to act on, kept in the
// family `worklist` by PlanProjection and read with PlanQueries::ListWorklist.
//
// An item belongs to an owner, named by one of the functions below. Every
// item is derived from one patient's PlanRecord, is written when the plan
// event that opens it is applied and deleted when the plan event that
// resolves it is applied (in the same store batch):
//
//   DRAFT_PLAN        lifecycle DRAFT or EDITING (submitted or not).
//                     Owners: every contributing organisation, the patient.
//                     Since: the event that opened the draft. Detail: "Draft"
//                     or "Draft, Editing". Gone on approval, discard, death,
//                     withdrawal.
//   APPROVAL_NEEDED   a submission pending (lifecycle DRAFT or EDITING).
//                     Owners: the submission's to_user, its to_organisation
//                     (whichever are set), the patient. Since: the submission.
//                     Detail: who submitted it, and the note. Gone on
//                     approval, discard, death, withdrawal; moves on a new
//                     submission.
//   PLAN_REQUEST /    an open myCMC request (INITIATE_PLAN / CHANGE; a request
//   CHANGE_REQUEST    of unspecified kind counts as CHANGE). Owners: the
//                     patient's GP practice (demographics.gp_practice_ods of
//                     the working draft, else of the published plan; "" when
//                     unknown, e.g. a request before any plan), the patient.
//                     Since: the request. Detail: its text. Item id: the
//                     request id. Gone when resolved or declined; moves when
//                     the GP practice changes.
#ifndef CARELEDGER_PROJECTIONS_WORKLIST_H_
#define CARELEDGER_PROJECTIONS_WORKLIST_H_

#include <string>
#include <string_view>
#include <vector>

#include "careledger/v1/projection.pb.h"

namespace careledger::projections {

// Owner names: "user/<user id>", "org/<ODS code>", "patient/<NHS number>".
std::string UserWorklist(std::string_view user_id);
std::string OrganisationWorklist(std::string_view ods_code);
std::string PatientWorklist(std::string_view nhs_number);

// The GP practice a plan's requests go to (see above); "" when unknown.
std::string GpPracticeOf(const careledger::v1::PlanRecord& plan);

// Every open item of `plan`, one per owner, in a fixed order.
std::vector<careledger::v1::WorklistItem> WorklistItemsOf(const careledger::v1::PlanRecord& plan);

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_WORKLIST_H_
