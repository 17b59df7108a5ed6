#include "tools/migrate_export.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <filesystem>

#include "access/audit_read.h"
#include "projections/directory_queries.h"
#include "projections/plan_queries.h"
#include "projections/progress.h"
#include "tools/backup_copy.h"
#include "tools/fhir_json.h"
#include "tools/migrate_fhir.h"
#include "tools/migrate_manifest.h"
#include "tools/migrate_report.h"
#include "tools/private_files.h"
#include "tools/safe_file.h"

namespace careledger::tools {
namespace {

using careledger::v1::PlanRecord;

absl::Status WriteNewFile(const std::string& path, const std::string& bytes) {
  absl::StatusOr<std::unique_ptr<SafeFileWriter>> file =
      SafeFileWriter::Create(path, /*overwrite=*/false);
  if (!file.ok()) return file.status();
  (*file)->stream() << bytes;
  return (*file)->Commit();
}

absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0) {
    return errno == EEXIST
               ? absl::InvalidArgumentError(
                     fmt::format("{} exists: the export goes into a new directory", path))
               : absl::InternalError(fmt::format("cannot create {}: {}", path, strerror(errno)));
  }
  return absl::OkStatus();
}

// The directory records of everyone and every organisation `versions`
// name, added to `directory` (looked up once per export).
absl::Status LookUpNamed(const projections::DirectoryQueries& queries,
                         const std::vector<VersionAuthorship>& versions,
                         MigrationDirectory* directory) {
  std::vector<std::string> user_ids;
  std::vector<std::string> ods_codes;
  NamedInBundle(versions, &user_ids, &ods_codes);
  for (const std::string& user_id : user_ids) {
    if (directory->users.contains(user_id)) continue;
    absl::StatusOr<careledger::v1::DirectoryUser> user = queries.GetUser(user_id);
    if (!user.ok() && !absl::IsNotFound(user.status())) return user.status();
    directory->users[user_id] = user.ok() ? user->user() : careledger::v1::User();
  }
  for (const std::string& ods : ods_codes) {
    if (directory->organisations.contains(ods)) continue;
    absl::StatusOr<careledger::v1::DirectoryOrganisation> organisation =
        queries.GetOrganisation(ods);
    if (!organisation.ok() && !absl::IsNotFound(organisation.status())) {
      return organisation.status();
    }
    directory->organisations[ods] =
        organisation.ok() ? organisation->organisation() : careledger::v1::Organisation();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<projections::PartitionProgress>> Progress(
    const projections::ProjectionStore& store) {
  absl::StatusOr<std::int32_t> partitions = projections::ReadPartitionCount(store);
  if (!partitions.ok()) return partitions.status();
  return projections::ReadProgress(store, *partitions);
}

}  // namespace

absl::Status CheckExportTarget(const std::string& out) {
  if (out.empty()) return absl::InvalidArgumentError("--out: name a new directory");
  struct stat info {};
  if (::lstat(out.c_str(), &info) == 0) {
    return absl::InvalidArgumentError(
        fmt::format("{} exists: the export goes into a new directory, never over anything", out));
  }
  std::string trimmed = out;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  std::filesystem::path parent = std::filesystem::path(trimmed).parent_path();
  if (parent.empty()) parent = ".";
  std::error_code error;
  if (!std::filesystem::is_directory(parent, error)) {
    return absl::InvalidArgumentError(
        fmt::format("{} is not an existing directory: the export creates only its own directory",
                    parent.string()));
  }
  return absl::OkStatus();
}

careledger::v1::Command MigrationQuery(careledger::v1::Command command) {
  command.mutable_audit_query()->set_scope(careledger::v1::AUDIT_SCOPE_MIGRATION);
  command.mutable_audit_query()->set_for_export(true);
  return command;
}

absl::StatusOr<MigrationExport> ExportMigration(ledger::Writer& writer,
                                                const careledger::v1::Command& command,
                                                access::ProjectionFeed& feed, absl::Time deadline,
                                                const ledger::ActiveKey& key,
                                                const MigrationExportOptions& options) {
  if (command.audit_query().scope() != careledger::v1::AUDIT_SCOPE_MIGRATION ||
      !command.audit_query().for_export()) {
    return absl::InvalidArgumentError(
        "the migration export is an audit query of scope MIGRATION, for export");
  }
  if (absl::Status target = CheckExportTarget(options.out); !target.ok()) return target;
  absl::StatusOr<careledger::v1::CommandResult> recorded =
      access::RecordAuditQuery(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  MigrationExport result;
  result.recorded = *std::move(recorded);
  if (result.recorded.outcome() == careledger::v1::OUTCOME_REJECTED) return result;
  result.granted = true;

  const projections::ProjectionStore& store = feed.store();
  absl::StatusOr<std::vector<projections::PartitionProgress>> before = Progress(store);
  if (!before.ok()) return before.status();
  if (absl::Status made = MakeDir(options.out); !made.ok()) return made;
  const std::string bundles = options.out + "/bundles";
  if (absl::Status made = MakeDir(bundles); !made.ok()) return made;

  const projections::PlanQueries plans(&store);
  const projections::DirectoryQueries directory_queries(&store);
  MigrationDirectory directory;
  absl::StatusOr<std::vector<std::string>> numbers = plans.ListPlanNumbers();
  if (!numbers.ok()) return numbers.status();
  for (const std::string& nhs : *numbers) {
    absl::StatusOr<PlanRecord> plan = plans.GetPlan(nhs);
    if (!plan.ok()) return plan.status();
    for (LeftBehind& entry : LeftBehindOf(*plan)) {
      Count(entry, &result.counts);
      result.left_behind.push_back(std::move(entry));
    }
    if (DecideMigration(*plan) != MigrationVerdict::kMigrates) continue;
    absl::StatusOr<std::vector<careledger::v1::PublishedVersion>> versions =
        plans.ListVersions(nhs);
    if (!versions.ok()) return versions.status();
    absl::StatusOr<std::vector<careledger::v1::HistoryEntry>> history = plans.ListHistory(nhs);
    if (!history.ok()) return history.status();
    // Only what was approved: the versions up to the plan's published one
    // (never a pending draft, which has no version).
    std::erase_if(*versions, [&](const careledger::v1::PublishedVersion& version) {
      return version.version() > plan->state().published_version();
    });
    if (versions->empty()) {
      return absl::DataLossError(
          fmt::format("patient {}: published, but no published version is projected", nhs));
    }
    absl::StatusOr<std::vector<VersionAuthorship>> authorship = AuthorshipOf(*versions, *history);
    if (!authorship.ok()) return authorship.status();
    if (absl::Status found = LookUpNamed(directory_queries, *authorship, &directory); !found.ok()) {
      return found;
    }
    const nlohmann::json bundle = MigrationBundle(*plan, *authorship, directory, options.ledger);
    if (absl::Status written =
            WriteNewFile(fmt::format("{}/{}.json", bundles, nhs), FhirDump(bundle) + "\n");
        !written.ok()) {
      return written;
    }
    ++result.plans_exported;
  }

  absl::StatusOr<std::vector<projections::PartitionProgress>> after = Progress(store);
  if (!after.ok()) return after.status();
  if (*after != *before) {
    return absl::UnavailableError(fmt::format(
        "the projection moved while the export read it (another process is projecting): {} has "
        "no manifest and is not an export; export from a replay instead (project --until TIME "
        "--into DIR, then migrate export --projection DIR)",
        options.out));
  }

  // To the nanosecond: the signing key must have been valid at this instant,
  // and a key made within the same second as the export began after it.
  const std::string created =
      absl::FormatTime(absl::RFC3339_full, absl::Now(), absl::UTCTimeZone());
  for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"report.csv", LeftBehindCsv(result.left_behind)},
           {"organisations.csv", OrganisationCountsCsv(result.counts)},
           // Escaped like the Bundles: a patient's request text may hold anything.
           {"report.json", FhirDump(MigrationReportJson(created, result.plans_exported,
                                                        result.left_behind, result.counts)) +
                               "\n"}}) {
    if (absl::Status written = WriteNewFile(options.out + "/" + name, bytes); !written.ok()) {
      return written;
    }
  }

  MigrationManifest manifest;
  manifest.created = created;
  manifest.log = options.log;
  for (const projections::PartitionProgress& progress : *before) {
    manifest.positions.push_back(progress.digest);
  }
  manifest.query = result.recorded;
  manifest.plans_exported = result.plans_exported;
  manifest.left_behind = result.left_behind.size();
  absl::StatusOr<std::vector<FileFingerprint>> files = FingerprintTree(options.out);
  if (!files.ok()) return files.status();
  for (const FileFingerprint& file : *files) {
    manifest.files.push_back(BackupFile{file.path, file.size, events::HashHex(file.sha256)});
  }
  if (absl::Status signed_manifest = WriteSignedManifest(options.out, manifest, key);
      !signed_manifest.ok()) {
    return signed_manifest;
  }
  return result;
}

absl::StatusOr<MigrationReport> ReadMigrationReport(ledger::Writer& writer,
                                                    const careledger::v1::Command& command,
                                                    access::ProjectionFeed& feed,
                                                    absl::Time deadline) {
  if (command.audit_query().scope() != careledger::v1::AUDIT_SCOPE_MIGRATION ||
      command.audit_query().for_export()) {
    return absl::InvalidArgumentError(
        "the migration report is an audit query of scope MIGRATION, not for export");
  }
  absl::StatusOr<careledger::v1::CommandResult> recorded =
      access::RecordAuditQuery(writer, command, feed, deadline);
  if (!recorded.ok()) return recorded.status();
  MigrationReport report;
  report.recorded = *std::move(recorded);
  if (report.recorded.outcome() == careledger::v1::OUTCOME_REJECTED) return report;
  report.granted = true;
  const projections::PlanQueries plans(&feed.store());
  absl::StatusOr<std::vector<std::string>> numbers = plans.ListPlanNumbers();
  if (!numbers.ok()) return numbers.status();
  for (const std::string& nhs : *numbers) {
    absl::StatusOr<PlanRecord> plan = plans.GetPlan(nhs);
    if (!plan.ok()) return plan.status();
    if (DecideMigration(*plan) == MigrationVerdict::kMigrates) ++report.plans_migrating;
    for (LeftBehind& entry : LeftBehindOf(*plan)) {
      Count(entry, &report.counts);
      report.left_behind.push_back(std::move(entry));
    }
  }
  return report;
}

}  // namespace careledger::tools
