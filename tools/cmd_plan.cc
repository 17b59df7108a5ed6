// careledger plan: start, edit and approve care plans.
#include <fmt/format.h>

#include <iostream>

#include "careledger/v1/plan.pb.h"
#include "projections/plan_queries.h"
#include "projections/projection_store.h"
#include "tools/command_flags.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/plan_view.h"
#include "tools/projection_session.h"

namespace careledger::tools {
namespace {

careledger::v1::ConsentBasis ParseConsentBasis(const std::string& name) {
  if (name == "patient") return careledger::v1::CONSENT_BASIS_PATIENT;
  if (name == "lpa") return careledger::v1::CONSENT_BASIS_LASTING_POWER_OF_ATTORNEY;
  if (name == "best-interest") return careledger::v1::CONSENT_BASIS_BEST_INTEREST;
  return careledger::v1::CONSENT_BASIS_UNSPECIFIED;
}

// Parses "YYYY-MM-DD"; false when it is not a real date.
bool ParseDate(const std::string& text, careledger::v1::Date* date) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) return false;
  date->set_year(static_cast<int>(day.year()));
  date->set_month(day.month());
  date->set_day(day.day());
  return true;
}

struct StartFlags {
  ActorFlags actor;
  std::string nhs_number;
  std::string consent = "patient";
  std::string justification;
  std::string discussion;
  std::string consent_date;
};

struct UpdateFlags {
  ActorFlags actor;
  std::string nhs_number;
  std::string section;
  std::string value_json;
};

// Prints the patient's plan from `store`.
int PrintPlanFrom(const projections::ProjectionStore& store, const std::string& nhs_number,
                  const Context& context) {
  if (context.json()) {
    absl::StatusOr<careledger::v1::PlanRecord> plan =
        projections::PlanQueries(&store).GetPlan(nhs_number);
    if (!plan.ok()) return ReportError(plan.status(), context.json());
    std::cout << ToJsonLine(*plan) << "\n";
    return kExitOk;
  }
  if (absl::Status shown = PrintPlan(store, nhs_number, std::cout); !shown.ok()) {
    return ReportError(shown, context.json());
  }
  return kExitOk;
}

// Brings the projection up to date, then prints the plan. When another
// process is projecting into it (`project --follow`), reads that process's
// latest commit instead.
int ShowPlan(const std::string& nhs_number, const Context& context) {
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session = ProjectionSession::Open(context);
  if (session.status().code() == absl::StatusCode::kFailedPrecondition) {
    absl::StatusOr<std::unique_ptr<projections::ProjectionStore>> follower =
        projections::ProjectionStore::OpenFollower(context.ProjectionDir());
    if (!follower.ok()) return ReportError(session.status(), context.json());
    if (absl::Status refreshed = (*follower)->Refresh(); !refreshed.ok()) {
      return ReportError(refreshed, context.json());
    }
    return PrintPlanFrom(**follower, nhs_number, context);
  }
  if (!session.ok()) return ReportError(session.status(), context.json());
  absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
  if (!report.ok()) return ReportError(report.status(), context.json());
  for (const projections::PartitionStop& stop : report->stops) {
    std::cerr << "warning: projection partition stopped: " << stop.reason << "\n";
  }
  return PrintPlanFrom((*session)->store(), nhs_number, context);
}

struct ApproveFlags {
  ActorFlags actor;
  std::string nhs_number;
};

}  // namespace

void RegisterPlan(CLI::App& app, Runner* run) {
  CLI::App* plan = app.add_subcommand("plan", "Start, edit and approve care plans");
  plan->require_subcommand(1);

  auto start = std::make_shared<StartFlags>();
  CLI::App* start_command =
      plan->add_subcommand("start", "Start a patient's plan (needs consent); opens its draft");
  start->actor.Register(start_command);
  start_command->add_option("--nhs", start->nhs_number, "Patient's NHS number")->required();
  start_command->add_option("--consent", start->consent, "Who consented")
      ->check(CLI::IsMember({"patient", "lpa", "best-interest"}))
      ->capture_default_str();
  start_command->add_option("--justification", start->justification,
                            "Justification of a best-interest decision");
  start_command->add_option("--discussion", start->discussion, "Consent discussion details");
  start_command
      ->add_option("--consent-date", start->consent_date, "Date consent was obtained (YYYY-MM-DD)")
      ->required();
  start_command->callback([run, start] {
    *run = [start](const Context& context) {
      careledger::v1::Command command = start->actor.NewCommand();
      careledger::v1::StartPlan* body = command.mutable_start_plan();
      body->set_nhs_number(start->nhs_number);
      careledger::v1::Consent* consent = body->mutable_consent();
      consent->set_basis(ParseConsentBasis(start->consent));
      consent->set_justification(start->justification);
      consent->set_discussion(start->discussion);
      if (!ParseDate(start->consent_date, consent->mutable_obtained_on())) {
        return ReportError(
            absl::InvalidArgumentError(
                fmt::format("--consent-date '{}' is not a date (YYYY-MM-DD)", start->consent_date)),
            context.json());
      }
      return SubmitAndReport(context, {command});
    };
  });

  auto update = std::make_shared<UpdateFlags>();
  CLI::App* update_command =
      plan->add_subcommand("update", "Change one section of the plan's working draft");
  update->actor.Register(update_command);
  update_command->add_option("--nhs", update->nhs_number, "Patient's NHS number")->required();
  update_command
      ->add_option("--section", update->section,
                   "Section: consent, demographics, preferences, resuscitation, clinical, "
                   "allergies, review")
      ->required();
  update_command
      ->add_option("--value", update->value_json,
                   "The section's new value as JSON (protobuf JSON mapping), e.g. "
                   "'{\"decision\": \"not for CPR\", \"discussed\": true}'")
      ->required();
  update_command->callback([run, update] {
    *run = [update](const Context& context) {
      careledger::v1::Command command = update->actor.NewCommand();
      careledger::v1::UpdatePlanSection* body = command.mutable_update_plan_section();
      body->set_nhs_number(update->nhs_number);
      const std::string wrapped =
          fmt::format("{{\"{}\": {}}}", update->section, update->value_json);
      if (absl::Status parsed = FromJson(wrapped, body->mutable_value()); !parsed.ok()) {
        return ReportError(parsed, context.json());
      }
      return SubmitAndReport(context, {command});
    };
  });

  auto approve = std::make_shared<ApproveFlags>();
  CLI::App* approve_command = plan->add_subcommand(
      "approve", "Publish the working draft as the next version (clinicians only)");
  approve->actor.Register(approve_command);
  approve_command->add_option("--nhs", approve->nhs_number, "Patient's NHS number")->required();
  approve_command->callback([run, approve] {
    *run = [approve](const Context& context) {
      careledger::v1::Command command = approve->actor.NewCommand();
      command.mutable_approve_plan()->set_nhs_number(approve->nhs_number);
      return SubmitAndReport(context, {command});
    };
  });

  auto show_nhs = std::make_shared<std::string>();
  CLI::App* show_command = plan->add_subcommand(
      "show", "Project new records, then print the plan: published version and working draft");
  show_command->add_option("--nhs", *show_nhs, "Patient's NHS number")->required();
  show_command->callback([run, show_nhs] {
    *run = [show_nhs](const Context& context) { return ShowPlan(*show_nhs, context); };
  });
}

}  // namespace careledger::tools
