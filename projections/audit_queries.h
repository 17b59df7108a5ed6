// AuditQueries: read the audit trail (audit_projection.h) for an
// investigation: a patient's every access and change ("who has looked at my
// plan?"), everything one user did and every patient they touched,
// everything an organisation's users did, or everything, each over a time
// range [from, to), a page at a time, oldest first (or newest first).
//
// Every list is one range scan: the index family is sought to
// (term, from) and read until `to` or the page is full, and the entries are
// then read with one MultiGet; the cost is that of the page, never of the
// trail or the store. A page's next_page_token resumes exactly after it: no
// duplicates and no gaps (an entry the projector adds later, from a lagging
// partition, with a time before the token's, is not in later pages: page
// once the projection has caught up). Pass it back with the same subject,
// range and order; it is the next entry's key, so it stays valid forever.
//
// Each entry's `site` is filled in: the name the actor's organisation had in
// the directory when they acted ("" when unknown to the projection); and its
// `actor_name`: the actor's name in the directory as it stands now (the
// directory keeps no history of users; "" for a user it does not know).
// A request with `annotate` false leaves both "": for a reader that counts
// or judges entries without showing them (a trail's summary, the
// investigation rules), which would otherwise pay a directory read and a
// site lookup for every page and a site key for every entry.
//
// A projection lags the log: an empty page means "nothing projected yet" as
// much as "nothing happened". Errors: INVALID_ARGUMENT for a bad request
// (limit 0 or above kMaxAuditPageSize, from after to, an unreadable page
// token); DATA_LOSS for an unreadable stored entry; others from the store.
//
// Thread safety: every method may be called from any thread, also while a
// projector is committing.
#ifndef CARELEDGER_PROJECTIONS_AUDIT_QUERIES_H_
#define CARELEDGER_PROJECTIONS_AUDIT_QUERIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "careledger/v1/audit.pb.h"
#include "projections/projection_store.h"

namespace careledger::projections {

inline constexpr std::size_t kMaxAuditPageSize = 10'000;

struct AuditPageRequest {
  // [from, to), to the microsecond; infinite = unbounded.
  absl::Time from = absl::InfinitePast();
  absl::Time to = absl::InfiniteFuture();
  std::size_t limit = 50;
  std::string page_token;  // "" = the first page
  bool newest_first = false;
  bool annotate = true;  // fill in site and actor_name (above)
};

struct AuditPage {
  std::vector<careledger::v1::AuditEntry> entries;
  std::string next_page_token;  // "" when this is the last page
};

class AuditQueries {
 public:
  // `store` must outlive the queries.
  explicit AuditQueries(const ProjectionStore* store) : store_(store) {}

  // Every entry naming the patient: reads and refused reads of their plan,
  // every change to it, refused commands on it, audit queries of their
  // trail and of their accesses.
  absl::StatusOr<AuditPage> ListByPatient(std::string_view nhs_number,
                                          const AuditPageRequest& request) const;
  // Everything the user did (as the acting user); their entries' NHS
  // numbers are the patients they touched.
  absl::StatusOr<AuditPage> ListByUser(std::string_view user_id,
                                       const AuditPageRequest& request) const;
  // Everything done by actors naming the organisation (ODS code).
  absl::StatusOr<AuditPage> ListByOrganisation(std::string_view ods_code,
                                               const AuditPageRequest& request) const;
  // Every entry.
  absl::StatusOr<AuditPage> ListAll(const AuditPageRequest& request) const;

  // The entry of the record at (partition, offset), recorded at
  // `recorded_at` (the record's own time, part of the key). NOT_FOUND when
  // no such entry is projected.
  absl::StatusOr<careledger::v1::AuditEntry> GetEntry(
      const google::protobuf::Timestamp& recorded_at, std::int32_t partition,
      std::int64_t offset) const;

  // The name the directory has now for user `user_id` ("" when it does not
  // know them): the entries' actor_name.
  absl::StatusOr<std::string> UserName(std::string_view user_id) const;

  // The name organisation `ods_code` had at `at` ("" when none is projected).
  absl::StatusOr<std::string> SiteName(std::string_view ods_code,
                                       const google::protobuf::Timestamp& at) const;

 private:
  // `index` unset: the primary family.
  absl::StatusOr<AuditPage> List(std::optional<StoreFamily> index, std::string_view term,
                                 const AuditPageRequest& request) const;
  absl::Status FillSites(std::vector<careledger::v1::AuditEntry>* entries) const;
  // Sets each entry's actor_name from the family `directory`.
  absl::Status FillNames(std::vector<careledger::v1::AuditEntry>* entries) const;

  const ProjectionStore* store_;
};

}  // namespace careledger::projections

#endif  // CARELEDGER_PROJECTIONS_AUDIT_QUERIES_H_
