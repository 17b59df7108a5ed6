// DirectoryProjection: the current organisations, users and devices (family
// `directory`), from the directory events of the streams
// "directory/org/<ODS code>", "directory/user/<user id>" and
// "directory/device/<device id>", and each user's last activity from every
// event.
//
//   OrganisationRecorded  "org/<ODS>" = the organisation (an upsert).
//   UserRecorded          "user/<id>".user = the user (an upsert; the last
//                         activity is kept).
//   UserStatusChanged     "user/<id>".user.status = the new status.
//   DeviceRecorded        "device/<id>" = the device (an upsert).
//   any event             "user/<actor.user_id>".last_activity = the latest
//                         recorded_at of the actor's events, except access
//                         records with outcome DENIED (a refused attempt is
//                         not activity). The latest, not the last applied,
//                         so partitions may be applied in any order.
//
// Each row also keeps the EventPosition of the directory event that last
// changed it. Refused with FAILED_PRECONDITION (the partition stops): a
// directory event on a stream other than the one naming its subject, or a
// UserStatusChanged for a user never recorded.
#ifndef CARELEDGER_PROJECTIONS_DIRECTORY_PROJECTION_H_
#define CARELEDGER_PROJECTIONS_DIRECTORY_PROJECTION_H_

#include <string_view>

#include "careledger/v1/projection.pb.h"
#include "projections/internal/pending.h"
#include "projections/projection.h"
#include "projections/projection_store.h"

namespace careledger::projections {

inline constexpr std::string_view kOrganisationStreamPrefix = "directory/org/";
inline constexpr std::string_view kUserStreamPrefix = "directory/user/";
inline constexpr std::string_view kDeviceStreamPrefix = "directory/device/";

class DirectoryProjection final : public Projection {
 public:
  // `store` must outlive the projection.
  explicit DirectoryProjection(const ProjectionStore* store);

  std::string_view name() const override { return "directory"; }
  absl::Status Apply(const AppliedEvent& event) override;
  void Flush(StoreBatch* batch) override;
  void Discard() override;

 private:
  absl::Status ApplyOrganisation(const AppliedEvent& event);
  absl::Status ApplyUser(const AppliedEvent& event);
  absl::Status ApplyUserStatus(const AppliedEvent& event);
  absl::Status ApplyDevice(const AppliedEvent& event);
  absl::Status NoteActivity(const AppliedEvent& event);

  // The row of `user_id`, created empty when missing.
  // Moves the user's last activity to `at` if that is later.
  static void Touch(careledger::v1::DirectoryUser& row, const google::protobuf::Timestamp& at);
  absl::StatusOr<careledger::v1::DirectoryUser*> UserRow(const std::string& user_id);

  internal::PendingRecords<careledger::v1::DirectoryOrganisation> organisations_;
  internal::PendingRecords<careledger::v1::DirectoryUser> users_;
  internal::PendingRecords<careledger::v1::DirectoryDevice> devices_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_DIRECTORY_PROJECTION_H_
