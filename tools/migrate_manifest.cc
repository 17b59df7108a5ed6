#include "tools/migrate_manifest.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/time/time.h"
#include "tools/kept_checkpoints.h"
#include "tools/output.h"
#include "tools/private_files.h"
#include "tools/safe_file.h"

namespace careledger::tools {
namespace {

using nlohmann::json;

absl::Status WriteNewFile(const std::string& path, const std::string& bytes) {
  absl::StatusOr<std::unique_ptr<SafeFileWriter>> file =
      SafeFileWriter::Create(path, /*overwrite=*/false);
  if (!file.ok()) return file.status();
  (*file)->stream() << bytes;
  return (*file)->Commit();
}

// The whole file, or nullopt when it cannot be read.
std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in.good() && !in.eof()) return std::nullopt;
  return bytes.str();
}

std::string SignedBytes(std::string_view manifest) {
  std::string bytes(kMigrationSigningContext);
  bytes.append(manifest);
  return bytes;
}

// The signature's problem, or "" when manifest.sig verifies `manifest`.
std::string SignatureProblem(const std::string& dir, const std::string& manifest,
                             const std::string& created, const events::Keyring& keyring,
                             std::string* key_id) {
  const std::optional<std::string> text = ReadWholeFile(dir + "/" + kMigrationSignatureName);
  if (!text) return fmt::format("{} is missing: the export is unsigned", kMigrationSignatureName);
  const json signature = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!signature.is_object() || signature.value("format", "") != kMigrationSignatureFormat ||
      signature.value("signed_file", "") != kMigrationManifestName ||
      signature.value("algorithm", "") != "Ed25519" || !signature.contains("key_id") ||
      !signature["key_id"].is_string() || !signature.contains("signature") ||
      !signature["signature"].is_string()) {
    return fmt::format("{} is not a signature of this format ({})", kMigrationSignatureName,
                       kMigrationSignatureFormat);
  }
  *key_id = signature["key_id"].get<std::string>();
  absl::Time at;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, created, &at, &error)) {
    return fmt::format("{}: 'created' is not an RFC 3339 time: {}", kMigrationManifestName, error);
  }
  absl::StatusOr<const events::VerifyingKey*> key = keyring.KeyAt(*key_id, at);
  if (!key.ok()) {
    return fmt::format("{}: key {} cannot have signed at {}: {}", kMigrationSignatureName, *key_id,
                       created, std::string(key.status().message()));
  }
  std::string raw;
  if (!absl::Base64Unescape(signature["signature"].get<std::string>(), &raw) ||
      !(*key)->Verify(SignedBytes(manifest), raw)) {
    return fmt::format(
        "{}: the signature by key {} does not verify {}: it was changed after it "
        "was signed, or not signed by this ledger",
        kMigrationSignatureName, *key_id, kMigrationManifestName);
  }
  return "";
}

}  // namespace

absl::Status WriteSignedManifest(const std::string& dir, const MigrationManifest& manifest,
                                 const ledger::ActiveKey& key) {
  json document = KeptCheckpointsJson(manifest.log, manifest.positions);
  document["format"] = kMigrationFormat;
  document["created"] = manifest.created;
  document["query"] = {{"stream_id", manifest.query.stream_id()},
                       {"stream_seq", manifest.query.stream_seq()},
                       {"partition", manifest.query.partition()},
                       {"offset", manifest.query.offset()}};
  document["plans_exported"] = manifest.plans_exported;
  document["left_behind"] = manifest.left_behind;
  json files = json::array();
  for (const BackupFile& file : manifest.files) {
    files.push_back({{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}});
  }
  document["files"] = files;
  const std::string text = document.dump(2) + "\n";
  absl::StatusOr<std::string> signature = key.key.Sign(SignedBytes(text));
  if (!signature.ok()) return signature.status();
  const json signed_by = {{"format", kMigrationSignatureFormat},
                          {"signed_file", kMigrationManifestName},
                          {"algorithm", "Ed25519"},
                          {"key_id", key.key_id},
                          {"signature", Base64(*signature)}};
  if (absl::Status written = WriteNewFile(dir + "/" + kMigrationManifestName, text);
      !written.ok()) {
    return written;
  }
  return WriteNewFile(dir + "/" + kMigrationSignatureName, signed_by.dump(2) + "\n");
}

absl::StatusOr<MigrationCheck> CheckMigrationExport(const std::string& dir,
                                                    const events::Keyring& keyring) {
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    return absl::NotFoundError(fmt::format("{} is not a directory", dir));
  }
  MigrationCheck check;
  const std::optional<std::string> text = ReadWholeFile(dir + "/" + kMigrationManifestName);
  if (!text) {
    check.problems.push_back(fmt::format("{} is missing", kMigrationManifestName));
    return check;
  }
  const json manifest = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object() || manifest.value("format", "") != kMigrationFormat ||
      !manifest.contains("created") || !manifest["created"].is_string() ||
      !manifest.contains("files") || !manifest["files"].is_array()) {
    check.problems.push_back(fmt::format("{} is not a manifest of this format ({})",
                                         kMigrationManifestName, kMigrationFormat));
    return check;
  }
  check.created = manifest["created"].get<std::string>();
  if (std::string problem = SignatureProblem(dir, *text, check.created, keyring, &check.key_id);
      !problem.empty()) {
    check.problems.push_back(std::move(problem));
  }

  absl::StatusOr<std::vector<FileFingerprint>> tree = FingerprintTree(dir);
  if (!tree.ok()) {
    // A symlink or a special file put into the export.
    check.problems.push_back(std::string(tree.status().message()));
    return check;
  }
  std::map<std::string, FileFingerprint> found;
  for (FileFingerprint& file : *tree) {
    if (file.path == kMigrationManifestName || file.path == kMigrationSignatureName) continue;
    found.emplace(file.path, std::move(file));
  }
  for (const json& listed : manifest["files"]) {
    const std::string path = listed.value("path", "");
    const std::string sha256 = listed.value("sha256", "");
    ++check.files;
    auto it = found.find(path);
    if (it == found.end()) {
      check.problems.push_back(fmt::format("{} is missing", path));
      continue;
    }
    const std::string actual = events::HashHex(it->second.sha256);
    if (!listed.contains("size") || !listed["size"].is_number_unsigned() ||
        it->second.size != listed["size"].get<std::uint64_t>() || actual != sha256) {
      check.problems.push_back(fmt::format(
          "{} has changed since the export (SHA-256 {}, {} bytes; the manifest lists {})", path,
          actual, it->second.size, sha256));
    }
    found.erase(it);
  }
  for (const auto& [path, file] : found) {
    check.problems.push_back(fmt::format("{} is not listed in the manifest", path));
  }
  return check;
}

}  // namespace careledger::tools
