#include "tools/ledger_init.h"

#include "absl/time/clock.h"
#include "ledger/data_keys.h"
#include "ledger/genesis.h"
#include "ledger/key_store.h"

namespace careledger::tools {

absl::StatusOr<InitializedLedger> InitializeLedger(const Context& context) {
  const absl::Time now = absl::Now();
  absl::StatusOr<ledger::KeyStore> keys = ledger::KeyStore::Create(context.KeysDir(), now);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<ledger::ActiveKey> active = keys->Active(now);
  if (!active.ok()) return active.status();
  // Patients' data keys and their master key (ledger/data_keys.h).
  if (absl::StatusOr<std::unique_ptr<ledger::DataKeyStore>> data_keys =
          ledger::DataKeyStore::Open(context.DataKeysDir(), ledger::DataKeyMode::kCreate);
      !data_keys.ok()) {
    return data_keys.status();
  }
  absl::StatusOr<std::unique_ptr<ledger::Log>> log = context.CreateLog();
  if (!log.ok()) return log.status();
  const std::string log_name =
      context.options().log == "embedded" ? "embedded" : context.options().topic;
  absl::StatusOr<std::string> log_id =
      ledger::WriteGenesis(**log, active->key_id, active->key, now, log_name);
  if (!log_id.ok()) return log_id.status();
  return InitializedLedger{*std::move(log), active->key_id, *std::move(log_id)};
}

}  // namespace careledger::tools
