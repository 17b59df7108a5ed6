// careledger log export: every record exactly as stored, as JSON Lines, so
// anyone can check the log with their own tools against docs/envelope.md.
#include <fmt/format.h>

#include <iostream>

#include "events/format.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/safe_file.h"

namespace careledger::tools {
namespace {

// Writes {"partition","offset","key","key_base64","value_base64"} per record,
// partitions interleaved, each partition in offset order. A file is written
// through a SafeFileWriter: never over an existing one unless `force`.
int RunExport(const std::string& out_path, bool force, const Context& context) {
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog(/*read_only=*/true);
  if (!log.ok()) return ReportError(log.status(), context.json());
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = (*log)->OpenReader();
  if (!reader.ok()) return ReportError(reader.status(), context.json());
  if (absl::Status seek =
          (*reader)->Seek(std::vector<std::int64_t>((*reader)->partition_count(), 0));
      !seek.ok()) {
    return ReportError(seek, context.json());
  }
  std::unique_ptr<SafeFileWriter> file;
  if (!out_path.empty() && out_path != "-") {
    absl::StatusOr<std::unique_ptr<SafeFileWriter>> created =
        SafeFileWriter::Create(out_path, force);
    if (!created.ok()) return ReportError(created.status(), context.json());
    file = *std::move(created);
  }
  std::ostream& out = file != nullptr ? file->stream() : std::cout;
  std::uint64_t records = 0;
  for (;;) {
    absl::StatusOr<ledger::ReadBatch> batch = (*reader)->Read(8192, std::chrono::seconds(1));
    if (!batch.ok()) return ReportError(batch.status(), context.json());
    for (const events::LogRecord& record : batch->records) {
      const nlohmann::json line = {{"partition", record.partition},
                                   {"offset", record.offset},
                                   {"key", record.key},
                                   {"key_base64", Base64(record.key)},
                                   {"value_base64", Base64(record.value)}};
      out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      ++records;
    }
    if (batch->caught_up) break;
  }
  out.flush();
  if (!out) return ReportError(absl::InternalError("writing the export failed"), context.json());
  if (file != nullptr) {
    if (absl::Status committed = file->Commit(); !committed.ok()) {
      return ReportError(committed, context.json());
    }
    std::cerr << fmt::format("exported {} records from {} to {}\n", records, (*log)->Describe(),
                             out_path);
  }
  return kExitOk;
}

}  // namespace

void RegisterLog(CLI::App& app, Runner* run) {
  CLI::App* log = app.add_subcommand("log", "Read the raw log");
  log->require_subcommand(1);
  auto out_path = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  CLI::App* exported = log->add_subcommand(
      "export",
      "Write every record exactly as stored as JSON Lines: partition, offset, key, key_base64, "
      "value_base64 (a serialized careledger.v1.SignedEvent)");
  exported->add_option("--out", *out_path,
                       "File to write (default: stdout); written whole or not at all, mode 0600");
  exported->add_flag("--force", *force, "Replace the --out file if it exists");
  exported->callback([run, out_path, force] {
    *run = [out_path, force](const Context& context) {
      return RunExport(*out_path, *force, context);
    };
  });
}

}  // namespace careledger::tools
