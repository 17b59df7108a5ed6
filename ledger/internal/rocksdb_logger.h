// RocksDB's informational log, sent to spdlog (warnings and errors only)
// instead of a LOG file in the database directory. RocksDB's own file logger
// asserts when a write fails on a full disk (rocksdb 7.8 as Debian builds it,
// with assertions on), which would abort careledger, `verify` included; this
// one never touches the disk.
#ifndef CARELEDGER_LEDGER_INTERNAL_ROCKSDB_LOGGER_H_
#define CARELEDGER_LEDGER_INTERNAL_ROCKSDB_LOGGER_H_

#include <rocksdb/env.h>
#include <spdlog/spdlog.h>

#include <cstdarg>
#include <cstdio>
#include <memory>
#include <string>

namespace careledger::ledger::internal {

class RocksDbLogger final : public rocksdb::Logger {
 public:
  // `name` says which database, in each line.
  explicit RocksDbLogger(std::string name)
      : rocksdb::Logger(rocksdb::InfoLogLevel::WARN_LEVEL), name_(std::move(name)) {}

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list arguments) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, arguments);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list arguments) override {
    if (level < GetInfoLogLevel()) return;
    char line[1024];
    std::vsnprintf(line, sizeof line, format, arguments);
    if (level >= rocksdb::InfoLogLevel::ERROR_LEVEL) {
      spdlog::error("rocksdb {}: {}", name_, line);
    } else {
      spdlog::warn("rocksdb {}: {}", name_, line);
    }
  }

 private:
  std::string name_;
};

}  // namespace careledger::ledger::internal

#endif  // CARELEDGER_LEDGER_INTERNAL_ROCKSDB_LOGGER_H_
