// What the writer accepts on its log from another appender (docs/replicas.md):
// a read replica's access records, and nothing else.
//
// A read replica signs with its own node key, whose id is "node.<node>" or
// "node.<node>.<suffix>" (<node>: letters, digits, '-' and '_'), and may
// append only access records on its own stream "access/<node>". Anything
// else on the log that the writer did not append is an integrity failure.
#ifndef CARELEDGER_LEDGER_FOREIGN_RECORD_H_
#define CARELEDGER_LEDGER_FOREIGN_RECORD_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "events/envelope.h"
#include "events/keyring.h"

namespace careledger::ledger {

// The node a node key's id names; "" when `key_id` is not a node key's.
std::string NodeOfKeyId(std::string_view key_id);

// The id of `node`'s key: "node.<node>". INVALID_ARGUMENT for a node id
// that is empty or has other characters than letters, digits, '-' and '_'.
absl::StatusOr<std::string> NodeKeyId(std::string_view node);

// OK when `opened` may come from another appender than the writer whose
// access stream is `writer_access_stream`: signed by a node key (its
// signature and window checked against `keyring` when not nullptr), an
// access record, on that node's own access stream, which is not the
// writer's. DATA_LOSS (events/failure.h kinds) naming what is wrong. The
// chain is the caller's to check.
absl::Status CheckForeignRecord(const events::OpenedRecord& opened, const events::Keyring* keyring,
                                std::string_view writer_access_stream);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_FOREIGN_RECORD_H_
