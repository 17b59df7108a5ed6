// The embedded log's stored record key (ledger/embedded_log.h): the byte
// layout that makes a partition's records sort by offset in RocksDB.
//
//   key = partition (4 bytes big-endian) || offset (8 bytes big-endian)
//
// The value stored under it is a careledger.v1.EmbeddedRecord. Pure
// functions, exposed so tests/fuzz can decode stored bytes as the log does.
#ifndef CARELEDGER_LEDGER_INTERNAL_EMBEDDED_RECORD_H_
#define CARELEDGER_LEDGER_INTERNAL_EMBEDDED_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace careledger::ledger {

// The 12-byte key of the record at (`partition`, `offset`).
std::string RecordKey(std::int32_t partition, std::int64_t offset);

// Decodes RecordKey; false (outputs untouched) if `key` is not 12 bytes.
// Any 12 bytes decode: RecordKey(*partition, *offset) == key on success.
bool ParseRecordKey(std::string_view key, std::int32_t* partition, std::int64_t* offset);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_INTERNAL_EMBEDDED_RECORD_H_
