// ProjectionDirectory: the DirectoryLookup the service uses, over the
// directory projection (projections/directory_queries.h). What it answers
// is as of the projection's committed state: a user or device recorded but
// not yet projected is NOT_FOUND until the projector catches up.
//
// Thread safety: as DirectoryQueries, any thread, also while projecting.
#ifndef CARELEDGER_AUTH_PROJECTION_DIRECTORY_H_
#define CARELEDGER_AUTH_PROJECTION_DIRECTORY_H_

#include "auth/caller.h"
#include "projections/directory_queries.h"
#include "projections/projection_store.h"

namespace careledger::auth {

class ProjectionDirectory : public DirectoryLookup {
 public:
  // `store` must outlive this object.
  explicit ProjectionDirectory(const projections::ProjectionStore* store) : queries_(store) {}

  absl::StatusOr<careledger::v1::User> User(std::string_view user_id) const override;
  absl::StatusOr<careledger::v1::Device> Device(std::string_view device_id) const override;

 private:
  projections::DirectoryQueries queries_;
};

}  // namespace careledger::auth

#endif  // CARELEDGER_AUTH_PROJECTION_DIRECTORY_H_
