// careledger bench serve: the service measured over HTTPS, as its callers
// see it. A scratch ledger with published plans, the service in this
// process on a free port (TLS, device certificates, bearer tokens: the real
// path), then an open-loop load of urgent-care reads at a fixed arrival rate
// (tools/open_loop.h: latency from each request's scheduled time), printed
// next to the same run's Ed25519 signing limit and the same server's rate
// for a trivial endpoint (/healthz, which touches neither log nor projection).
#ifndef CARELEDGER_SERVICE_BENCH_SERVE_H_
#define CARELEDGER_SERVICE_BENCH_SERVE_H_

#include <CLI/CLI.hpp>

#include "tools/commands.h"

namespace careledger::service {

// Adds `serve` to the existing `bench` subcommand of `app`.
void RegisterBenchServe(CLI::App& app, tools::Runner* run);

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_BENCH_SERVE_H_
