// careledger token: a bearer token from the data directory's development
// issuer (auth/dev_issuer.h), for demos and tests of the service. Production
// configures a real issuer (NHS CIS2, NHS login); see docs/authentication.md.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "auth/dev_issuer.h"
#include "events/format.h"
#include "tools/commands.h"
#include "tools/exit_codes.h"
#include "tools/output.h"
#include "tools/parse_flags.h"

namespace careledger::tools {
namespace {

// Longer-lived development tokens would only be stolen and replayed.
constexpr absl::Duration kMaxLifetime = absl::Hours(24);

struct TokenFlags {
  std::string user;
  std::string role;
  std::string nhs_number;
  std::string lifetime = "1h";
  std::string audience;
};

int MintToken(const TokenFlags& flags, const Context& context) {
  absl::Duration lifetime;
  if (!absl::ParseDuration(flags.lifetime, &lifetime) || lifetime <= absl::ZeroDuration() ||
      lifetime > kMaxLifetime) {
    return ReportError(absl::InvalidArgumentError(fmt::format(
                           "--lifetime must be a duration such as 30m or 1h, at most {}",
                           absl::FormatDuration(kMaxLifetime))),
                       context.json());
  }
  // The issuer lives in an initialised data directory; a mistyped --data
  // must not grow a new one.
  std::error_code error;
  if (!std::filesystem::exists(context.KeysDir(), error)) {
    return ReportError(absl::FailedPreconditionError(fmt::format(
                           "{} is no initialised careledger data directory: run 'careledger "
                           "--data {} init' first",
                           context.options().data_dir, context.options().data_dir)),
                       context.json());
  }
  absl::StatusOr<auth::DevIssuer> issuer =
      auth::DevIssuer::OpenOrCreate(context.options().data_dir);
  if (!issuer.ok()) return ReportError(issuer.status(), context.json());
  auth::MintRequest request;
  request.subject = flags.user;
  if (!flags.role.empty()) request.role_claim = flags.role;
  if (!flags.nhs_number.empty()) request.nhs_number = flags.nhs_number;
  request.lifetime = lifetime;
  if (!flags.audience.empty()) request.audience = flags.audience;
  const absl::Time now = absl::Now();
  request.not_before = now;
  absl::StatusOr<std::string> token = issuer->Mint(request);
  if (!token.ok()) return ReportError(token.status(), context.json());
  const std::string expires = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(absl::ToUnixSeconds(now)) + lifetime,
      absl::UTCTimeZone());
  std::cerr << fmt::format(
      "careledger: a DEVELOPMENT token from {} (keys in {}), not for production; valid until {}\n",
      issuer->issuer(), issuer->jwks_path(), expires);
  if (context.json()) {
    PrintJson({{"token", *token},
               {"issuer", issuer->issuer()},
               {"audience", request.audience.value_or(issuer->audience())},
               {"jwks", issuer->jwks_path()},
               {"expires", expires},
               {"development", true}});
  } else {
    std::cout << *token << "\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterToken(CLI::App& app, Runner* run) {
  auto flags = std::make_shared<TokenFlags>();
  CLI::App* token = app.add_subcommand(
      "token",
      "Print a bearer token for the service from this data directory's development issuer "
      "(demos and tests only; production uses a real identity provider)");
  token->add_option("--user", flags->user, "Directory user id (the token's subject)")->required();
  token->add_option("--role", flags->role,
                    "Role claim to select (e.g. clinician, urgent-care); the directory must give "
                    "the user this role");
  TakesNhsNumber(token->add_option("--nhs", flags->nhs_number,
                                   "NHS number claim (myCMC patients and proxies)"));
  token->add_option("--lifetime", flags->lifetime, "How long it is valid (e.g. 30m, 1h; max 24h)")
      ->capture_default_str();
  token->add_option("--audience", flags->audience, "Audience (default: careledger)");
  token->callback([run, flags] {
    *run = [flags](const Context& context) { return MintToken(*flags, context); };
  });
}

}  // namespace careledger::tools
