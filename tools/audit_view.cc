#include "tools/audit_view.h"

#include <fmt/format.h>

#include "access/london_time.h"
#include "events/time_util.h"
#include "tools/plan_view.h"

namespace careledger::tools {

using careledger::v1::AuditEntry;

std::string RangeText(const google::protobuf::Timestamp* from,
                      const google::protobuf::Timestamp* to) {
  if (from == nullptr && to == nullptr) return "all time";
  return fmt::format("[{}, {})", from ? TimeText(*from) : std::string("-"),
                     to ? TimeText(*to) : std::string("-"));
}

std::string Describe(const AuditEntry& entry) {
  std::string what = entry.action();
  switch (entry.kind()) {
    case careledger::v1::AUDIT_KIND_READ:
    case careledger::v1::AUDIT_KIND_REFUSED:
      if (entry.view() != careledger::v1::PLAN_VIEW_UNSPECIFIED) {
        what += fmt::format(" {}", ShortEnum(careledger::v1::PlanView_Name(entry.view()), 10));
        if (entry.version() > 0) what += fmt::format(" version {}", entry.version());
        if (!entry.content_hash().empty()) {
          what += fmt::format(" (content {}, plan seq {})", ShortHash(entry.content_hash()),
                              entry.stream_seq());
        }
      }
      if (entry.has_as_of()) {
        // A point-in-time read: the plan as it was then was shown.
        what += fmt::format(" as of {}",
                            access::FormatLondonTime(events::FromTimestamp(entry.as_of())));
      }
      break;
    case careledger::v1::AUDIT_KIND_CHANGE:
      if (!entry.section().empty()) what += " " + entry.section();
      if (entry.version() > 0) {
        what += fmt::format(" version {} (content {})", entry.version(),
                            ShortHash(entry.content_hash()));
      }
      what += fmt::format(" [seq {}]", entry.stream_seq());
      if (!entry.note().empty()) what += fmt::format(" \"{}\"", entry.note());
      break;
    case careledger::v1::AUDIT_KIND_AUDIT_QUERY:
      what += fmt::format(" {} {}", entry.subject(),
                          RangeText(entry.has_range_from() ? &entry.range_from() : nullptr,
                                    entry.has_range_to() ? &entry.range_to() : nullptr));
      break;
    default:
      break;
  }
  if (entry.kind() == careledger::v1::AUDIT_KIND_REFUSED) {
    what += fmt::format(": {}", entry.reason());  // the kind column says REFUSED
  }
  if (entry.restricted()) what += " [restricted plan]";
  if (entry.break_glass() || !entry.break_glass_reason().empty()) {
    what += fmt::format(" BREAK-GLASS (\"{}\")", entry.break_glass_reason());
  }
  if (!entry.actor().purpose().empty()) {
    what += fmt::format(" purpose \"{}\"", entry.actor().purpose());
  }
  return what;
}

void PrintEntry(const AuditEntry& entry, std::ostream& out) {
  const careledger::v1::Actor& actor = entry.actor();
  std::string organisation = actor.organisation().empty() ? "-" : actor.organisation();
  if (!entry.site().empty()) organisation += fmt::format(" {}", entry.site());
  std::string who = actor.user_id().empty() ? "-" : actor.user_id();
  if (!entry.actor_name().empty()) who += fmt::format(" \"{}\"", entry.actor_name());
  out << fmt::format("{}  {:<11} {:<10}  {} ({}, {})  from {} {}  {}  @{}/{}\n",
                     TimeText(entry.at()),
                     ShortEnum(careledger::v1::AuditKind_Name(entry.kind()), 11),
                     entry.nhs_number().empty() ? "-" : entry.nhs_number(), who,
                     ShortEnum(careledger::v1::Role_Name(actor.role()), 5), organisation,
                     actor.device_id().empty() ? "-" : actor.device_id(),
                     actor.network_address().empty() ? "-" : actor.network_address(),
                     Describe(entry), entry.position().partition(), entry.position().offset());
}

}  // namespace careledger::tools
