// careledger directory issue-cert: a registered device's client certificate
// from the data directory's device certificate authority
// (auth/device_authority.h), valid for the licence period (nine months from
// the device's licence date), so the device can call the service over
// mutual TLS. Refuses devices the directory projection does not show as
// registered, current and unrevoked (exit 3). Files are written 0600 through
// SafeFileWriter, never over existing ones unless --force.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "auth/device_authority.h"
#include "events/format.h"
#include "ledger/dates.h"
#include "projections/directory_queries.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/projection_session.h"
#include "tools/safe_file.h"

namespace careledger::tools {
namespace {

struct IssueCertFlags {
  std::string device_id;
  std::string out_dir;
  bool force = false;
};

int Refused(const std::string& reason, const Context& context) {
  ReportError(absl::FailedPreconditionError(reason), context.json());
  return kExitRejected;
}

// Files to write, each only once all can be: nothing is replaced without
// `force` (a ca.crt that already holds this CA is left as it is).
absl::Status WriteAll(const std::vector<std::pair<std::string, std::string>>& files, bool force) {
  std::vector<std::unique_ptr<SafeFileWriter>> writers;
  for (const auto& [path, contents] : files) {
    if (!force && path.ends_with("/ca.crt")) {
      std::ifstream existing(path, std::ios::binary);
      std::ostringstream held;
      held << existing.rdbuf();
      if (existing && held.str() == contents) continue;
    }
    absl::StatusOr<std::unique_ptr<SafeFileWriter>> writer = SafeFileWriter::Create(path, force);
    if (!writer.ok()) return writer.status();
    (*writer)->stream() << contents;
    writers.push_back(*std::move(writer));
  }
  for (const std::unique_ptr<SafeFileWriter>& writer : writers) {
    if (absl::Status committed = writer->Commit(); !committed.ok()) return committed;
  }
  return absl::OkStatus();
}

int IssueCertificate(const IssueCertFlags& flags, const Context& context) {
  absl::StatusOr<std::unique_ptr<ProjectionSession>> session = ProjectionSession::Open(context);
  if (!session.ok()) return ReportError(session.status(), context.json());
  if (absl::StatusOr<projections::ProjectionReport> report = (*session)->projector().CatchUp();
      !report.ok()) {
    return ReportError(report.status(), context.json());
  }
  absl::StatusOr<careledger::v1::DirectoryDevice> entry =
      projections::DirectoryQueries(&(*session)->store()).GetDevice(flags.device_id);
  if (absl::IsNotFound(entry.status())) {
    return Refused(fmt::format("device {} is not registered", flags.device_id), context);
  }
  if (!entry.ok()) return ReportError(entry.status(), context.json());
  const careledger::v1::Device& device = entry->device();
  if (device.revoked()) {
    return Refused(fmt::format("device {} is revoked", flags.device_id), context);
  }
  if (!ledger::IsValidDate(device.licence_issued_on())) {
    return Refused(fmt::format("device {} has no licence date", flags.device_id), context);
  }
  const careledger::v1::Date& day = device.licence_issued_on();
  const auth::LicencePeriod licence = auth::LicencePeriodFrom(day.year(), day.month(), day.day());
  if (licence.not_after <= absl::Now()) {
    return Refused(fmt::format("device {}'s licence of {} has expired: record its new licence "
                               "date (careledger directory device) first",
                               flags.device_id, ledger::FormatDate(day)),
                   context);
  }
  absl::StatusOr<auth::DeviceAuthority> authority =
      auth::DeviceAuthority::OpenOrCreate(context.options().data_dir);
  if (!authority.ok()) return ReportError(authority.status(), context.json());
  absl::StatusOr<auth::IssuedCertificate> issued = authority->IssueDevice(
      flags.device_id, device.organisation(), licence.not_before, licence.not_after);
  if (!issued.ok()) return ReportError(issued.status(), context.json());

  std::error_code error;
  std::filesystem::create_directories(flags.out_dir, error);
  if (error) {
    return ReportError(absl::InvalidArgumentError(
                           fmt::format("cannot create {}: {}", flags.out_dir, error.message())),
                       context.json());
  }
  const std::string certificate_path = fmt::format("{}/{}.crt", flags.out_dir, flags.device_id);
  const std::string key_path = fmt::format("{}/{}.key", flags.out_dir, flags.device_id);
  const std::string ca_path = fmt::format("{}/ca.crt", flags.out_dir);
  // The key first: a certificate is never left without its key.
  if (absl::Status written = WriteAll({{key_path, issued->private_key_pem},
                                       {certificate_path, issued->certificate_pem},
                                       {ca_path, authority->ca_pem()}},
                                      flags.force);
      !written.ok()) {
    return ReportError(written, context.json());
  }
  const auto when = [](absl::Time t) {
    return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
  };
  if (context.json()) {
    PrintJson({{"device_id", flags.device_id},
               {"organisation", device.organisation()},
               {"certificate", certificate_path},
               {"key", key_path},
               {"ca", ca_path},
               {"serial", issued->serial_hex},
               {"not_before", when(issued->not_before)},
               {"not_after", when(issued->not_after)}});
  } else {
    std::cout << fmt::format(
        "Issued device {} ({}) a client certificate valid {} .. {}:\n  {}\n  {} (private key, "
        "0600)\n  {} (the CA to trust for the service)\n",
        flags.device_id, device.organisation(), when(issued->not_before), when(issued->not_after),
        certificate_path, key_path, ca_path);
  }
  return kExitOk;
}

}  // namespace

void RegisterDirectoryIssueCert(CLI::App* directory, Runner* run) {
  auto flags = std::make_shared<IssueCertFlags>();
  CLI::App* issue = directory->add_subcommand(
      "issue-cert",
      "Issue a registered device's client certificate for the service (mutual TLS), valid "
      "nine months from its licence date");
  issue->add_option("--device", flags->device_id, "Device id (registered, not revoked)")
      ->required();
  issue
      ->add_option("--out", flags->out_dir,
                   "Directory to write <device>.crt, <device>.key (0600) and ca.crt")
      ->required();
  issue->add_flag("--force", flags->force,
                  "Replace existing files (a re-issued licence); without it they are refused");
  issue->callback([run, flags] {
    *run = [flags](const Context& context) { return IssueCertificate(*flags, context); };
  });
}

}  // namespace careledger::tools
