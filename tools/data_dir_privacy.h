// Keeping the data directory private (docs/architecture.md, "Private by
// default"). It holds care plans (the log, the projections) and the signing
// keys: only the account that runs careledger may read it.
//
// The careledger program sets its umask to 077 before anything else, so
// every directory it creates is 0700 and every file 0600, RocksDB's own
// files included. At start-up, before any command runs, it checks what
// already exists with CheckDataDirectory.
#ifndef CARELEDGER_TOOLS_DATA_DIR_PRIVACY_H_
#define CARELEDGER_TOOLS_DATA_DIR_PRIVACY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace careledger::tools {

// Makes every file and directory this process creates private to its user
// (umask 077). Call first thing in main().
void MakeCreatedFilesPrivate();

// What CheckDataDirectory found.
struct PrivacyReport {
  // One line per directory that group or others may enter or read:
  // "<path> is mode 0755 (group and others may read it)".
  std::vector<std::string> shared_directories;
  // One line per private key file that group or others may read (ssh
  // refuses such keys, and so does careledger, whatever the override).
  std::vector<std::string> exposed_keys;
};

// Looks at the data directory and the subdirectories careledger keeps in it
// (log, keys, keys/private, projection and each projection under it, auth
// and its dev-issuer and device-ca), and at every file in keys/private and
// the private keys of auth/ (dev-issuer/private-key.pem, device-ca/ca.key). Only what exists is
// checked: a data directory not yet created is fine.
PrivacyReport CheckDataDirectory(const std::string& data_dir);

// The start-up rule: prints every finding on stderr, and returns
// PERMISSION_DENIED (the program exits 1 without running the command) when
// a private key is exposed, or a directory is shared and
// `allow_shared_data_dir` is false; OK otherwise (after the warnings).
absl::Status EnforcePrivateDataDirectory(const std::string& data_dir, bool allow_shared_data_dir);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_DATA_DIR_PRIVACY_H_
