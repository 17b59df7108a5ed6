// careledger verify: check the whole log against DESIGN §3 and say where the
// first untrusted record of each partition is.
#include <fmt/format.h>

#include <iostream>

#include "events/failure.h"
#include "events/format.h"
#include "ledger/key_store.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/kept_checkpoints.h"
#include "tools/log_verification.h"
#include "tools/output.h"

namespace careledger::tools {
namespace {

struct VerifyFlags {
  std::string keyring_path;  // default: the data directory's keyring
  std::string kept_path;     // checkpoints kept from `careledger --json checkpoint`
  int threads = 0;
};

int RunVerify(const VerifyFlags& flags, const Context& context) {
  absl::StatusOr<events::Keyring> keyring =
      flags.keyring_path.empty() ? [&]() -> absl::StatusOr<events::Keyring> {
    absl::StatusOr<ledger::KeyStore> keys = context.OpenKeys();
    if (!keys.ok()) return keys.status();
    return keys->keyring();
  }()
      : ledger::ReadKeyringFile(flags.keyring_path);
  if (!keyring.ok()) return ReportError(keyring.status(), context.json());
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.OpenLog(/*read_only=*/true);
  if (!log.ok()) return ReportError(log.status(), context.json());
  absl::StatusOr<std::unique_ptr<ledger::LogReader>> reader = (*log)->OpenReader();
  if (!reader.ok()) return ReportError(reader.status(), context.json());

  std::vector<KeptCheckpoint> kept;
  if (!flags.kept_path.empty()) {
    absl::StatusOr<std::vector<KeptCheckpoint>> read = ReadKeptCheckpoints(flags.kept_path);
    if (!read.ok()) return ReportError(read.status(), context.json());
    kept = *std::move(read);
  }
  absl::StatusOr<LogVerification> verification =
      VerifyLog(**reader, *keyring, flags.threads, std::move(kept));
  if (!verification.ok()) return ReportError(verification.status(), context.json());
  const ledger::ScanReport* report = &verification->scan;
  const std::vector<std::string>& kept_failures = verification->kept_failures;
  const bool intact = verification->intact();

  if (context.json()) {
    nlohmann::json stops = nlohmann::json::array();
    for (const events::VerificationStop& stop : report->stops) {
      std::optional<events::FailureKind> kind = events::FailureKindOf(stop.reason);
      stops.push_back({{"partition", stop.partition},
                       {"offset", stop.offset},
                       {"stream", stop.stream_id},
                       {"failure", kind ? std::string(events::FailureKindName(*kind)) : "error"},
                       {"reason", std::string(stop.reason.message())}});
    }
    nlohmann::json partitions = nlohmann::json::array();
    for (std::size_t p = 0; p < report->digests.size(); ++p) {
      partitions.push_back({{"partition", p},
                            {"records", report->digests[p].record_count},
                            {"last_offset", report->digests[p].last_offset},
                            {"running_hash", events::HashHex(report->digests[p].running)}});
    }
    PrintJson({{"log", (*log)->Describe()},
               {"ok", intact},
               {"kept_checkpoint_failures", kept_failures},
               {"records", report->records},
               {"checkpoints", report->checkpoints},
               {"partitions", partitions},
               {"failures", stops}});
  } else {
    std::cout << fmt::format("{}: {} records verified ({} checkpoints) in {} partitions\n",
                             (*log)->Describe(), report->records, report->checkpoints,
                             report->digests.size());
    for (std::size_t p = 0; p < report->digests.size(); ++p) {
      std::cout << fmt::format("  partition {}: {} records, running hash {}\n", p,
                               report->digests[p].record_count,
                               events::HashHex(report->digests[p].running));
    }
    for (const events::VerificationStop& stop : report->stops) {
      std::cout << "INTEGRITY FAILURE " << stop.Describe() << "\n";
    }
    for (const std::string& failure : kept_failures) {
      std::cout << "INTEGRITY FAILURE kept checkpoint: " << failure << "\n";
    }
    std::cout << (intact ? "OK: the log is intact.\n" : "FAILED: the log does not verify.\n");
  }
  return intact ? kExitOk : kExitIntegrity;
}

}  // namespace

void RegisterVerify(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* verify = app.add_subcommand(
      "verify",
      "Verify every record: envelope, Ed25519 signature, key validity at the record's time, "
      "hash chain, sequence (no gap, no duplicate) and checkpoints. Exit 4 on any failure");
  verify->add_option("--keyring", flags->keyring_path,
                     "Public keyring JSON to trust (default: the data directory's)");
  verify->add_option("--threads", flags->threads, "Signature-checking threads (0 = all cores)");
  verify->add_option("--kept", flags->kept_path,
                     "Checkpoints kept from 'careledger --json checkpoint': fail if the log no "
                     "longer reaches them or hashes differently up to them");
  verify->callback([run, flags] {
    *run = [flags](const Context& context) { return RunVerify(*flags, context); };
  });
}

}  // namespace careledger::tools
