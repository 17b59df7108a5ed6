#include "tools/migrate_report.h"

#include <fmt/format.h>

#include "tools/audit_export.h"

namespace careledger::tools {
namespace {

using nlohmann::json;

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string line;
  for (const std::string& field : fields) {
    if (!line.empty()) line += ',';
    line += CsvField(field);
  }
  return line + "\r\n";
}

std::string Joined(const std::vector<std::string>& values) {
  return fmt::format("{}", fmt::join(values, ";"));
}

}  // namespace

std::string LeftBehindCsv(const std::vector<LeftBehind>& left) {
  std::string csv = CsvLine({"nhs_number", "reason", "organisations", "detail"});
  for (const LeftBehind& entry : left) {
    csv += CsvLine({entry.nhs_number, entry.reason, Joined(entry.organisations), entry.detail});
  }
  return csv;
}

std::string OrganisationCountsCsv(const std::map<std::string, OrganisationCounts>& counts) {
  std::string csv =
      CsvLine({"ods_code", "draft_plans", "restricted_records", "patient_plan_requests",
               "patient_change_requests", "withdrawn", "deceased"});
  for (const auto& [ods, of] : counts) {
    csv += CsvLine({ods, std::to_string(of.draft_plans), std::to_string(of.restricted_records),
                    std::to_string(of.patient_plan_requests),
                    std::to_string(of.patient_change_requests), std::to_string(of.withdrawn),
                    std::to_string(of.deceased)});
  }
  return csv;
}

json MigrationReportJson(const std::string& created, std::uint64_t plans_exported,
                         const std::vector<LeftBehind>& left,
                         const std::map<std::string, OrganisationCounts>& counts) {
  json entries = json::array();
  for (const LeftBehind& entry : left) {
    entries.push_back({{"nhs_number", entry.nhs_number},
                       {"reason", entry.reason},
                       {"organisations", entry.organisations},
                       {"detail", entry.detail}});
  }
  json organisations = json::array();
  for (const auto& [ods, of] : counts) {
    organisations.push_back({{"ods_code", ods},
                             {"draft_plans", of.draft_plans},
                             {"restricted_records", of.restricted_records},
                             {"patient_plan_requests", of.patient_plan_requests},
                             {"patient_change_requests", of.patient_change_requests},
                             {"withdrawn", of.withdrawn},
                             {"deceased", of.deceased}});
  }
  return {{"format", "careledger-ucp-migration-report/1"},
          {"created", created},
          {"plans_exported", plans_exported},
          {"deceased_rule", kDeceasedRule},
          {"left_behind", entries},
          {"organisations", organisations}};
}

}  // namespace careledger::tools
