// Each careledger command group registers itself on the app here. A
// registration adds a subcommand with its options and sets `*run` to the
// function that executes it and returns the process exit code.
#ifndef CARELEDGER_TOOLS_COMMANDS_H_
#define CARELEDGER_TOOLS_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>

#include "tools/context.h"

namespace careledger::tools {

using Runner = std::function<int(const Context&)>;

void RegisterInit(CLI::App& app, Runner* run);
void RegisterKeys(CLI::App& app, Runner* run);
void RegisterPlan(CLI::App& app, Runner* run);
void RegisterPlanShow(CLI::App* plan, Runner* run);  // `plan show`
void RegisterDirectory(CLI::App& app, Runner* run);
void RegisterDirectoryShow(CLI::App* directory, Runner* run);       // `directory show|list`
void RegisterDirectoryIssueCert(CLI::App* directory, Runner* run);  // `directory issue-cert`
void RegisterWorklist(CLI::App& app, Runner* run);
void RegisterAudit(CLI::App& app, Runner* run);
void RegisterAuditAlerts(CLI::App* audit, Runner* run);  // `audit alerts|review`
void RegisterAuditCase(CLI::App* audit, Runner* run);    // `audit case ...`
void RegisterStats(CLI::App& app, Runner* run);
void RegisterMigrate(CLI::App& app, Runner* run);  // `migrate export|verify`
void RegisterLoad(CLI::App& app, Runner* run);
void RegisterSubmit(CLI::App& app, Runner* run);
void RegisterCheckpoint(CLI::App& app, Runner* run);
void RegisterProject(CLI::App& app, Runner* run);
void RegisterVerify(CLI::App& app, Runner* run);
void RegisterLog(CLI::App& app, Runner* run);
void RegisterBench(CLI::App& app, Runner* run);
void RegisterErase(CLI::App& app, Runner* run);  // `erase` (crypto-shredding)
// The demo's last step, an authenticated read through the service
// (service/demo_read.h): tools/ does not depend on service/, so the program
// passes it in. Called once the demo has released the log.
using DemoServiceStep =
    std::function<absl::Status(const Context& context, const std::string& nhs_number)>;
void RegisterDemo(CLI::App& app, Runner* run, DemoServiceStep service_step = {});
void RegisterBackup(CLI::App& app, Runner* run);
void RegisterRestore(CLI::App& app, Runner* run);
void RegisterToken(CLI::App& app, Runner* run);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_COMMANDS_H_
