// The directory as the ledger knows it: the fold of the directory events
// (organisations, users, devices) plus each user's last activity, which the
// access prerequisites need (ledger/access_rules.h).
//
// Last activity is the recorded time of the user's latest event that was not
// a refusal: a granted read, an accepted command, or the user's registration
// or reinstatement. A refused attempt does not keep an account alive.
//
// Not thread-safe: owned by the writer's commit thread.
#ifndef CARELEDGER_LEDGER_DIRECTORY_H_
#define CARELEDGER_LEDGER_DIRECTORY_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "careledger/v1/directory.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/snapshot.pb.h"

namespace careledger::ledger {

struct DirectoryUser {
  careledger::v1::User user;
  absl::Time last_activity = absl::InfinitePast();
};

class Directory {
 public:
  const careledger::v1::Organisation* FindOrganisation(const std::string& ods_code) const;
  const DirectoryUser* FindUser(const std::string& user_id) const;
  const careledger::v1::Device* FindDevice(const std::string& device_id) const;

  // Folds any event: directory events change their record; every event
  // whose actor is a known user (and that is not a refusal) moves that
  // user's last activity to its recorded time.
  void Apply(const careledger::v1::Event& event);

  std::size_t user_count() const { return users_.size(); }

  // True while some CMC team member (a ROLE_AUDITOR user) is registered and
  // neither suspended nor revoked. Until then the directory is in its
  // bootstrap, the only time the operator (ROLE_SYSTEM) may change it
  // (ledger/directory_rules.h).
  bool HasActiveCmcTeamMember() const { return active_cmc_team_members_ > 0; }

  // The ids of the devices registered to organisation `ods_code`, in no
  // particular order. Linear in the number of devices: for the bootstrap.
  std::vector<std::string> DevicesOf(std::string_view ods_code) const;

  // For writer snapshots (docs/snapshots.md): adds every organisation, user
  // (with last activity) and device to `out`; and the reverse, into an empty
  // directory. ImportFrom recomputes what is derived.
  void ExportTo(careledger::v1::WriterSnapshot* out) const;
  void ImportFrom(const careledger::v1::WriterSnapshot& in);

 private:
  // Folds a user's record change, keeping active_cmc_team_members_ right.
  void ReplaceUser(DirectoryUser* entry, const careledger::v1::User& user);

  absl::flat_hash_map<std::string, careledger::v1::Organisation> organisations_;
  absl::flat_hash_map<std::string, DirectoryUser> users_;
  absl::flat_hash_map<std::string, careledger::v1::Device> devices_;
  std::size_t active_cmc_team_members_ = 0;
};

// The streams the directory events live on.
std::string OrganisationStream(std::string_view ods_code);
std::string UserStream(std::string_view user_id);
std::string DeviceStream(std::string_view device_id);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_DIRECTORY_H_
