#include "tools/plan_view.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>

#include "events/format.h"
#include "projections/plan_queries.h"
#include "tools/output.h"

namespace careledger::tools {
namespace {

// One line per section that is set: "  <section>: <JSON>".
void PrintSections(const careledger::v1::CarePlan& plan, std::ostream& out) {
  const google::protobuf::Descriptor* descriptor = plan.GetDescriptor();
  const google::protobuf::Reflection* reflection = plan.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (!reflection->HasField(plan, field)) continue;
    out << fmt::format("    {:<14} {}\n", field->name() + ":",
                       ToJsonLine(reflection->GetMessage(plan, field)));
  }
}

}  // namespace

absl::Status PrintPlan(const projections::ProjectionStore& store, const std::string& nhs_number,
                       std::ostream& out) {
  projections::PlanQueries queries(&store);
  absl::StatusOr<careledger::v1::PlanRecord> plan = queries.GetPlan(nhs_number);
  if (!plan.ok()) return plan.status();
  out << fmt::format("  patient {}  status {}\n", plan->nhs_number(),
                     careledger::v1::PlanStatus_Name(plan->status()));
  if (plan->published_version() > 0) {
    out << fmt::format("  published version {} (what urgent care sees):\n",
                       plan->published_version());
    PrintSections(plan->published(), out);
  } else {
    out << "  not yet published: urgent care sees nothing\n";
  }
  if (plan->has_draft()) {
    out << "  working draft (not visible to urgent care):\n";
    PrintSections(plan->draft(), out);
  }
  return absl::OkStatus();
}

}  // namespace careledger::tools
