#include "auth/projection_directory.h"

namespace careledger::auth {

absl::StatusOr<careledger::v1::User> ProjectionDirectory::User(std::string_view user_id) const {
  absl::StatusOr<careledger::v1::DirectoryUser> entry = queries_.GetUser(user_id);
  if (!entry.ok()) return entry.status();
  if (!entry->has_user()) return absl::NotFoundError("user not recorded");
  return entry->user();
}

absl::StatusOr<careledger::v1::Device> ProjectionDirectory::Device(
    std::string_view device_id) const {
  absl::StatusOr<careledger::v1::DirectoryDevice> entry = queries_.GetDevice(device_id);
  if (!entry.ok()) return entry.status();
  if (!entry->has_device()) return absl::NotFoundError("device not recorded");
  return entry->device();
}

}  // namespace careledger::auth
