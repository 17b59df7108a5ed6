#include "projections/investigation.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <tuple>

#include "absl/strings/ascii.h"
#include "events/time_util.h"
#include "projections/audit_queries.h"
#include "projections/directory_queries.h"
#include "projections/internal/keys.h"
#include "projections/plan_queries.h"

namespace careledger::projections {
namespace {

using careledger::v1::Actor;
using careledger::v1::Alert;
using careledger::v1::AuditEntry;
using careledger::v1::EventPosition;
using careledger::v1::Role;

enum class Rule {
  kBreakGlass,
  kRestricted,
  kNoRelationship,
  kFamily,
  kOwnRecord,
  kDeceased,
  kOutOfHours,
  kManyPatients,
  kDevice,
  kRefusals,
};
constexpr std::size_t kRuleCount = kInvestigationRules.size();

std::string_view RuleName(Rule rule) { return kInvestigationRules[static_cast<std::size_t>(rule)]; }

// ---- text ----

// Lower case, every run of punctuation and spaces one space, trimmed; bytes
// of UTF-8 sequences kept as they are. "  O'Brien " and "o brien" are equal.
std::string NormalisedText(std::string_view text) {
  std::string out;
  bool gap = false;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80 || std::isalnum(byte)) {
      if (gap && !out.empty()) out.push_back(' ');
      gap = false;
      out.push_back(static_cast<char>(byte >= 0x80 ? byte : std::tolower(byte)));
    } else {
      gap = true;
    }
  }
  return out;
}

// Upper case letters and digits only: "se1 7eh" and "SE17EH" are equal.
std::string NormalisedPostcode(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte)) out.push_back(static_cast<char>(std::toupper(byte)));
  }
  return out;
}

// Whether `token` is a house number: digits, optionally "-digits", and
// optionally one letter ("12", "12a", "12-14").
bool IsHouseNumber(std::string_view token) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < token.size() && absl::ascii_isdigit(static_cast<unsigned char>(token[i]))) ++i;
    return i > from;
  };
  if (!digits()) return false;
  if (i < token.size() && token[i] == '-') {
    ++i;
    if (!digits()) return false;
  }
  if (i < token.size() && absl::ascii_isalpha(static_cast<unsigned char>(token[i]))) ++i;
  return i == token.size();
}

// The street of an address: the first comma-separated part that starts
// with a house number, without it, normalised: "Flat 2, 12a Rose Lane,
// London" -> "rose lane". "" when no part does (a named house alone says
// nothing about the street).
std::string StreetOf(std::string_view address) {
  while (!address.empty()) {
    const std::size_t comma = std::min(address.find(','), address.size());
    std::string_view part = address.substr(0, comma);
    address.remove_prefix(std::min(comma + 1, address.size()));
    while (!part.empty() && absl::ascii_isspace(static_cast<unsigned char>(part.front()))) {
      part.remove_prefix(1);
    }
    const std::size_t space = part.find(' ');
    if (space == std::string_view::npos || !IsHouseNumber(part.substr(0, space))) continue;
    std::string street = NormalisedText(part.substr(space + 1));
    if (!street.empty()) return street;
  }
  return "";
}

std::string RoleText(Role role) {
  std::string name = careledger::v1::Role_Name(role);
  if (name.starts_with("ROLE_")) name.erase(0, 5);
  return name;
}

std::string OrganisationTypeKey(careledger::v1::OrganisationType type) {
  std::string name = careledger::v1::OrganisationType_Name(type);
  constexpr std::string_view kPrefix = "ORGANISATION_TYPE_";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// "dr.patel (CLINICIAN, GP0001)".
std::string Who(const Actor& actor) {
  return fmt::format("{} ({}, {})", actor.user_id(), RoleText(actor.role()),
                     actor.organisation().empty() ? "no organisation" : actor.organisation());
}

std::string DayText(absl::CivilDay day) {
  return fmt::format("{:04d}-{:02d}-{:02d}", day.year(), day.month(), day.day());
}

std::string TimeText(absl::Time at, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M", at, zone);
}

std::string ClockText(int minutes) {
  return fmt::format("{:02d}:{:02d}", minutes / 60, minutes % 60);
}

bool IsMyCmc(Role role) {
  return role == careledger::v1::ROLE_PATIENT || role == careledger::v1::ROLE_PROXY_VIEWER;
}

bool IsProfessional(Role role) {
  return role == careledger::v1::ROLE_CLINICIAN || role == careledger::v1::ROLE_ADMINISTRATOR ||
         role == careledger::v1::ROLE_URGENT_CARE || role == careledger::v1::ROLE_AUDITOR;
}

// ---- dates ----

std::optional<absl::CivilDay> DayOf(const careledger::v1::Date& date) {
  if (date.year() == 0) return std::nullopt;
  const absl::CivilDay day(date.year(), date.month(), date.day());
  if (day.year() != date.year() || day.month() != date.month() || day.day() != date.day()) {
    return std::nullopt;  // not a real day
  }
  return day;
}

// `day` moved by whole months, the day of month clamped to the month's
// length (as the ledger's licence rule counts, ledger/dates.h).
absl::CivilDay AddMonths(absl::CivilDay day, int months) {
  const absl::CivilMonth month = absl::CivilMonth(day) + months;
  const absl::CivilDay last = absl::CivilDay(month + 1) - 1;
  return absl::CivilDay(month.year(), month.month(), std::min(day.day(), last.day()));
}

// ---- thresholds ----

bool ParseInt(std::string_view text, int min, int* value) {
  int parsed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (error != std::errc() || end != text.data() + text.size() || parsed < min) return false;
  *value = parsed;
  return true;
}

// "HH:MM" -> minutes after midnight (24:00 allowed as the end of the day).
bool ParseClock(std::string_view text, int* minutes) {
  int hours = 0;
  int mins = 0;
  if (text.size() != 5 || text[2] != ':' || !ParseInt(text.substr(0, 2), 0, &hours) ||
      !ParseInt(text.substr(3, 2), 0, &mins) || mins > 59 || hours > 24 ||
      (hours == 24 && mins != 0)) {
    return false;
  }
  *minutes = hours * 60 + mins;
  return true;
}

std::vector<std::string_view> SplitList(std::string_view text) {
  std::vector<std::string_view> items;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    if (!item.empty()) items.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

std::string JoinedTypes(const std::vector<careledger::v1::OrganisationType>& types) {
  if (types.empty()) return "none";
  std::vector<std::string> names;
  for (careledger::v1::OrganisationType type : types) names.push_back(OrganisationTypeKey(type));
  std::sort(names.begin(), names.end());
  return fmt::format("{}", fmt::join(names, ","));
}

// ---- what the store says about patients, users and devices ----

// What one version of a plan's content says about who is related to it.
struct Content {
  std::string gp_practice;
  std::vector<std::string> contact_organisations;
  std::vector<std::string> named_users;  // reviewing clinician, proxy viewers
  std::string family_name;               // normalised
  std::string address;                   // normalised
  std::string postcode;                  // normalised
  std::string street;                    // StreetOf(address)
};

Content ContentOf(const careledger::v1::CarePlan& plan) {
  Content content;
  const careledger::v1::Demographics& who = plan.demographics();
  content.gp_practice = who.gp_practice_ods();
  for (const careledger::v1::Contact& contact : plan.contacts().items()) {
    if (!contact.organisation().empty()) {
      content.contact_organisations.push_back(contact.organisation());
    }
  }
  if (!plan.review().reviewing_clinician().empty()) {
    content.named_users.push_back(plan.review().reviewing_clinician());
  }
  for (const careledger::v1::ProxyViewer& proxy : plan.mycmc().proxy_viewers()) {
    content.named_users.push_back(proxy.user_id());
  }
  content.family_name = NormalisedText(who.family_name());
  content.address = NormalisedText(who.address());
  content.postcode = NormalisedPostcode(who.postcode());
  content.street = StreetOf(who.address());
  return content;
}

struct Patient {
  std::vector<Content> contents;        // the published version and the working draft, now
  std::set<std::string> organisations;  // related organisations (GP, contributors, contacts, ...)
  std::set<std::string> users;          // related users (starter, submission, named)
  std::optional<absl::CivilDay> died_on;
  std::optional<absl::Time> death_recorded_at;  // unset in plans folded before it was kept
  bool restricted_now = false;
  absl::Time restricted_since = absl::InfiniteFuture();
  std::set<std::string> allowed_now;
};

void AddContent(const Content& content, Patient* patient) {
  if (!content.gp_practice.empty()) patient->organisations.insert(content.gp_practice);
  for (const std::string& ods : content.contact_organisations) patient->organisations.insert(ods);
  for (const std::string& user : content.named_users) patient->users.insert(user);
  patient->contents.push_back(content);
}

Patient PatientOf(const careledger::v1::PlanRecord& record) {
  const careledger::v1::PlanState& state = record.state();
  Patient patient;
  AddContent(ContentOf(state.published()), &patient);
  if (state.draft_pending()) AddContent(ContentOf(state.draft()), &patient);
  for (const std::string& ods : state.contributing_organisations()) {
    patient.organisations.insert(ods);
  }
  if (!state.started_by_user().empty()) patient.users.insert(state.started_by_user());
  if (state.has_submission()) {
    const careledger::v1::Submission& submission = state.submission();
    if (!submission.to_organisation().empty()) {
      patient.organisations.insert(submission.to_organisation());
    }
    if (!submission.to_user().empty()) patient.users.insert(submission.to_user());
    if (!submission.by_user().empty()) patient.users.insert(submission.by_user());
  }
  if (state.has_restriction()) {
    patient.restricted_now = true;
    patient.restricted_since = state.restriction().has_since()
                                   ? events::FromTimestamp(state.restriction().since())
                                   : absl::InfinitePast();
    for (const std::string& user : state.restriction().allowed_users()) {
      patient.allowed_now.insert(user);
      patient.users.insert(user);
    }
    if (!state.restriction().by_user().empty()) {
      patient.allowed_now.insert(state.restriction().by_user());
    }
  }
  if (state.has_death()) {
    patient.died_on = DayOf(state.death().died_on());
    if (state.has_death_recorded_at()) {
      patient.death_recorded_at = events::FromTimestamp(state.death_recorded_at());
    }
  }
  return patient;
}

// One restriction, in force over [since, until).
struct RestrictionSpan {
  absl::Time since;
  absl::Time until = absl::InfiniteFuture();
  std::set<std::string> allowed;
};

// A user's records within a sliding window (at - span, at].
struct Window {
  struct Item {
    absl::Time at;
    std::string nhs_number;
    EventPosition position;
  };
  std::deque<Item> items;
  std::map<std::string, int> per_patient;
  bool over = false;  // over the threshold at the user's previous record

  void Add(const AuditEntry& entry, absl::Time at, absl::Duration span) {
    while (!items.empty() && items.front().at <= at - span) {
      auto it = per_patient.find(items.front().nhs_number);
      if (--it->second == 0) per_patient.erase(it);
      items.pop_front();
    }
    items.push_back(Item{at, entry.nhs_number(), entry.position()});
    ++per_patient[entry.nhs_number()];
  }
};

struct UserWindows {
  Window reads;
  Window refusals;
};

class Investigator {
 public:
  Investigator(const ProjectionStore& store, const InvestigationRequest& request)
      : store_(store),
        request_(request),
        thresholds_(request.thresholds),
        plans_(&store),
        directory_(&store) {
    if (request.rules.empty()) {
      enabled_.fill(true);
    } else {
      for (const std::string& rule : request.rules) {
        for (std::size_t i = 0; i < kRuleCount; ++i) {
          if (kInvestigationRules[i] == rule) enabled_[i] = true;
        }
      }
    }
    if (absl::LoadTimeZone(thresholds_.time_zone, &zone_)) {
      result_.time_zone = thresholds_.time_zone;
    } else {
      zone_ = absl::UTCTimeZone();
      result_.time_zone = "UTC";
      result_.notes.push_back(fmt::format(
          "time zone {} could not be loaded (is tzdata installed?): out of hours and days "
          "after a death are judged in UTC",
          thresholds_.time_zone));
    }
  }

  absl::StatusOr<Investigation> Run() {
    // Window rules look back: start two windows early, raising nothing there.
    const int longest = std::max(thresholds_.many_patients_minutes, thresholds_.refusals_minutes);
    AuditPageRequest page;
    page.from = request_.from == absl::InfinitePast()
                    ? absl::InfinitePast()
                    : request_.from - absl::Minutes(2 * static_cast<std::int64_t>(longest));
    page.to = request_.to;
    page.limit = kMaxAuditPageSize;
    const AuditQueries queries(&store_);
    for (;;) {
      absl::StatusOr<AuditPage> entries = queries.ListAll(page);
      if (!entries.ok()) return entries.status();
      for (const AuditEntry& entry : entries->entries) {
        if (absl::Status examined = Examine(entry); !examined.ok()) return examined;
      }
      if (entries->next_page_token.empty()) break;
      page.page_token = entries->next_page_token;
    }
    for (Alert& alert : result_.alerts) {
      absl::StatusOr<std::vector<careledger::v1::AlertReview>> reviews =
          ListAlertReviews(store_, alert.alert_id());
      if (!reviews.ok()) return reviews.status();
      if (!reviews->empty()) *alert.mutable_review() = std::move(reviews->back());
    }
    return std::move(result_);
  }

 private:
  bool On(Rule rule) const { return enabled_[static_cast<std::size_t>(rule)]; }

  Alert& Raise(Rule rule, careledger::v1::AlertSeverity severity, const AuditEntry& entry,
               std::string reason) {
    Alert& alert = result_.alerts.emplace_back();
    alert.set_alert_id(AlertId(RuleName(rule), entry.position()));
    alert.set_rule(std::string(RuleName(rule)));
    alert.set_severity(severity);
    alert.set_reason(std::move(reason));
    *alert.mutable_at() = entry.at();
    *alert.mutable_actor() = entry.actor();
    alert.set_nhs_number(entry.nhs_number());
    alert.set_occurrences(1);
    *alert.mutable_last_at() = entry.at();
    return alert;
  }

  // One record's alert; a repeat (the same rule, severity, user, device and
  // patient as an alert already raised in this range) is folded into that
  // alert: its record added to the evidence, counted, its reason dropped.
  void RaiseOne(Rule rule, careledger::v1::AlertSeverity severity, const AuditEntry& entry,
                std::string reason) {
    const bool foldable = !entry.nhs_number().empty();
    const RepeatKey key{rule, severity, entry.actor().user_id(), entry.actor().device_id(),
                        entry.nhs_number()};
    if (foldable) {
      if (auto found = repeats_.find(key); found != repeats_.end()) {
        Alert& alert = result_.alerts[found->second];
        *alert.add_evidence() = entry.position();
        alert.set_occurrences(alert.occurrences() + 1);
        *alert.mutable_last_at() = entry.at();
        return;
      }
    }
    *Raise(rule, severity, entry, std::move(reason)).add_evidence() = entry.position();
    if (foldable) repeats_.emplace(key, result_.alerts.size() - 1);
  }

  absl::Status Examine(const AuditEntry& entry) {
    const absl::Time at = events::FromTimestamp(entry.at());
    const bool in_range = at >= request_.from;
    if (in_range) ++result_.records_examined;
    const bool read = entry.kind() == careledger::v1::AUDIT_KIND_READ;
    const bool refused = entry.kind() == careledger::v1::AUDIT_KIND_REFUSED;
    const Actor& actor = entry.actor();
    if ((!read && !refused) || actor.user_id().empty() ||
        actor.role() == careledger::v1::ROLE_SYSTEM) {
      return absl::OkStatus();
    }
    if (in_range) {
      if (absl::Status checked = CheckRecord(entry, at, read); !checked.ok()) return checked;
    }
    UserWindows& windows = windows_[actor.user_id()];
    if (read && !entry.nhs_number().empty() && On(Rule::kManyPatients)) {
      ManyPatients(entry, at, in_range, &windows.reads);
    }
    if (in_range && On(Rule::kDevice)) {
      if (absl::Status checked = Device(entry, at, read); !checked.ok()) return checked;
    }
    if (refused && On(Rule::kRefusals)) Refusals(entry, at, in_range, &windows.refusals);
    return absl::OkStatus();
  }

  // The single-record rules before the windows, in rule order.
  absl::Status CheckRecord(const AuditEntry& entry, absl::Time at, bool read) {
    const Actor& actor = entry.actor();
    const Role role = actor.role();
    const std::string& nhs = entry.nhs_number();
    const Patient* patient = nullptr;
    if (!nhs.empty()) {
      absl::StatusOr<const Patient*> found = FindPatient(nhs);
      if (!found.ok()) return found.status();
      patient = *found;
    }
    if (read && entry.break_glass() && On(Rule::kBreakGlass)) {
      RaiseOne(Rule::kBreakGlass, careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
               fmt::format("{} read the plan of {} through break-glass, giving the reason \"{}\"{}",
                           Who(actor), nhs, entry.break_glass_reason(),
                           entry.restricted() ? "; the plan was restricted" : ""));
    }
    if (On(Rule::kRestricted) && !IsMyCmc(role) && !nhs.empty()) {
      if (absl::Status checked = Restricted(entry, at, read, patient); !checked.ok()) {
        return checked;
      }
    }
    if (!read || nhs.empty()) return absl::OkStatus();
    const Content* shown = nullptr;
    if (entry.version() > 0 && (entry.view() == careledger::v1::PLAN_VIEW_PUBLISHED ||
                                entry.view() == careledger::v1::PLAN_VIEW_VERSION)) {
      absl::StatusOr<const Content*> version = FindVersion(nhs, entry.version());
      if (!version.ok()) return version.status();
      shown = *version;
    }
    if (On(Rule::kNoRelationship) && patient != nullptr &&
        (role == careledger::v1::ROLE_CLINICIAN || role == careledger::v1::ROLE_ADMINISTRATOR)) {
      NoRelationship(entry, *patient, shown);
    }
    if ((On(Rule::kFamily) || On(Rule::kOwnRecord)) && IsProfessional(role)) {
      absl::StatusOr<const careledger::v1::User*> user = FindUser(actor.user_id());
      if (!user.ok()) return user.status();
      if (*user != nullptr) {
        if ((*user)->nhs_number() == nhs) {
          if (On(Rule::kOwnRecord)) {
            RaiseOne(Rule::kOwnRecord, careledger::v1::ALERT_SEVERITY_HIGH, entry,
                     fmt::format("{} read their own plan: {} is the NHS number on their "
                                 "directory record",
                                 Who(actor), nhs));
          }
        } else if (On(Rule::kFamily) && patient != nullptr) {
          Family(entry, **user, *patient, shown);
        }
      }
    }
    if (On(Rule::kDeceased) && patient != nullptr && patient->died_on) {
      // Counted from when the death was known: from its recording when that
      // came later than the day of death (reads before it are not "after
      // death" to anyone reading).
      const absl::CivilDay read_on = absl::ToCivilDay(at, zone_);
      absl::CivilDay counted_from = *patient->died_on;
      std::string recorded;
      if (patient->death_recorded_at) {
        const absl::CivilDay recorded_on = absl::ToCivilDay(*patient->death_recorded_at, zone_);
        if (recorded_on > counted_from) {
          counted_from = recorded_on;
          recorded = fmt::format(" recorded on {}", DayText(recorded_on));
        }
      }
      const std::int64_t days = read_on - counted_from;
      if (days > thresholds_.deceased_days) {
        RaiseOne(Rule::kDeceased, careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
                 fmt::format("{} read the plan of {} {} days after the patient's death on {}{} "
                             "(more than {} days)",
                             Who(actor), nhs, days, DayText(*patient->died_on), recorded,
                             thresholds_.deceased_days));
      }
    }
    if (On(Rule::kOutOfHours) &&
        (role == careledger::v1::ROLE_CLINICIAN || role == careledger::v1::ROLE_ADMINISTRATOR ||
         role == careledger::v1::ROLE_AUDITOR)) {
      return OutOfHours(entry, at);
    }
    return absl::OkStatus();
  }

  absl::Status Restricted(const AuditEntry& entry, absl::Time at, bool read,
                          const Patient* patient) {
    const Actor& actor = entry.actor();
    const std::string& nhs = entry.nhs_number();
    if (!read) {
      // Attempts on the plan itself (its reads, commands and audit trail),
      // not refusals that merely name the patient (an alert review).
      if (entry.subject() != fmt::format("patient/{}", nhs)) return absl::OkStatus();
      const bool restricted =
          entry.restricted() ||
          (patient != nullptr && patient->restricted_now && patient->restricted_since <= at);
      if (restricted) {
        RaiseOne(Rule::kRestricted, careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
                 fmt::format("{} was refused {} on the restricted plan of {}: {}", Who(actor),
                             entry.action(), nhs, entry.reason()));
      }
      return absl::OkStatus();
    }
    if (!entry.restricted() || entry.break_glass()) return absl::OkStatus();
    absl::StatusOr<std::optional<std::set<std::string>>> allowed = AllowedAt(nhs, at, patient);
    if (!allowed.ok()) return allowed.status();
    if (allowed->has_value() && (*allowed)->contains(actor.user_id())) return absl::OkStatus();
    RaiseOne(Rule::kRestricted, careledger::v1::ALERT_SEVERITY_HIGH, entry,
             fmt::format("{} read the restricted plan of {} without break-glass and was not "
                         "named on the restriction{}",
                         Who(actor), nhs,
                         allowed->has_value()
                             ? ""
                             : " (no restriction in force then is in the plan's history)"));
    return absl::OkStatus();
  }

  void NoRelationship(const AuditEntry& entry, const Patient& patient, const Content* shown) {
    const Actor& actor = entry.actor();
    const auto related_org = [&](const std::string& ods) {
      if (ods.empty()) return false;
      if (patient.organisations.contains(ods)) return true;
      return shown != nullptr &&
             (shown->gp_practice == ods ||
              std::find(shown->contact_organisations.begin(), shown->contact_organisations.end(),
                        ods) != shown->contact_organisations.end());
    };
    const auto related_user = [&](const std::string& user) {
      if (patient.users.contains(user)) return true;
      return shown != nullptr && std::find(shown->named_users.begin(), shown->named_users.end(),
                                           user) != shown->named_users.end();
    };
    if (related_org(actor.organisation()) || related_user(actor.user_id())) return;
    std::set<std::string> gps;
    for (const Content& content : patient.contents) {
      if (!content.gp_practice.empty()) gps.insert(content.gp_practice);
    }
    if (shown != nullptr && !shown->gp_practice.empty()) gps.insert(shown->gp_practice);
    RaiseOne(Rule::kNoRelationship, careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
             fmt::format("{} read the plan of {} with no recorded relationship: {} is not the "
                         "patient's GP practice ({}), did not start, edit or receive the plan "
                         "and is no contact's organisation; {} did not start the plan, was not "
                         "sent it and is not named on it; and the role is not urgent care",
                         Who(actor), entry.nhs_number(),
                         actor.organisation().empty() ? "no organisation" : actor.organisation(),
                         gps.empty() ? "none recorded" : fmt::format("{}", fmt::join(gps, ", ")),
                         actor.user_id()));
  }

  // A relative shares the family name and where they live (address or
  // postcode): HIGH. A neighbour shares the postcode, the address or the
  // street, not the name: MEDIUM. A shared family name alone raises nothing:
  // in London, Patel, Khan, Begum and Smith are shared by thousands.
  void Family(const AuditEntry& entry, const careledger::v1::User& user, const Patient& patient,
              const Content* shown) {
    const std::string family_name = NormalisedText(user.family_name());
    const std::string address = NormalisedText(user.address());
    const std::string postcode = NormalisedPostcode(user.postcode());
    const std::string street = StreetOf(user.address());
    bool same_name = false;
    bool same_address = false;
    bool same_postcode = false;
    bool same_street = false;
    const auto compare = [&](const Content& content) {
      same_name |= !family_name.empty() && family_name == content.family_name;
      same_address |= !address.empty() && address == content.address;
      same_postcode |= !postcode.empty() && postcode == content.postcode;
      same_street |= !street.empty() && street == content.street;
    };
    for (const Content& content : patient.contents) compare(content);
    if (shown != nullptr) compare(*shown);
    const bool lives_there = same_address || same_postcode;
    if (!lives_there && !same_street) return;
    std::vector<std::string> shared;
    if (same_name) shared.push_back(fmt::format("the family name \"{}\"", user.family_name()));
    if (same_address) shared.push_back(fmt::format("the address \"{}\"", user.address()));
    if (same_postcode) shared.push_back(fmt::format("the postcode {}", user.postcode()));
    if (same_street && !same_address) shared.push_back(fmt::format("the street \"{}\"", street));
    const bool relative = same_name && lives_there;
    RaiseOne(Rule::kFamily,
             relative ? careledger::v1::ALERT_SEVERITY_HIGH : careledger::v1::ALERT_SEVERITY_MEDIUM,
             entry,
             fmt::format("{} read the plan of {}, who shares {} with them (their directory "
                         "record against the plan's demographics): {}",
                         Who(entry.actor()), entry.nhs_number(), fmt::join(shared, " and "),
                         relative ? "a relative?" : "a neighbour?"));
  }

  absl::Status OutOfHours(const AuditEntry& entry, absl::Time at) {
    const Actor& actor = entry.actor();
    absl::StatusOr<careledger::v1::OrganisationType> type =
        FindOrganisationType(actor.organisation());
    if (!type.ok()) return type.status();
    const auto& exempt = thresholds_.out_of_hours_exempt;
    if (std::find(exempt.begin(), exempt.end(), *type) != exempt.end()) return absl::OkStatus();
    const absl::CivilSecond local = absl::ToCivilSecond(at, zone_);
    const absl::CivilDay day(local);
    const absl::Weekday weekday = absl::GetWeekday(day);
    const int minutes = local.hour() * 60 + local.minute();
    std::string why;
    if (weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday) {
      why = "at a weekend";
    } else if (std::find(thresholds_.bank_holidays.begin(), thresholds_.bank_holidays.end(), day) !=
               thresholds_.bank_holidays.end()) {
      why = "on a bank holiday";
    } else if (minutes < thresholds_.working_day_start || minutes >= thresholds_.working_day_end) {
      why = fmt::format("outside working hours {}-{}", ClockText(thresholds_.working_day_start),
                        ClockText(thresholds_.working_day_end));
    } else {
      return absl::OkStatus();
    }
    RaiseOne(Rule::kOutOfHours, careledger::v1::ALERT_SEVERITY_LOW, entry,
             fmt::format("{} read the plan of {} at {} ({}, {}): {}; the role is not urgent care "
                         "and the organisation ({}) is not a 24-hour service",
                         Who(actor), entry.nhs_number(), absl::FormatTime("%H:%M", at, zone_),
                         absl::FormatTime("%A %Y-%m-%d", at, zone_), result_.time_zone, why,
                         OrganisationTypeKey(*type)));
    return absl::OkStatus();
  }

  void ManyPatients(const AuditEntry& entry, absl::Time at, bool in_range, Window* window) {
    window->Add(entry, at, absl::Minutes(thresholds_.many_patients_minutes));
    const std::size_t distinct = window->per_patient.size();
    const bool over = distinct > static_cast<std::size_t>(thresholds_.many_patients);
    const bool crossed = over && !window->over;
    window->over = over;
    if (!crossed || !in_range) return;
    Alert& alert = Raise(
        Rule::kManyPatients, careledger::v1::ALERT_SEVERITY_HIGH, entry,
        fmt::format("{} read the plans of {} distinct patients between {} and {} ({}): more than "
                    "{} within {} minutes",
                    Who(entry.actor()), distinct, TimeText(window->items.front().at, zone_),
                    absl::FormatTime("%H:%M", at, zone_), result_.time_zone,
                    thresholds_.many_patients, thresholds_.many_patients_minutes));
    alert.clear_nhs_number();  // several
    std::set<std::string> seen;
    for (const Window::Item& item : window->items) {
      if (seen.insert(item.nhs_number).second) *alert.add_evidence() = item.position;
    }
  }

  void Refusals(const AuditEntry& entry, absl::Time at, bool in_range, Window* window) {
    window->Add(entry, at, absl::Minutes(thresholds_.refusals_minutes));
    const std::size_t count = window->items.size();
    const bool over = count >= static_cast<std::size_t>(thresholds_.refusals);
    const bool crossed = over && !window->over;
    window->over = over;
    if (!crossed || !in_range) return;
    Alert& alert = Raise(
        Rule::kRefusals, careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
        fmt::format("{} was refused {} times between {} and {} ({}): at least {} within {} "
                    "minutes; the last, {}: {}",
                    Who(entry.actor()), count, TimeText(window->items.front().at, zone_),
                    absl::FormatTime("%H:%M", at, zone_), result_.time_zone, thresholds_.refusals,
                    thresholds_.refusals_minutes, entry.action(), entry.reason()));
    if (window->per_patient.size() != 1) alert.clear_nhs_number();
    for (const Window::Item& item : window->items) *alert.add_evidence() = item.position;
  }

  absl::Status Device(const AuditEntry& entry, absl::Time at, bool read) {
    const Actor& actor = entry.actor();
    if (!IsProfessional(actor.role())) return absl::OkStatus();
    std::string problem;
    if (actor.device_id().empty()) {
      problem = "no named device";
    } else {
      absl::StatusOr<const careledger::v1::DirectoryDevice*> found = FindDevice(actor.device_id());
      if (!found.ok()) return found.status();
      const careledger::v1::DirectoryDevice* device = *found;
      if (device == nullptr) {
        problem =
            fmt::format("device {}, which is not registered in the directory", actor.device_id());
      } else if (!device->changed_by().has_recorded_at() ||
                 events::FromTimestamp(device->changed_by().recorded_at()) <= at) {
        // The record now is the one in force at the access.
        const careledger::v1::Device& record = device->device();
        const absl::CivilDay access_day = absl::ToCivilDay(at, absl::UTCTimeZone());
        const std::optional<absl::CivilDay> issued = DayOf(record.licence_issued_on());
        if (record.organisation() != actor.organisation()) {
          problem = fmt::format("device {}, registered to {}, not to {}", actor.device_id(),
                                record.organisation(), actor.organisation());
        } else if (record.revoked()) {
          problem = fmt::format("device {}, which was revoked", actor.device_id());
        } else if (!issued) {
          problem = fmt::format("device {}, which has no licence", actor.device_id());
        } else if (*issued > access_day ||
                   AddMonths(*issued, thresholds_.licence_months) < access_day) {
          problem = fmt::format("device {}, whose licence (issued {}) was more than {} months old",
                                actor.device_id(), DayText(*issued), thresholds_.licence_months);
        }
      }
    }
    if (problem.empty()) return absl::OkStatus();
    const std::string about =
        entry.nhs_number().empty() ? "" : fmt::format(" of {}", entry.nhs_number());
    if (read) {
      RaiseOne(Rule::kDevice, careledger::v1::ALERT_SEVERITY_HIGH, entry,
               fmt::format("{} read the plan{} from {}", Who(actor), about, problem));
    } else {
      RaiseOne(Rule::kDevice, careledger::v1::ALERT_SEVERITY_MEDIUM, entry,
               fmt::format("{} tried {}{} from {} (refused: {})", Who(actor), entry.action(), about,
                           problem, entry.reason()));
    }
    return absl::OkStatus();
  }

  // ---- lookups, each once per investigation ----

  absl::StatusOr<const Patient*> FindPatient(const std::string& nhs) {
    auto [it, inserted] = patients_.try_emplace(nhs);
    if (inserted) {
      absl::StatusOr<careledger::v1::PlanRecord> record = plans_.GetPlan(nhs);
      if (record.ok()) {
        it->second = PatientOf(*record);
      } else if (record.status().code() != absl::StatusCode::kNotFound) {
        patients_.erase(it);
        return record.status();
      }
    }
    return it->second ? &*it->second : nullptr;
  }

  absl::StatusOr<const Content*> FindVersion(const std::string& nhs, std::uint64_t version) {
    auto [it, inserted] = versions_.try_emplace(std::make_pair(nhs, version));
    if (inserted) {
      absl::StatusOr<careledger::v1::PublishedVersion> found = plans_.GetVersion(nhs, version);
      if (found.ok()) {
        it->second = ContentOf(found->plan());
      } else if (found.status().code() != absl::StatusCode::kNotFound) {
        versions_.erase(it);
        return found.status();
      }
    }
    return it->second ? &*it->second : nullptr;
  }

  absl::StatusOr<const careledger::v1::User*> FindUser(const std::string& user_id) {
    auto [it, inserted] = users_.try_emplace(user_id);
    if (inserted) {
      absl::StatusOr<careledger::v1::DirectoryUser> found = directory_.GetUser(user_id);
      if (found.ok()) {
        if (found->has_user()) it->second = found->user();
      } else if (found.status().code() != absl::StatusCode::kNotFound) {
        users_.erase(it);
        return found.status();
      }
    }
    return it->second ? &*it->second : nullptr;
  }

  absl::StatusOr<const careledger::v1::DirectoryDevice*> FindDevice(const std::string& device_id) {
    auto [it, inserted] = devices_.try_emplace(device_id);
    if (inserted) {
      absl::StatusOr<careledger::v1::DirectoryDevice> found = directory_.GetDevice(device_id);
      if (found.ok()) {
        it->second = *std::move(found);
      } else if (found.status().code() != absl::StatusCode::kNotFound) {
        devices_.erase(it);
        return found.status();
      }
    }
    return it->second ? &*it->second : nullptr;
  }

  absl::StatusOr<careledger::v1::OrganisationType> FindOrganisationType(const std::string& ods) {
    if (ods.empty()) return careledger::v1::ORGANISATION_TYPE_UNSPECIFIED;
    auto it = organisation_types_.find(ods);
    if (it != organisation_types_.end()) return it->second;
    careledger::v1::OrganisationType type = careledger::v1::ORGANISATION_TYPE_UNSPECIFIED;
    absl::StatusOr<careledger::v1::DirectoryOrganisation> found = directory_.GetOrganisation(ods);
    if (found.ok()) {
      type = found->organisation().type();
    } else if (found.status().code() != absl::StatusCode::kNotFound) {
      return found.status();
    }
    organisation_types_.emplace(ods, type);
    return type;
  }

  // Who was named on the patient's restriction at `at`; nullopt when none
  // was in force.
  absl::StatusOr<std::optional<std::set<std::string>>> AllowedAt(const std::string& nhs,
                                                                 absl::Time at,
                                                                 const Patient* patient) {
    if (patient != nullptr && patient->restricted_now && patient->restricted_since <= at) {
      return std::optional<std::set<std::string>>(patient->allowed_now);
    }
    auto [it, inserted] = restrictions_.try_emplace(nhs);
    if (inserted) {
      absl::StatusOr<std::vector<careledger::v1::HistoryEntry>> history = plans_.ListHistory(nhs);
      if (!history.ok()) {
        restrictions_.erase(it);
        return history.status();
      }
      std::vector<RestrictionSpan>& spans = it->second;
      for (const careledger::v1::HistoryEntry& item : *history) {
        const careledger::v1::Event& event = item.event();
        const absl::Time when = events::FromTimestamp(event.recorded_at());
        if (event.has_restriction_set()) {
          if (!spans.empty() && spans.back().until == absl::InfiniteFuture()) {
            spans.back().until = when;
          }
          RestrictionSpan& span = spans.emplace_back();
          span.since = when;
          span.allowed.insert(event.restriction_set().allowed_users().begin(),
                              event.restriction_set().allowed_users().end());
          span.allowed.insert(event.actor().user_id());
        } else if (event.has_restriction_lifted() && !spans.empty() &&
                   spans.back().until == absl::InfiniteFuture()) {
          spans.back().until = when;
        }
      }
    }
    for (const RestrictionSpan& span : it->second) {
      if (span.since <= at && at < span.until) {
        return std::optional<std::set<std::string>>(span.allowed);
      }
    }
    return std::optional<std::set<std::string>>();
  }

  const ProjectionStore& store_;
  const InvestigationRequest& request_;
  const RuleThresholds& thresholds_;
  PlanQueries plans_;
  DirectoryQueries directory_;
  std::array<bool, kRuleCount> enabled_{};
  // RaiseOne's alerts by what folds repeats together, to their index.
  // (rule, severity, user, device, patient)
  using RepeatKey =
      std::tuple<Rule, careledger::v1::AlertSeverity, std::string, std::string, std::string>;
  std::map<RepeatKey, std::size_t> repeats_;
  absl::TimeZone zone_;
  Investigation result_;

  std::map<std::string, std::optional<Patient>> patients_;
  std::map<std::pair<std::string, std::uint64_t>, std::optional<Content>> versions_;
  std::map<std::string, std::optional<careledger::v1::User>> users_;
  std::map<std::string, std::optional<careledger::v1::DirectoryDevice>> devices_;
  std::map<std::string, careledger::v1::OrganisationType> organisation_types_;
  std::map<std::string, std::vector<RestrictionSpan>> restrictions_;
  std::map<std::string, UserWindows> windows_;
};

}  // namespace

std::string AlertId(std::string_view rule, const EventPosition& raised_by) {
  return fmt::format("{}/{}-{}", rule, raised_by.partition(), raised_by.offset());
}

absl::Status SetThreshold(std::string_view assignment, RuleThresholds* thresholds) {
  const std::size_t equals = assignment.find('=');
  const std::string_view key = assignment.substr(0, equals);
  const std::string_view value =
      equals == std::string_view::npos ? std::string_view() : assignment.substr(equals + 1);
  const auto bad = [&](std::string_view expected) {
    std::vector<std::string> keys;
    for (const auto& [name, unused] : ThresholdValues(RuleThresholds())) keys.push_back(name);
    return absl::InvalidArgumentError(fmt::format("threshold '{}': {} (thresholds: {})", assignment,
                                                  expected, fmt::join(keys, ", ")));
  };
  if (equals == std::string_view::npos) return bad("expected KEY=VALUE");
  const auto number = [&](int min, int* field) {
    return ParseInt(value, min, field) ? absl::OkStatus()
                                       : bad(fmt::format("expected a whole number >= {}", min));
  };
  if (key == "deceased_days") return number(0, &thresholds->deceased_days);
  if (key == "many_patients") return number(1, &thresholds->many_patients);
  if (key == "many_patients_minutes") return number(1, &thresholds->many_patients_minutes);
  if (key == "refusals") return number(1, &thresholds->refusals);
  if (key == "refusals_minutes") return number(1, &thresholds->refusals_minutes);
  if (key == "licence_months") return number(1, &thresholds->licence_months);
  if (key == "time_zone") {
    absl::TimeZone zone;
    if (value.empty() || !absl::LoadTimeZone(std::string(value), &zone)) {
      return bad("expected a time zone that can be loaded (e.g. Europe/London, UTC)");
    }
    thresholds->time_zone = std::string(value);
    return absl::OkStatus();
  }
  if (key == "working_hours") {
    const std::size_t dash = value.find('-');
    int start = 0;
    int end = 0;
    if (dash == std::string_view::npos || !ParseClock(value.substr(0, dash), &start) ||
        !ParseClock(value.substr(dash + 1), &end) || start >= end) {
      return bad("expected HH:MM-HH:MM, start before end");
    }
    thresholds->working_day_start = start;
    thresholds->working_day_end = end;
    return absl::OkStatus();
  }
  if (key == "bank_holidays") {
    std::vector<absl::CivilDay> days;
    if (value != "none") {
      for (std::string_view item : SplitList(value)) {
        absl::CivilDay day;
        if (!absl::ParseCivilTime(std::string(item), &day))
          return bad("expected YYYY-MM-DD,... or none");
        days.push_back(day);
      }
    }
    thresholds->bank_holidays = std::move(days);
    return absl::OkStatus();
  }
  if (key == "out_of_hours_exempt") {
    std::vector<careledger::v1::OrganisationType> types;
    if (value != "none") {
      for (std::string_view item : SplitList(value)) {
        bool known = false;
        for (int t = careledger::v1::OrganisationType_MIN + 1;
             t <= careledger::v1::OrganisationType_MAX; ++t) {
          const auto type = static_cast<careledger::v1::OrganisationType>(t);
          if (careledger::v1::OrganisationType_IsValid(t) && OrganisationTypeKey(type) == item) {
            types.push_back(type);
            known = true;
          }
        }
        if (!known) {
          return bad(
              "expected organisation types (gp_practice, hospital, hospice, care_home, "
              "ambulance_service, nhs_111, out_of_hours_gp, community_nursing, "
              "cmc_service) separated by commas, or none");
        }
      }
    }
    thresholds->out_of_hours_exempt = std::move(types);
    return absl::OkStatus();
  }
  return bad("unknown threshold");
}

std::vector<std::pair<std::string, std::string>> ThresholdValues(const RuleThresholds& t) {
  std::vector<std::string> holidays;
  for (absl::CivilDay day : t.bank_holidays) holidays.push_back(DayText(day));
  return {
      {"deceased_days", std::to_string(t.deceased_days)},
      {"working_hours",
       fmt::format("{}-{}", ClockText(t.working_day_start), ClockText(t.working_day_end))},
      {"time_zone", t.time_zone},
      {"bank_holidays", holidays.empty() ? "none" : fmt::format("{}", fmt::join(holidays, ","))},
      {"out_of_hours_exempt", JoinedTypes(t.out_of_hours_exempt)},
      {"many_patients", std::to_string(t.many_patients)},
      {"many_patients_minutes", std::to_string(t.many_patients_minutes)},
      {"refusals", std::to_string(t.refusals)},
      {"refusals_minutes", std::to_string(t.refusals_minutes)},
      {"licence_months", std::to_string(t.licence_months)},
  };
}

absl::StatusOr<Investigation> Investigate(const ProjectionStore& store,
                                          const InvestigationRequest& request) {
  for (const std::string& rule : request.rules) {
    if (std::find(kInvestigationRules.begin(), kInvestigationRules.end(), rule) ==
        kInvestigationRules.end()) {
      return absl::InvalidArgumentError(
          fmt::format("no investigation rule is called '{}' (rules: {})", rule,
                      fmt::join(kInvestigationRules, ", ")));
    }
  }
  if (request.from >= request.to) {
    return absl::InvalidArgumentError(
        "the investigation's time range is empty: from must be "
        "before to");
  }
  Investigator investigator(store, request);
  return investigator.Run();
}

absl::StatusOr<std::vector<careledger::v1::AlertReview>> ListAlertReviews(
    const ProjectionStore& store, std::string_view alert_id) {
  std::vector<careledger::v1::AlertReview> reviews;
  absl::Status parsed = absl::OkStatus();
  absl::Status scanned =
      store.Scan(StoreFamily::kAlertReviews, internal::AuditIndexPrefix(alert_id),
                 [&](std::string_view, std::string_view value) {
                   careledger::v1::AlertReview& review = reviews.emplace_back();
                   if (!review.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                     parsed = absl::DataLossError(fmt::format(
                         "an unreadable review of alert {} in the projection", alert_id));
                     return false;
                   }
                   return true;
                 });
  if (!scanned.ok()) return scanned;
  if (!parsed.ok()) return parsed;
  return reviews;
}

}  // namespace careledger::projections
