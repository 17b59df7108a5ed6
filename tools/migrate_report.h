// The UCP migration export's report of what was left behind
// (migrate_select.h), for the organisations to act on before cut-over:
// CSV (RFC 4180, CRLF, CsvField's quoting and formula guard) and JSON.
#ifndef CARELEDGER_TOOLS_MIGRATE_REPORT_H_
#define CARELEDGER_TOOLS_MIGRATE_REPORT_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tools/migrate_select.h"

namespace careledger::tools {

// The rule for plans of patients who died, as the report states it.
inline constexpr char kDeceasedRule[] =
    "plans of patients whose death is recorded do not migrate: a closed plan guides no urgent "
    "care, and CMC keeps it, with its audit trail, for governance (docs/migration.md)";

// "nhs_number,reason,organisations,detail" and one row per entry;
// organisations joined by ';'.
std::string LeftBehindCsv(const std::vector<LeftBehind>& left);

// "ods_code,draft_plans,restricted_records,patient_plan_requests,
// patient_change_requests,withdrawn,deceased" and one row per organisation
// in ODS order ("" for an unknown organisation).
std::string OrganisationCountsCsv(const std::map<std::string, OrganisationCounts>& counts);

// {"format": "careledger-ucp-migration-report/1", "created",
//  "plans_exported", "deceased_rule", "left_behind": [{"nhs_number",
//  "reason", "organisations", "detail"}], "organisations": [{"ods_code",
//  "draft_plans", ...}]}
nlohmann::json MigrationReportJson(const std::string& created, std::uint64_t plans_exported,
                                   const std::vector<LeftBehind>& left,
                                   const std::map<std::string, OrganisationCounts>& counts);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_MIGRATE_REPORT_H_
