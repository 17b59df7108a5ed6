#include "projections/audit_queries.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "projections/audit_projection.h"
#include "projections/directory_queries.h"
#include "projections/internal/keys.h"

namespace careledger::projections {
namespace {

using careledger::v1::AuditEntry;
using careledger::v1::AuditSite;

constexpr char kHexDigits[] = "0123456789abcdef";

std::string ToHex(std::string_view bytes) {
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    hex.push_back(kHexDigits[byte >> 4]);
    hex.push_back(kHexDigits[byte & 0x0F]);
  }
  return hex;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The audit key a page token names; INVALID_ARGUMENT when it names none.
absl::StatusOr<std::string> TokenKey(std::string_view token) {
  std::string key;
  if (token.size() == 2 * internal::kAuditKeySize) {
    for (std::size_t i = 0; i < token.size(); i += 2) {
      const int high = HexValue(token[i]);
      const int low = HexValue(token[i + 1]);
      if (high < 0 || low < 0) break;
      key.push_back(static_cast<char>(high * 16 + low));
    }
  }
  if (key.size() != internal::kAuditKeySize) {
    return absl::InvalidArgumentError(
        fmt::format("unreadable page token '{}': pass back a next_page_token", token));
  }
  return key;
}

std::int64_t Micros(const google::protobuf::Timestamp& time) {
  return time.seconds() * 1'000'000 + time.nanos() / 1000;
}

}  // namespace

absl::StatusOr<AuditPage> AuditQueries::ListByPatient(std::string_view nhs_number,
                                                      const AuditPageRequest& request) const {
  return List(StoreFamily::kAuditByPatient, nhs_number, request);
}

absl::StatusOr<AuditPage> AuditQueries::ListByUser(std::string_view user_id,
                                                   const AuditPageRequest& request) const {
  return List(StoreFamily::kAuditByUser, user_id, request);
}

absl::StatusOr<AuditPage> AuditQueries::ListByOrganisation(std::string_view ods_code,
                                                           const AuditPageRequest& request) const {
  return List(StoreFamily::kAuditByOrg, ods_code, request);
}

absl::StatusOr<AuditPage> AuditQueries::ListAll(const AuditPageRequest& request) const {
  return List(std::nullopt, "", request);
}

absl::StatusOr<AuditPage> AuditQueries::List(std::optional<StoreFamily> index,
                                             std::string_view term,
                                             const AuditPageRequest& request) const {
  if (request.limit == 0 || request.limit > kMaxAuditPageSize) {
    return absl::InvalidArgumentError(
        fmt::format("a page holds 1 to {} entries, not {}", kMaxAuditPageSize, request.limit));
  }
  if (request.from >= request.to) {
    return absl::InvalidArgumentError("the time range is empty: from must be before to");
  }
  // [lower, upper) over the family's keys; "" upper: no bound.
  const std::string prefix = index ? internal::AuditIndexPrefix(term) : std::string();
  std::string lower = prefix;
  std::string upper;
  if (request.from != absl::InfinitePast()) {
    lower += internal::AuditTimeKey(absl::ToUnixMicros(request.from));
  }
  if (request.to != absl::InfiniteFuture()) {
    upper = prefix + internal::AuditTimeKey(absl::ToUnixMicros(request.to));
  } else if (index) {
    upper = prefix;
    upper.back() = '\x01';  // just after every key of `term`
  }
  if (!request.page_token.empty()) {
    absl::StatusOr<std::string> resume = TokenKey(request.page_token);
    if (!resume.ok()) return resume.status();
    const std::string resume_key = prefix + *resume;
    if (request.newest_first) {
      const std::string after = resume_key + '\0';  // keys of a term are all one length
      if (upper.empty() || after < upper) upper = after;
    } else {
      lower = std::max(lower, resume_key);
    }
  }

  // Up to limit + 1 keys: the one past the page is where the next one starts.
  // The scanned family holds the entries (the audit family, a covering index)
  // or points into the audit family.
  const bool holds_entries = !index || AuditIndexHoldsEntries(*index);
  std::vector<std::string> keys;  // audit keys
  std::vector<std::string> values;
  absl::Status scanned =
      store_->ScanRange(index.value_or(StoreFamily::kAudit), lower, upper, request.newest_first,
                        [&](std::string_view key, std::string_view value) {
                          keys.emplace_back(key.substr(prefix.size()));
                          if (holds_entries) values.emplace_back(value);
                          return keys.size() <= request.limit;
                        });
  if (!scanned.ok()) return scanned;
  AuditPage page;
  if (keys.size() > request.limit) {
    page.next_page_token = ToHex(keys.back());
    keys.pop_back();
    if (holds_entries) values.pop_back();
  }
  if (!holds_entries) {
    absl::StatusOr<std::vector<std::optional<std::string>>> found =
        store_->MultiGet(StoreFamily::kAudit, keys);
    if (!found.ok()) return found.status();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (!(*found)[i]) {
        return absl::DataLossError(fmt::format(
            "projection store: the audit index of '{}' names an entry that is missing", term));
      }
      values.push_back(*std::move((*found)[i]));
    }
  }
  page.entries.reserve(values.size());
  for (const std::string& value : values) {
    if (!page.entries.emplace_back().ParseFromString(value)) {
      return absl::DataLossError("projection store: unreadable audit entry");
    }
  }
  if (!request.annotate) return page;
  if (absl::Status sites = FillSites(&page.entries); !sites.ok()) return sites;
  if (absl::Status names = FillNames(&page.entries); !names.ok()) return names;
  return page;
}

absl::StatusOr<AuditEntry> AuditQueries::GetEntry(const google::protobuf::Timestamp& recorded_at,
                                                  std::int32_t partition,
                                                  std::int64_t offset) const {
  absl::StatusOr<std::optional<std::string>> value =
      store_->Get(StoreFamily::kAudit, internal::AuditKey(recorded_at, partition, offset));
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return absl::NotFoundError(
        fmt::format("no projected audit entry for partition {} offset {}", partition, offset));
  }
  std::vector<AuditEntry> entries(1);
  if (!entries[0].ParseFromString(**value)) {
    return absl::DataLossError("projection store: unreadable audit entry");
  }
  if (absl::Status sites = FillSites(&entries); !sites.ok()) return sites;
  if (absl::Status names = FillNames(&entries); !names.ok()) return names;
  return std::move(entries[0]);
}

absl::StatusOr<std::string> AuditQueries::SiteName(std::string_view ods_code,
                                                   const google::protobuf::Timestamp& at) const {
  std::vector<AuditEntry> entries(1);
  entries[0].mutable_actor()->set_organisation(std::string(ods_code));
  *entries[0].mutable_at() = at;
  // Any record at `at` counts: the last key at that microsecond.
  entries[0].mutable_position()->set_partition(-1);
  entries[0].mutable_position()->set_offset(-1);
  if (absl::Status sites = FillSites(&entries); !sites.ok()) return sites;
  return entries[0].site();
}

absl::Status AuditQueries::FillSites(std::vector<AuditEntry>* entries) const {
  // Per organisation: its names in key order (recorded order), each with
  // the audit key of the OrganisationRecorded that set it. Organisations
  // are recorded rarely, so reading all of one's names is a short scan.
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> names;
  for (const AuditEntry& entry : *entries) {
    const std::string& ods = entry.actor().organisation();
    if (ods.empty() || names.contains(ods)) continue;
    std::vector<std::pair<std::string, std::string>>& list = names[ods];
    const std::string prefix = internal::AuditIndexPrefix(ods);
    bool readable = true;
    absl::Status scanned = store_->Scan(
        StoreFamily::kAuditSites, prefix, [&](std::string_view key, std::string_view value) {
          AuditSite site;
          readable = site.ParseFromArray(value.data(), static_cast<int>(value.size()));
          list.emplace_back(std::string(key.substr(prefix.size())), site.name());
          return readable;
        });
    if (!scanned.ok()) return scanned;
    if (!readable) return absl::DataLossError("projection store: unreadable audit site");
  }
  for (AuditEntry& entry : *entries) {
    auto it = names.find(entry.actor().organisation());
    if (it == names.end()) continue;
    // The last name recorded at or before the entry (ties in log order; a
    // position of -1 stands for "any record at that time").
    const std::int64_t at = Micros(entry.at());
    const std::string key = entry.position().offset() < 0
                                ? internal::AuditTimeKey(at + 1)
                                : internal::AuditKey(entry.at(), entry.position().partition(),
                                                     entry.position().offset());
    std::string site;
    for (const auto& [site_key, name] : it->second) {
      if (site_key > key) break;
      site = name;
    }
    entry.set_site(site);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> AuditQueries::UserName(std::string_view user_id) const {
  absl::StatusOr<careledger::v1::DirectoryUser> row = DirectoryQueries(store_).GetUser(user_id);
  if (!row.ok() && !absl::IsNotFound(row.status())) return row.status();
  return row.ok() ? row->user().name() : std::string();
}

absl::Status AuditQueries::FillNames(std::vector<AuditEntry>* entries) const {
  // One directory read per distinct user on the page.
  std::map<std::string, std::string> names;
  for (AuditEntry& entry : *entries) {
    const std::string& user_id = entry.actor().user_id();
    if (user_id.empty()) continue;
    auto it = names.find(user_id);
    if (it == names.end()) {
      absl::StatusOr<std::string> name = UserName(user_id);
      if (!name.ok()) return name.status();
      it = names.emplace(user_id, *std::move(name)).first;
    }
    entry.set_actor_name(it->second);
  }
  return absl::OkStatus();
}

}  // namespace careledger::projections
