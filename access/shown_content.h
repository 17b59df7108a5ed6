// What an audited read showed (or a change left): rebuilt from the signed
// log, not from a projection. The patient's plan stream records are found
// through the history projection, read from the log, checked (value hash,
// signature, sequence, chain) and folded (events/plan_fold.h) up to the
// entry's stream_seq; the content's hash must equal the one recorded.
#ifndef CARELEDGER_ACCESS_SHOWN_CONTENT_H_
#define CARELEDGER_ACCESS_SHOWN_CONTENT_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "access/log_lookup.h"
#include "access/plan_as_of.h"
#include "careledger/v1/audit.pb.h"
#include "careledger/v1/plan.pb.h"
#include "events/envelope.h"
#include "events/keyring.h"
#include "events/sha256.h"
#include "projections/projection_store.h"

namespace careledger::access {

struct Rebuilt {
  std::string what;  // "published version 2", "the working draft", ...
  careledger::v1::CarePlan plan;
  events::Hash hash{};
  bool checked = false;  // the entry carried a content hash, and it matched
  // The patient was erased: what was shown can never be rebuilt (the data
  // key was destroyed); `plan` is empty and `what` says so. The entry's
  // metadata (who, when, where, which version and hash) still stands.
  bool erased = false;
  std::vector<careledger::v1::EventPosition> records;  // the records folded
};

// Reads the record at `position` and checks it against what the projection
// holds there: the same value (hash) and a good signature; then opens its
// sealed content with the lookup's data keys (events/sealed_body.h; an
// erased patient's event comes back still sealed). DATA_LOSS naming the
// position otherwise.
absl::StatusOr<events::OpenedRecord> ReadVerified(LogLookup& lookup,
                                                  const careledger::v1::EventPosition& position,
                                                  const events::Keyring& keyring);

// The records of a plan stream, read from the log through a LogLookup and
// checked by ReadVerified: what access::FoldPlanAsOf folds. The lookup is
// opened at the first read, parked at the offsets `store` has reached then.
// Neither pointer is owned; both must outlive this.
class LogStreamRecords : public access::StreamRecords {
 public:
  LogStreamRecords(ledger::Log* log, const events::Keyring* keyring,
                   const projections::ProjectionStore* store,
                   const events::DataKeys* data_keys = nullptr)
      : log_(log), keyring_(keyring), store_(store), data_keys_(data_keys) {}
  absl::StatusOr<events::OpenedRecord> ReadVerified(
      const careledger::v1::EventPosition& position) override;

 private:
  ledger::Log* log_;
  const events::Keyring* keyring_;
  const projections::ProjectionStore* store_;
  const events::DataKeys* data_keys_;
  std::optional<LogLookup> lookup_;
};

// Nullopt when the entry shows no plan content (a refusal, an audit query,
// a directory change, a read of no plan). FAILED_PRECONDITION when the
// projection has not caught up with the entry; DATA_LOSS when the log does
// not hold, or does not verify as, what the entry says.
absl::StatusOr<std::optional<Rebuilt>> RebuildContent(const careledger::v1::AuditEntry& entry,
                                                      const projections::ProjectionStore& store,
                                                      LogLookup& lookup,
                                                      const events::Keyring& keyring);

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_SHOWN_CONTENT_H_
