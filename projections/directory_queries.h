// DirectoryQueries: read the directory projection (directory_projection.h):
// organisations, users with their last activity, devices.
//
// NOT_FOUND means "not in this projection yet" (never recorded, or recorded
// beyond the projected offsets or in a stopped partition). Other errors come
// from the store (DATA_LOSS for an unreadable record).
//
// Thread safety: every method may be called from any thread, also while a
// projector is committing. Each method reads one committed state.
#ifndef CARELEDGER_PROJECTIONS_DIRECTORY_QUERIES_H_
#define CARELEDGER_PROJECTIONS_DIRECTORY_QUERIES_H_

#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "careledger/v1/projection.pb.h"
#include "projections/projection_store.h"

namespace careledger::projections {

class DirectoryQueries {
 public:
  // `store` must outlive the queries.
  explicit DirectoryQueries(const ProjectionStore* store) : store_(store) {}

  // NOT_FOUND when no OrganisationRecorded for `ods_code` is projected.
  absl::StatusOr<careledger::v1::DirectoryOrganisation> GetOrganisation(
      std::string_view ods_code) const;

  // NOT_FOUND when no UserRecorded for `user_id` is projected, even if the
  // id has acted (the store keeps activity for every actor, so that a user
  // recorded later has it).
  absl::StatusOr<careledger::v1::DirectoryUser> GetUser(std::string_view user_id) const;

  // NOT_FOUND when no DeviceRecorded for `device_id` is projected.
  absl::StatusOr<careledger::v1::DirectoryDevice> GetDevice(std::string_view device_id) const;

  // The recorded users of `organisation` (an ODS code; "" for users of no
  // organisation, such as patients), or of every organisation when nullopt,
  // in user id order.
  absl::StatusOr<std::vector<careledger::v1::DirectoryUser>> ListUsers(
      std::optional<std::string_view> organisation = std::nullopt) const;

 private:
  const ProjectionStore* store_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_DIRECTORY_QUERIES_H_
