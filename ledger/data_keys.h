// Patients' data keys (docs/envelope.md, "Sealed bodies"; docs/governance.md,
// "Erasure"): one AES-256 key per patient stream, in a RocksDB store of its
// own, each wrapped (AES-256-GCM) under a master key held in a private file.
//
// Layout of a data key directory (`<data>/data-keys`, made by `init`):
//   <dir>/master.key   32 random bytes, mode 0600, created once (O_EXCL)
//   <dir>/store/       RocksDB: SHA-256(stream id) -> nonce || wrapped key || tag
//                      (aad "careledger.data-key.v1\0" || stream id), or, once
//                      destroyed, a marker holding only the time it was
// Stream ids are stored hashed, so the store names no patient.
//
// Destroy deletes a key, writes its marker synchronously, flushes and compacts
// the whole store, so the wrapped key's bytes are in no SST or WAL file.
//
// Thread-safe: Find and FindOrCreate may run on the writer's signing threads.
#ifndef CARELEDGER_LEDGER_DATA_KEYS_H_
#define CARELEDGER_LEDGER_DATA_KEYS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "events/sealed_body.h"

namespace careledger::ledger {

enum class DataKeyMode {
  kCreate,  // a new directory: ALREADY_EXISTS when it has a master key
  kOpen,    // read and write an existing one: NOT_FOUND when there is none
  // Read the keys another process may own: a RocksDB secondary instance
  // (files of its own in a temporary directory, removed at close) that
  // catches up with the owner when a key is not found, so keys made after
  // open are found too. Keys already found stay cached: a key destroyed
  // later is still known to this store until it is reopened.
  kReadOnly,
};

class DataKeyStore : public events::DataKeys {
 public:
  static absl::StatusOr<std::unique_ptr<DataKeyStore>> Open(const std::string& dir,
                                                            DataKeyMode mode);
  ~DataKeyStore() override;
  DataKeyStore(const DataKeyStore&) = delete;
  DataKeyStore& operator=(const DataKeyStore&) = delete;

  // events::DataKeys: the key, nullopt once destroyed, NOT_FOUND if never made.
  absl::StatusOr<std::optional<events::AesKey>> Find(std::string_view stream_id) const override;

  // The key of `stream_id`, made on first use. FAILED_PRECONDITION once
  // destroyed: an erased patient never gets a new key. A new key is written
  // but not yet synced: SyncNewKeys makes it durable, and must return OK
  // before anything sealed under it is appended to the log.
  absl::StatusOr<events::AesKey> FindOrCreate(std::string_view stream_id);

  // Makes every key FindOrCreate made so far durable (one fsync of the
  // store's write-ahead log for all of them; nothing when there are none).
  // The writer calls it once per batch, before the batch's append: syncing
  // each new patient's key on its own cost an fsync per patient.
  absl::Status SyncNewKeys();

  // Destroys the key of `stream_id` for ever (see above). NOT_FOUND when the
  // store never held one; FAILED_PRECONDITION when it was already destroyed.
  absl::Status Destroy(std::string_view stream_id, absl::Time now);

  // When the key of `stream_id` was destroyed, if it was.
  absl::StatusOr<std::optional<absl::Time>> DestroyedAt(std::string_view stream_id) const;

 private:
  struct Impl;
  explicit DataKeyStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Copies the data key directory `from` (master key and every key and
// destroyed marker, read as of now) into the new directory `to`: a consistent
// copy while a writer keeps using `from` (`careledger backup`). Every key a
// log copied before this call needs is in it (a key is synced before its
// first event is appended). ALREADY_EXISTS when `to` has a master key.
absl::Status CopyDataKeyStore(const std::string& from, const std::string& to);

// SHA-256 of the stream id: the store's key for it.
std::string DataKeyIndex(std::string_view stream_id);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_DATA_KEYS_H_
