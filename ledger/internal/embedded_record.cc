#include "ledger/internal/embedded_record.h"

namespace careledger::ledger {

std::string RecordKey(std::int32_t partition, std::int64_t offset) {
  std::string key(12, '\0');
  const auto p = static_cast<std::uint32_t>(partition);
  const auto o = static_cast<std::uint64_t>(offset);
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>((p >> (24 - 8 * i)) & 0xFF);
  for (int i = 0; i < 8; ++i) key[4 + i] = static_cast<char>((o >> (56 - 8 * i)) & 0xFF);
  return key;
}

bool ParseRecordKey(std::string_view key, std::int32_t* partition, std::int64_t* offset) {
  if (key.size() != 12) return false;
  std::uint32_t p = 0;
  std::uint64_t o = 0;
  for (int i = 0; i < 4; ++i) p = (p << 8) | static_cast<std::uint8_t>(key[i]);
  for (int i = 0; i < 8; ++i) o = (o << 8) | static_cast<std::uint8_t>(key[4 + i]);
  *partition = static_cast<std::int32_t>(p);
  *offset = static_cast<std::int64_t>(o);
  return true;
}

}  // namespace careledger::ledger
