#include "ledger/directory.h"

#include <fmt/format.h>

#include <algorithm>

#include "events/time_util.h"

namespace careledger::ledger {

using careledger::v1::Event;

const careledger::v1::Organisation* Directory::FindOrganisation(const std::string& ods_code) const {
  auto it = organisations_.find(ods_code);
  return it == organisations_.end() ? nullptr : &it->second;
}

const DirectoryUser* Directory::FindUser(const std::string& user_id) const {
  auto it = users_.find(user_id);
  return it == users_.end() ? nullptr : &it->second;
}

const careledger::v1::Device* Directory::FindDevice(const std::string& device_id) const {
  auto it = devices_.find(device_id);
  return it == devices_.end() ? nullptr : &it->second;
}

namespace {

bool IsActiveCmcTeamMember(const careledger::v1::User& user) {
  return user.role() == careledger::v1::ROLE_AUDITOR &&
         user.status() != careledger::v1::USER_STATUS_SUSPENDED &&
         user.status() != careledger::v1::USER_STATUS_REVOKED;
}

}  // namespace

std::vector<std::string> Directory::DevicesOf(std::string_view ods_code) const {
  std::vector<std::string> ids;
  for (const auto& [id, device] : devices_) {
    if (device.organisation() == ods_code) ids.push_back(id);
  }
  return ids;
}

void Directory::ExportTo(careledger::v1::WriterSnapshot* out) const {
  // In key order, so one directory always gives the same snapshot bytes.
  const auto sorted_keys = [](const auto& map) {
    std::vector<std::string> keys;
    keys.reserve(map.size());
    for (const auto& entry : map) keys.push_back(entry.first);
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  for (const std::string& code : sorted_keys(organisations_)) {
    *out->add_organisations() = organisations_.at(code);
  }
  for (const std::string& id : sorted_keys(users_)) {
    const DirectoryUser& entry = users_.at(id);
    careledger::v1::SnapshotUser* user = out->add_users();
    *user->mutable_user() = entry.user;
    if (entry.last_activity != absl::InfinitePast()) {
      *user->mutable_last_activity() = events::ToTimestamp(entry.last_activity);
    }
  }
  for (const std::string& id : sorted_keys(devices_)) *out->add_devices() = devices_.at(id);
}

void Directory::ImportFrom(const careledger::v1::WriterSnapshot& in) {
  for (const careledger::v1::Organisation& organisation : in.organisations()) {
    organisations_.insert_or_assign(organisation.ods_code(), organisation);
  }
  for (const careledger::v1::SnapshotUser& user : in.users()) {
    auto [it, inserted] = users_.try_emplace(user.user().user_id());
    ReplaceUser(&it->second, user.user());
    it->second.last_activity = user.has_last_activity()
                                   ? events::FromTimestamp(user.last_activity())
                                   : absl::InfinitePast();
  }
  for (const careledger::v1::Device& device : in.devices()) {
    devices_.insert_or_assign(device.device_id(), device);
  }
}

void Directory::ReplaceUser(DirectoryUser* entry, const careledger::v1::User& user) {
  if (IsActiveCmcTeamMember(entry->user)) --active_cmc_team_members_;
  entry->user = user;
  if (IsActiveCmcTeamMember(entry->user)) ++active_cmc_team_members_;
}

void Directory::Apply(const Event& event) {
  const absl::Time at = events::FromTimestamp(event.recorded_at());
  switch (event.body_case()) {
    case Event::kOrganisationRecorded:
      organisations_.insert_or_assign(event.organisation_recorded().organisation().ods_code(),
                                      event.organisation_recorded().organisation());
      break;
    case Event::kUserRecorded: {
      const careledger::v1::User& user = event.user_recorded().user();
      auto [it, inserted] = users_.try_emplace(user.user_id());
      ReplaceUser(&it->second, user);
      if (inserted) it->second.last_activity = at;  // a new account starts active
      break;
    }
    case Event::kUserStatusChanged: {
      auto it = users_.find(event.user_status_changed().user_id());
      if (it == users_.end()) break;
      careledger::v1::User changed = it->second.user;
      changed.set_status(event.user_status_changed().status());
      ReplaceUser(&it->second, changed);
      // Reinstating an account (after suspension or the inactivity lock)
      // counts as activity: that is how the CMC team unlocks it.
      if (event.user_status_changed().status() == careledger::v1::USER_STATUS_ACTIVE) {
        it->second.last_activity = at;
      }
      break;
    }
    case Event::kDeviceRecorded:
      devices_.insert_or_assign(event.device_recorded().device().device_id(),
                                event.device_recorded().device());
      break;
    default:
      break;
  }
  const bool refusal = event.has_access_recorded() &&
                       event.access_recorded().outcome() == careledger::v1::ACCESS_OUTCOME_DENIED;
  if (refusal || event.actor().user_id().empty()) return;
  auto actor = users_.find(event.actor().user_id());
  if (actor != users_.end() && at > actor->second.last_activity) actor->second.last_activity = at;
}

std::string OrganisationStream(std::string_view ods_code) {
  return fmt::format("directory/org/{}", ods_code);
}
std::string UserStream(std::string_view user_id) {
  return fmt::format("directory/user/{}", user_id);
}
std::string DeviceStream(std::string_view device_id) {
  return fmt::format("directory/device/{}", device_id);
}

}  // namespace careledger::ledger
