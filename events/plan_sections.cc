#include "events/plan_sections.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>

namespace careledger::events {
namespace {

using google::protobuf::FieldDescriptor;

// The set field of PlanSectionValue's oneof, or nullptr.
const FieldDescriptor* SetField(const careledger::v1::PlanSectionValue& value) {
  const auto* oneof = value.GetDescriptor()->FindOneofByName("section");
  return value.GetReflection()->GetOneofFieldDescriptor(value, oneof);
}

}  // namespace

std::string SectionName(const careledger::v1::PlanSectionValue& value) {
  const FieldDescriptor* field = SetField(value);
  return field == nullptr ? "" : field->name();
}

absl::Status SetSection(const careledger::v1::PlanSectionValue& value,
                        careledger::v1::CarePlan* plan) {
  const FieldDescriptor* source = SetField(value);
  if (source == nullptr) return absl::InvalidArgumentError("the section update names no section");
  if (!value.GetReflection()->GetUnknownFields(value).empty()) {
    return absl::InvalidArgumentError(
        "the section update carries fields this version does not know");
  }
  const FieldDescriptor* target = plan->GetDescriptor()->FindFieldByName(source->name());
  if (target == nullptr || target->message_type() != source->message_type()) {
    return absl::InvalidArgumentError(
        fmt::format("the care plan has no section '{}'", source->name()));
  }
  plan->GetReflection()
      ->MutableMessage(plan, target)
      ->CopyFrom(value.GetReflection()->GetMessage(value, source));
  return absl::OkStatus();
}

careledger::v1::PlanSectionValue GetSection(const careledger::v1::CarePlan& plan,
                                            const careledger::v1::PlanSectionValue& like) {
  careledger::v1::PlanSectionValue current;
  const FieldDescriptor* field = SetField(like);
  if (field == nullptr) return current;
  const FieldDescriptor* source = plan.GetDescriptor()->FindFieldByName(field->name());
  if (source == nullptr || !plan.GetReflection()->HasField(plan, source)) return current;
  current.GetReflection()
      ->MutableMessage(&current, field)
      ->CopyFrom(plan.GetReflection()->GetMessage(plan, source));
  return current;
}

}  // namespace careledger::events
