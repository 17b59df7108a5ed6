// The access prerequisites of DESIGN §6 and the care homes guide, checked on
// every command and every read before anything else.
//
// For professionals (clinician, administrator, urgent care, CMC team):
//   - the user is registered with the role and organisation the actor claims;
//   - the user is not suspended or revoked;
//   - the organisation is registered, has signed the Information Sharing
//     Agreement, and is at DSPT "Standards Met" or above, assessed within a year;
//   - the user has a User Access Form signed by an authorising manager,
//     NHS IG training within the last year, the CMC training modules for the
//     role (kRequiredModules), and has accepted the Acceptable Use Policy;
//   - the user was active within the last 180 days (else the account is
//     locked until the CMC team reinstates it);
//   - the device is registered to the organisation, not revoked, and its
//     licence was issued within the last nine months.
// For patients and proxy viewers (myCMC): registered with that role and not
// suspended or revoked; what they may see is the plan rules' business.
#ifndef CARELEDGER_LEDGER_ACCESS_RULES_H_
#define CARELEDGER_LEDGER_ACCESS_RULES_H_

#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "careledger/v1/envelope.pb.h"
#include "ledger/directory.h"

namespace careledger::ledger {

inline constexpr int kInactivityLockDays = 180;
inline constexpr int kLicenceValidMonths = 9;
inline constexpr int kIgTrainingValidMonths = 12;
inline constexpr int kDsptValidMonths = 12;

// The CMC training modules each role must have completed (CMC100, 3.1.4).
std::span<const std::string_view> RequiredModules(careledger::v1::Role role);

// OK when `actor` may act now; PERMISSION_DENIED naming the first unmet
// prerequisite otherwise.
absl::Status CheckPrerequisites(const Directory& directory, const careledger::v1::Actor& actor,
                                absl::Time now);

// True for the roles that act for an organisation (not myCMC users).
bool IsProfessional(careledger::v1::Role role);

}  // namespace careledger::ledger

#endif  // CARELEDGER_LEDGER_ACCESS_RULES_H_
