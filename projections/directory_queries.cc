#include "projections/directory_queries.h"

#include <fmt/format.h>

#include "projections/internal/keys.h"
#include "projections/internal/read.h"

namespace careledger::projections {
namespace {

using careledger::v1::DirectoryDevice;
using careledger::v1::DirectoryOrganisation;
using careledger::v1::DirectoryUser;

// The row at `key`, NOT_FOUND when missing or when `present` says it is empty.
template <typename Row, typename Present>
absl::StatusOr<Row> GetRow(const ProjectionStore& store, const std::string& key,
                           std::string_view what, std::string_view id, Present present) {
  absl::StatusOr<std::optional<Row>> row = internal::ReadRecord<Row>(
      store, StoreFamily::kDirectory, key, fmt::format("directory {} '{}'", what, id));
  if (!row.ok()) return row.status();
  if (!row->has_value() || !present(**row)) {
    return absl::NotFoundError(fmt::format("no projected {} '{}'", what, id));
  }
  return **std::move(row);
}

}  // namespace

absl::StatusOr<DirectoryOrganisation> DirectoryQueries::GetOrganisation(
    std::string_view ods_code) const {
  return GetRow<DirectoryOrganisation>(
      *store_, internal::OrganisationKey(ods_code), "organisation", ods_code,
      [](const DirectoryOrganisation& row) { return row.has_organisation(); });
}

absl::StatusOr<DirectoryUser> DirectoryQueries::GetUser(std::string_view user_id) const {
  return GetRow<DirectoryUser>(*store_, internal::UserKey(user_id), "user", user_id,
                               [](const DirectoryUser& row) { return row.has_user(); });
}

absl::StatusOr<DirectoryDevice> DirectoryQueries::GetDevice(std::string_view device_id) const {
  return GetRow<DirectoryDevice>(*store_, internal::DeviceKey(device_id), "device", device_id,
                                 [](const DirectoryDevice& row) { return row.has_device(); });
}

absl::StatusOr<std::vector<DirectoryUser>> DirectoryQueries::ListUsers(
    std::optional<std::string_view> organisation) const {
  absl::StatusOr<std::vector<DirectoryUser>> users = internal::ScanRecords<DirectoryUser>(
      *store_, StoreFamily::kDirectory, internal::kUserPrefix, "directory user");
  if (!users.ok()) return users;
  std::erase_if(*users, [&](const DirectoryUser& row) {
    return !row.has_user() || (organisation && row.user().organisation() != *organisation);
  });
  return users;
}

}  // namespace careledger::projections
