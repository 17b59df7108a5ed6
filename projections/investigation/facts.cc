#include "projections/investigation/facts.h"

#include "events/time_util.h"
#include "projections/investigation/text.h"

namespace careledger::projections::investigation {
namespace {

void AddContent(const Content& content, Patient* patient) {
  if (!content.gp_practice.empty()) patient->organisations.insert(content.gp_practice);
  for (const std::string& ods : content.contact_organisations) patient->organisations.insert(ods);
  for (const std::string& user : content.named_users) patient->users.insert(user);
  patient->contents.push_back(content);
}

}  // namespace

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

Patient PatientOf(const careledger::v1::PlanRecord& record) {
  const careledger::v1::PlanState& state = record.state();
  Patient patient;
  AddContent(ContentOf(state.published()), &patient);
  if (!state.content_erased()) patient.published_version = state.published_version();
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

absl::StatusOr<const Patient*> Facts::FindPatient(const std::string& nhs) {
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

absl::StatusOr<const Content*> Facts::FindVersion(const std::string& nhs, std::uint64_t version) {
  if (auto known = patients_.find(nhs); known != patients_.end() && known->second && version != 0 &&
                                        known->second->published_version == version) {
    return &known->second->contents.front();
  }
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

absl::StatusOr<const careledger::v1::User*> Facts::FindUser(const std::string& user_id) {
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

absl::StatusOr<const careledger::v1::DirectoryDevice*> Facts::FindDevice(
    const std::string& device_id) {
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

absl::StatusOr<careledger::v1::OrganisationType> Facts::FindOrganisationType(
    const std::string& ods) {
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

absl::StatusOr<std::optional<std::set<std::string>>> Facts::AllowedAt(const std::string& nhs,
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

}  // namespace careledger::projections::investigation
