#include "tools/plan_view.h"

#include <fmt/format.h>
#include <google/protobuf/descriptor.h>

#include "events/format.h"
#include "events/plan_sections.h"
#include "events/time_util.h"
#include "ledger/dates.h"
#include "tools/output.h"

namespace careledger::tools {
namespace {

using careledger::v1::Event;

std::string DescribeAccess(const careledger::v1::AccessRecorded& access) {
  std::string what = access.action();
  if (access.view() != careledger::v1::PLAN_VIEW_UNSPECIFIED) {
    what = fmt::format("viewed {}", ShortEnum(careledger::v1::PlanView_Name(access.view()), 10));
    if (access.version() > 0) what += fmt::format(" version {}", access.version());
    if (!access.content_hash().empty()) {
      what += fmt::format(" (content {}, plan seq {})", ShortHash(access.content_hash()),
                          access.stream_seq());
    }
  }
  if (access.outcome() == careledger::v1::ACCESS_OUTCOME_DENIED) {
    return fmt::format("REFUSED {}: {}", what, access.reason());
  }
  if (access.break_glass()) {
    what += fmt::format(" BREAK-GLASS (\"{}\")", access.break_glass_reason());
  }
  return what;
}

}  // namespace

std::string TimeText(const google::protobuf::Timestamp& at) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", events::FromTimestamp(at), absl::UTCTimeZone());
}

std::string ShortEnum(const std::string& name, std::size_t prefix) {
  return name.size() > prefix ? name.substr(prefix) : name;
}

std::string ShortHash(const std::string& bytes) {
  std::string hex;
  for (std::size_t i = 0; i < bytes.size() && i < 6; ++i) {
    hex += fmt::format("{:02x}", static_cast<unsigned char>(bytes[i]));
  }
  return hex;
}

void PrintCarePlan(const careledger::v1::CarePlan& plan, std::ostream& out) {
  const google::protobuf::Descriptor* descriptor = plan.GetDescriptor();
  const google::protobuf::Reflection* reflection = plan.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (!reflection->HasField(plan, field)) continue;
    out << fmt::format("    {:<21} {}\n", field->name() + ":",
                       ToJsonLine(reflection->GetMessage(plan, field)));
  }
}

void PrintPlanStatus(const careledger::v1::PlanRecord& record, std::ostream& out) {
  const careledger::v1::PlanState& state = record.state();
  out << fmt::format("  patient {}  status {}  published version {}\n", record.nhs_number(),
                     ShortEnum(careledger::v1::PlanStatus_Name(record.status()), 12),
                     state.published_version());
  if (state.has_submission()) {
    out << fmt::format("  submitted for approval to {}{} by {}\n", state.submission().to_user(),
                       state.submission().to_organisation(), state.submission().by_user());
  }
  if (state.has_restriction()) {
    out << fmt::format("  RESTRICTED to {} users\n", state.restriction().allowed_users_size());
  }
  if (state.has_review_due()) {
    out << fmt::format("  review due {}\n", ledger::FormatDate(state.review_due()));
  }
  if (state.has_death()) {
    out << fmt::format(
        "  died {} at {} (preferred place: {})\n", ledger::FormatDate(state.death().died_on()),
        state.death().place(),
        ShortEnum(careledger::v1::PreferredPlaceMet_Name(state.death().preferred_place_met()), 20));
  }
  for (const careledger::v1::UrgentCareNote& note : state.notes()) {
    out << fmt::format("  note {} by {} ({}): {}\n", TimeText(note.at()), note.by().user_id(),
                       note.by().organisation(), note.text());
  }
  for (const careledger::v1::PatientRequest& request : state.requests()) {
    if (request.resolution() != careledger::v1::REQUEST_RESOLUTION_UNSPECIFIED) continue;
    out << fmt::format("  open myCMC request {}: {}\n", request.request_id(), request.text());
  }
}

std::string DescribeEvent(const Event& event) {
  switch (event.body_case()) {
    case Event::kPlanStarted:
      return fmt::format(
          "started the plan (consent: {})",
          ShortEnum(careledger::v1::ConsentBasis_Name(event.plan_started().consent().basis()), 14));
    case Event::kPlanSectionUpdated:
      return fmt::format("edited section {}",
                         events::SectionName(event.plan_section_updated().value()));
    case Event::kPlanSubmitted:
      return fmt::format("submitted for approval to {}{}", event.plan_submitted().to_user(),
                         event.plan_submitted().to_organisation());
    case Event::kPlanApproved:
      return fmt::format("approved and published version {} (content {})",
                         event.plan_approved().version(),
                         ShortHash(event.plan_approved().draft_hash()));
    case Event::kDraftDiscarded:
      return "discarded the working draft";
    case Event::kPlanReviewed:
      return fmt::format("reviewed; next review {}",
                         ledger::FormatDate(event.plan_reviewed().next_review_on()));
    case Event::kDeathRecorded:
      return fmt::format(
          "recorded death on {} at {} (preferred place: {})",
          ledger::FormatDate(event.death_recorded().died_on()), event.death_recorded().place(),
          ShortEnum(
              careledger::v1::PreferredPlaceMet_Name(event.death_recorded().preferred_place_met()),
              20));
    case Event::kConsentWithdrawn:
      return "recorded that consent was withdrawn";
    case Event::kRestrictionSet:
      return fmt::format("restricted the plan to {} users",
                         event.restriction_set().allowed_users_size());
    case Event::kRestrictionLifted:
      return "lifted the restriction";
    case Event::kUrgentCareNoteAdded:
      return fmt::format("added a note: {}", event.urgent_care_note_added().text());
    case Event::kPatientRequestMade:
      return fmt::format("made a myCMC request: {}", event.patient_request_made().text());
    case Event::kPatientRequestResolved:
      return fmt::format("{} myCMC request {}",
                         event.patient_request_resolved().resolution() ==
                                 careledger::v1::REQUEST_RESOLUTION_RESOLVED
                             ? "resolved"
                             : "declined",
                         event.patient_request_resolved().request_id());
    case Event::kAccessRecorded:
      return DescribeAccess(event.access_recorded());
    default: {
      const auto* field = Event::descriptor()->FindFieldByNumber(event.body_case());
      return field == nullptr ? "unknown event" : field->name();
    }
  }
}

void PrintHistory(const std::vector<careledger::v1::HistoryEntry>& history, std::ostream& out) {
  for (const careledger::v1::HistoryEntry& entry : history) {
    const careledger::v1::Actor& actor = entry.event().actor();
    out << fmt::format("  {}  {} ({}, {}, device {}, {})  {}\n",
                       TimeText(entry.event().recorded_at()), actor.user_id(),
                       ShortEnum(careledger::v1::Role_Name(actor.role()), 5),
                       actor.organisation().empty() ? "-" : actor.organisation(),
                       actor.device_id().empty() ? "-" : actor.device_id(),
                       actor.network_address().empty() ? "-" : actor.network_address(),
                       DescribeEvent(entry.event()));
  }
}

}  // namespace careledger::tools
