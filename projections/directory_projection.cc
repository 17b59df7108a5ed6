#include "projections/directory_projection.h"

#include <fmt/format.h>

#include <tuple>

#include "projections/internal/applied.h"
#include "projections/internal/keys.h"

namespace careledger::projections {
namespace {

using careledger::v1::DirectoryUser;
using careledger::v1::Event;

// OK when `event` is on the stream `prefix` + `subject` and names a subject.
absl::Status CheckStream(const AppliedEvent& applied, std::string_view prefix,
                         const std::string& subject) {
  const std::string& stream_id = applied.record->event.stream_id();
  if (subject.empty() || !stream_id.starts_with(prefix) ||
      std::string_view(stream_id).substr(prefix.size()) != subject) {
    return internal::Inconsistent(
        applied, fmt::format("a directory event about '{}' on another stream", subject));
  }
  return absl::OkStatus();
}

bool Later(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  return std::tuple(a.seconds(), a.nanos()) > std::tuple(b.seconds(), b.nanos());
}

}  // namespace

DirectoryProjection::DirectoryProjection(const ProjectionStore* store)
    : organisations_(store, StoreFamily::kDirectory, "organisation"),
      users_(store, StoreFamily::kDirectory, "user"),
      devices_(store, StoreFamily::kDirectory, "device") {}

absl::Status DirectoryProjection::Apply(const AppliedEvent& event) {
  absl::Status applied = absl::OkStatus();
  switch (event.record->event.body_case()) {
    case Event::kOrganisationRecorded:
      applied = ApplyOrganisation(event);
      break;
    case Event::kUserRecorded:
      applied = ApplyUser(event);
      break;
    case Event::kUserStatusChanged:
      applied = ApplyUserStatus(event);
      break;
    case Event::kDeviceRecorded:
      applied = ApplyDevice(event);
      break;
    default:
      break;
  }
  if (!applied.ok()) return applied;
  return NoteActivity(event);
}

absl::Status DirectoryProjection::ApplyOrganisation(const AppliedEvent& event) {
  const careledger::v1::Organisation& organisation =
      event.record->event.organisation_recorded().organisation();
  if (absl::Status stream = CheckStream(event, kOrganisationStreamPrefix, organisation.ods_code());
      !stream.ok()) {
    return stream;
  }
  careledger::v1::DirectoryOrganisation row;
  *row.mutable_organisation() = organisation;
  *row.mutable_changed_by() = internal::PositionOf(event);
  organisations_.Insert(internal::OrganisationKey(organisation.ods_code()), std::move(row));
  return absl::OkStatus();
}

absl::Status DirectoryProjection::ApplyUser(const AppliedEvent& event) {
  const careledger::v1::User& user = event.record->event.user_recorded().user();
  if (absl::Status stream = CheckStream(event, kUserStreamPrefix, user.user_id()); !stream.ok()) {
    return stream;
  }
  absl::StatusOr<DirectoryUser*> row = UserRow(user.user_id());
  if (!row.ok()) return row.status();
  // A new account starts active (as the ledger's 180-day rule counts it).
  if (!(*row)->has_user()) Touch(**row, event.record->event.recorded_at());
  *(*row)->mutable_user() = user;
  *(*row)->mutable_changed_by() = internal::PositionOf(event);
  return absl::OkStatus();
}

absl::Status DirectoryProjection::ApplyUserStatus(const AppliedEvent& event) {
  const careledger::v1::UserStatusChanged& changed = event.record->event.user_status_changed();
  if (absl::Status stream = CheckStream(event, kUserStreamPrefix, changed.user_id());
      !stream.ok()) {
    return stream;
  }
  absl::StatusOr<DirectoryUser*> row = users_.Find(internal::UserKey(changed.user_id()));
  if (!row.ok()) return row.status();
  if (*row == nullptr || !(*row)->has_user()) {
    return internal::Inconsistent(
        event,
        fmt::format("a status change of user '{}', who was never recorded", changed.user_id()));
  }
  (*row)->mutable_user()->set_status(changed.status());
  // Reinstating an account counts as activity: that is how it is unlocked.
  if (changed.status() == careledger::v1::USER_STATUS_ACTIVE) {
    Touch(**row, event.record->event.recorded_at());
  }
  *(*row)->mutable_changed_by() = internal::PositionOf(event);
  return absl::OkStatus();
}

absl::Status DirectoryProjection::ApplyDevice(const AppliedEvent& event) {
  const careledger::v1::Device& device = event.record->event.device_recorded().device();
  if (absl::Status stream = CheckStream(event, kDeviceStreamPrefix, device.device_id());
      !stream.ok()) {
    return stream;
  }
  careledger::v1::DirectoryDevice row;
  *row.mutable_device() = device;
  *row.mutable_changed_by() = internal::PositionOf(event);
  devices_.Insert(internal::DeviceKey(device.device_id()), std::move(row));
  return absl::OkStatus();
}

absl::Status DirectoryProjection::NoteActivity(const AppliedEvent& event) {
  const Event& body = event.record->event;
  const std::string& user_id = body.actor().user_id();
  if (user_id.empty()) return absl::OkStatus();
  if (body.has_access_recorded() &&
      body.access_recorded().outcome() == careledger::v1::ACCESS_OUTCOME_DENIED) {
    return absl::OkStatus();
  }
  absl::StatusOr<DirectoryUser*> row = UserRow(user_id);
  if (!row.ok()) return row.status();
  Touch(**row, body.recorded_at());
  return absl::OkStatus();
}

void DirectoryProjection::Touch(DirectoryUser& row, const google::protobuf::Timestamp& at) {
  // The latest time wins, whatever order partitions are applied in.
  if (!row.has_last_activity() || Later(at, row.last_activity())) {
    *row.mutable_last_activity() = at;
  }
}

absl::StatusOr<DirectoryUser*> DirectoryProjection::UserRow(const std::string& user_id) {
  const std::string key = internal::UserKey(user_id);
  absl::StatusOr<DirectoryUser*> row = users_.Find(key);
  if (!row.ok() || *row != nullptr) return row;
  return users_.Insert(key, DirectoryUser());
}

void DirectoryProjection::Flush(StoreBatch* batch) {
  organisations_.Flush(batch);
  users_.Flush(batch);
  devices_.Flush(batch);
}

void DirectoryProjection::Discard() {
  organisations_.Discard();
  users_.Discard();
  devices_.Discard();
}

}  // namespace careledger::projections
