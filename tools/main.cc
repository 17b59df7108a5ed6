// careledger: the command-line program. See `careledger --help`.
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "service/bench_serve.h"
#include "service/demo_read.h"
#include "service/serve_command.h"
#include "tools/commands.h"
#include "tools/data_dir_privacy.h"
#include "tools/exit_codes.h"
#include "tools/output.h"

int main(int argc, char** argv) {
  using namespace careledger::tools;
  MakeCreatedFilesPrivate();  // before anything creates a file
  // Buffered standard streams: `submit -` asks how much input is already
  // waiting (to group-commit it), which unsynchronised std::cin can tell.
  std::ios::sync_with_stdio(false);
  // Nothing printed may steer a terminal (tools/output.h).
  NeutraliseStandardStreams();
  spdlog::set_default_logger(spdlog::stderr_color_mt("careledger"));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  CLI::App app{
      "careledger: an event-sourced, tamper-evident ledger for urgent care plans.\n"
      "Every change is a signed, hash-chained event on a log (embedded RocksDB or Kafka);\n"
      "projections in RocksDB serve the current plans."};
  app.require_subcommand(1);
  GlobalOptions options;
  AddGlobalOptions(app, &options);
  bool allow_shared_data_dir = false;
  app.add_flag("--allow-shared-data-dir", allow_shared_data_dir,
               "Run even if group or others may read the data directory (warns; never for a "
               "readable private key)");
  Runner run;
  RegisterInit(app, &run);
  RegisterKeys(app, &run);
  RegisterPlan(app, &run);
  RegisterDirectory(app, &run);
  RegisterWorklist(app, &run);
  RegisterAudit(app, &run);
  RegisterErase(app, &run);
  RegisterStats(app, &run);
  RegisterMigrate(app, &run);
  RegisterLoad(app, &run);
  RegisterSubmit(app, &run);
  RegisterCheckpoint(app, &run);
  RegisterProject(app, &run);
  RegisterVerify(app, &run);
  RegisterLog(app, &run);
  RegisterBench(app, &run);
  RegisterDemo(app, &run, careledger::service::DemoServiceRead);
  RegisterBackup(app, &run);
  RegisterRestore(app, &run);
  RegisterToken(app, &run);
  careledger::service::RegisterServe(app, &run);
  careledger::service::RegisterBenchServe(app, &run);  // after RegisterBench

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& help) {
    return app.exit(help);
  } catch (const CLI::CallForAllHelp& help) {
    return app.exit(help);
  } catch (const CLI::ParseError& error) {
    app.exit(error);
    return kExitUsage;
  }
  if (options.json) spdlog::set_level(spdlog::level::warn);
  // SPDLOG_LEVEL=debug (or e.g. "info,librdkafka=debug") overrides, for operators
  // diagnosing a backend: librdkafka's `debug` property logs at debug level.
  spdlog::cfg::load_env_levels();
  SetJsonOutput(options.json);
  if (!run) {
    std::cerr << app.help();
    return kExitUsage;
  }
  if (absl::Status kept_private =
          EnforcePrivateDataDirectory(options.data_dir, allow_shared_data_dir);
      !kept_private.ok()) {
    return ReportError(kept_private, options.json);
  }
  return run(Context(options));
}
