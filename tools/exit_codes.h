// careledger's exit codes: scripts tell these cases apart.
#ifndef CARELEDGER_TOOLS_EXIT_CODES_H_
#define CARELEDGER_TOOLS_EXIT_CODES_H_

namespace careledger::tools {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,      // could not do it: I/O, Kafka unreachable, fenced, ...
  kExitUsage = 2,      // bad command line or unreadable input
  kExitRejected = 3,   // the ledger refused a command (nothing was appended)
  kExitIntegrity = 4,  // the log or a record failed verification
  // A point-in-time read (`plan show --as-of`) of an instant before the plan
  // existed: the read is recorded, there was nothing to show.
  kExitNoPlanThen = 5,
};

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_EXIT_CODES_H_
