// careledger plan: the care-plan workflow from the command line. Every
// subcommand builds one careledger.v1.Command (the same one `careledger
// submit` reads as JSON) and submits it; `plan show` is in cmd_plan_show.cc.
#include <fmt/format.h>

#include <functional>
#include <memory>

#include "careledger/v1/plan.pb.h"
#include "tools/command_builder.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/parse_flags.h"

namespace careledger::tools {
namespace {

using careledger::v1::Command;

using PlanFlags = CommandFlags;

// Registers `plan <name>`: a command on one patient's plan (--nhs).
void AddPlanCommand(CLI::App* plan, Runner* run, const char* name, const char* help,
                    const AddFlags& add_flags, BuildCommand build) {
  AddCommand(
      plan, run, name, help, ActorFlags(),
      [add_flags](CLI::App* sub, CommandFlags& f) {
        TextFlag(sub, f, "nhs", "Patient's NHS number")->required();
        add_flags(sub, f);
      },
      std::move(build));
}

CLI::Option* Text(CLI::App* sub, PlanFlags& flags, const std::string& name,
                  const std::string& help) {
  return TextFlag(sub, flags, name, help);
}

const std::string& Get(const PlanFlags& flags, const std::string& name) { return flags.Get(name); }

void RegisterWorkflow(CLI::App* plan, Runner* run) {
  AddPlanCommand(
      plan, run, "start", "Start a patient's plan (needs consent); opens its draft",
      [](CLI::App* sub, PlanFlags& f) {
        f.text["consent"] = "patient";
        Text(sub, f, "consent", "Who consented")
            ->check(CLI::IsMember({"patient", "lpa", "best-interest"}))
            ->capture_default_str();
        Text(sub, f, "justification", "Why a decision was taken on the patient's behalf");
        Text(sub, f, "discussion", "Consent discussion details");
        Text(sub, f, "consented-by", "Name of the attorney or decision maker");
        Text(sub, f, "consent-date", "Date consent was obtained (YYYY-MM-DD)")->required();
      },
      [](const PlanFlags& f, Command* command) {
        careledger::v1::StartPlan* body = command->mutable_start_plan();
        body->set_nhs_number(Get(f, "nhs"));
        careledger::v1::Consent* consent = body->mutable_consent();
        consent->set_basis(ParseConsentBasis(Get(f, "consent")));
        consent->set_justification(Get(f, "justification"));
        consent->set_discussion(Get(f, "discussion"));
        consent->set_consented_by(Get(f, "consented-by"));
        return ParseDateFlag("consent-date", Get(f, "consent-date"),
                             consent->mutable_obtained_on());
      });

  AddPlanCommand(
      plan, run, "update", "Change one section of the plan's working draft",
      [](CLI::App* sub, PlanFlags& f) {
        Text(sub, f, "section", fmt::format("Section: {}", PlanSectionNames()))->required();
        Text(sub, f, "value",
             "The section's new value as JSON (protobuf JSON mapping), e.g. "
             "'{\"decision\": \"CPR_DECISION_NOT_FOR_CPR\", \"discussed\": true}'")
            ->required();
      },
      [](const PlanFlags& f, Command* command) {
        careledger::v1::UpdatePlanSection* body = command->mutable_update_plan_section();
        body->set_nhs_number(Get(f, "nhs"));
        return FromJson(fmt::format("{{\"{}\": {}}}", Get(f, "section"), Get(f, "value")),
                        body->mutable_value());
      });

  AddPlanCommand(
      plan, run, "submit", "Send the working draft to a clinician or an organisation for approval",
      [](CLI::App* sub, PlanFlags& f) {
        Text(sub, f, "to-user", "The approving clinician's user id");
        Text(sub, f, "to-org", "The approving organisation's ODS code");
        Text(sub, f, "note", "A note for the approver");
      },
      [](const PlanFlags& f, Command* command) {
        careledger::v1::SubmitPlan* body = command->mutable_submit_plan();
        body->set_nhs_number(Get(f, "nhs"));
        body->set_to_user(Get(f, "to-user"));
        body->set_to_organisation(Get(f, "to-org"));
        body->set_note(Get(f, "note"));
        return absl::OkStatus();
      });

  AddPlanCommand(
      plan, run, "approve",
      "Publish the working draft as the next version (clinicians only; every mandatory field)",
      [](CLI::App*, PlanFlags&) {},
      [](const PlanFlags& f, Command* command) {
        command->mutable_approve_plan()->set_nhs_number(Get(f, "nhs"));
        return absl::OkStatus();
      });

  AddPlanCommand(
      plan, run, "discard", "Drop the working draft; the published version stays",
      [](CLI::App* sub, PlanFlags& f) { Text(sub, f, "reason", "Why"); },
      [](const PlanFlags& f, Command* command) {
        command->mutable_discard_draft()->set_nhs_number(Get(f, "nhs"));
        command->mutable_discard_draft()->set_reason(Get(f, "reason"));
        return absl::OkStatus();
      });

  AddPlanCommand(
      plan, run, "review", "Record a clinical review of the published plan",
      [](CLI::App* sub, PlanFlags& f) {
        Text(sub, f, "next-review", "Next review date (YYYY-MM-DD; default three months)");
        Text(sub, f, "note", "Review note");
      },
      [](const PlanFlags& f, Command* command) {
        careledger::v1::ReviewPlan* body = command->mutable_review_plan();
        body->set_nhs_number(Get(f, "nhs"));
        body->set_note(Get(f, "note"));
        careledger::v1::Date date;
        absl::StatusOr<bool> given = f.OptionalDate("next-review", &date);
        if (!given.ok()) return given.status();
        if (*given) *body->mutable_next_review_on() = date;
        return absl::OkStatus();
      });
}

void RegisterClosing(CLI::App* plan, Runner* run) {
  AddPlanCommand(
      plan, run, "death", "Record the patient's death; the plan closes",
      [](CLI::App* sub, PlanFlags& f) {
        Text(sub, f, "date", "Date of death (YYYY-MM-DD)")->required();
        Text(sub, f, "place", "Where the patient died")->required();
      },
      [](const PlanFlags& f, Command* command) {
        careledger::v1::RecordDeath* body = command->mutable_record_death();
        body->set_nhs_number(Get(f, "nhs"));
        body->set_place(Get(f, "place"));
        return ParseDateFlag("date", Get(f, "date"), body->mutable_died_on());
      });

  AddPlanCommand(
      plan, run, "withdraw", "Record that consent was withdrawn; the plan leaves view",
      [](CLI::App* sub, PlanFlags& f) {
        Text(sub, f, "date", "Date withdrawn (YYYY-MM-DD; default today)");
        Text(sub, f, "note", "Note");
      },
      [](const PlanFlags& f, Command* command) {
        careledger::v1::WithdrawConsent* body = command->mutable_withdraw_consent();
        body->set_nhs_number(Get(f, "nhs"));
        body->set_note(Get(f, "note"));
        careledger::v1::Date date;
        absl::StatusOr<bool> given = f.OptionalDate("date", &date);
        if (!given.ok()) return given.status();
        if (*given) *body->mutable_withdrawn_on() = date;
        return absl::OkStatus();
      });

  AddPlanCommand(
      plan, run, "restrict", "Restrict the plan to named users (clinicians only)",
      [](CLI::App* sub, PlanFlags& f) {
        sub->add_option("--allow", f.list, "User ids who may see it (repeatable)");
        Text(sub, f, "reason", "Why the record is restricted")->required();
      },
      [](const PlanFlags& f, Command* command) {
        careledger::v1::RestrictPlan* body = command->mutable_restrict_plan();
        body->set_nhs_number(Get(f, "nhs"));
        for (const std::string& user : f.list) body->add_allowed_users(user);
        body->set_reason(Get(f, "reason"));
        return absl::OkStatus();
      });

  AddPlanCommand(
      plan, run, "unrestrict", "Lift the plan's restriction",
      [](CLI::App* sub, PlanFlags& f) { Text(sub, f, "reason", "Why"); },
      [](const PlanFlags& f, Command* command) {
        command->mutable_lift_restriction()->set_nhs_number(Get(f, "nhs"));
        command->mutable_lift_restriction()->set_reason(Get(f, "reason"));
        return absl::OkStatus();
      });
}

void RegisterNotesAndRequests(CLI::App* plan, Runner* run) {
  AddPlanCommand(
      plan, run, "note", "Add a short urgent-care note to a published plan",
      [](CLI::App* sub, PlanFlags& f) { Text(sub, f, "text", "The note")->required(); },
      [](const PlanFlags& f, Command* command) {
        command->mutable_add_urgent_care_note()->set_nhs_number(Get(f, "nhs"));
        command->mutable_add_urgent_care_note()->set_text(Get(f, "text"));
        return absl::OkStatus();
      });

  AddPlanCommand(
      plan, run, "request", "myCMC: ask for a plan to be started, or for a change",
      [](CLI::App* sub, PlanFlags& f) {
        Text(sub, f, "kind", "initiate or change")
            ->check(CLI::IsMember({"initiate", "change"}))
            ->required();
        Text(sub, f, "text", "What is asked")->required();
      },
      [](const PlanFlags& f, Command* command) {
        careledger::v1::MakePatientRequest* body = command->mutable_make_patient_request();
        body->set_nhs_number(Get(f, "nhs"));
        body->set_kind(Get(f, "kind") == "initiate"
                           ? careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN
                           : careledger::v1::PATIENT_REQUEST_KIND_CHANGE);
        body->set_text(Get(f, "text"));
        return absl::OkStatus();
      });

  AddPlanCommand(
      plan, run, "resolve", "Resolve or decline a myCMC request",
      [](CLI::App* sub, PlanFlags& f) {
        Text(sub, f, "request-id", "The request's id (the command id that made it)")->required();
        Text(sub, f, "resolution", "resolved or declined")
            ->check(CLI::IsMember({"resolved", "declined"}))
            ->required();
        Text(sub, f, "note", "Note for the patient");
      },
      [](const PlanFlags& f, Command* command) {
        careledger::v1::ResolvePatientRequest* body = command->mutable_resolve_patient_request();
        body->set_nhs_number(Get(f, "nhs"));
        body->set_request_id(Get(f, "request-id"));
        body->set_resolution(Get(f, "resolution") == "resolved"
                                 ? careledger::v1::REQUEST_RESOLUTION_RESOLVED
                                 : careledger::v1::REQUEST_RESOLUTION_DECLINED);
        body->set_note(Get(f, "note"));
        return absl::OkStatus();
      });
}

}  // namespace

void RegisterPlan(CLI::App& app, Runner* run) {
  CLI::App* plan = app.add_subcommand("plan", "The care plan: workflow, reads and history");
  plan->require_subcommand(1);
  RegisterWorkflow(plan, run);
  RegisterClosing(plan, run);
  RegisterNotesAndRequests(plan, run);
  RegisterPlanShow(plan, run);
}

}  // namespace careledger::tools
