// `careledger serve`: registered on the program by tools/main.cc.
#ifndef CARELEDGER_SERVICE_SERVE_COMMAND_H_
#define CARELEDGER_SERVICE_SERVE_COMMAND_H_

#include <CLI/CLI.hpp>

#include "tools/commands.h"

namespace careledger::service {

void RegisterServe(CLI::App& app, tools::Runner* run);

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_SERVE_COMMAND_H_
