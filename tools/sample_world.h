// A small synthetic world that meets the whole governance pathway: the
// organisations of the care homes guide's scenario, their users and devices,
// with every date placed relative to `today` so the prerequisites hold. Used
// by `careledger demo`, the load generator, benchmarks and tests. Every NHS
// number is in the synthetic 999 range.
#ifndef CARELEDGER_TOOLS_SAMPLE_WORLD_H_
#define CARELEDGER_TOOLS_SAMPLE_WORLD_H_

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan.pb.h"

namespace careledger::tools {

// The people of the sample world, as actors (role, organisation, device and
// network address filled in).
struct SampleActors {
  careledger::v1::Actor operator_;        // ROLE_SYSTEM: bootstraps the directory
  careledger::v1::Actor auditor;          // CMC team: keeps the directory after that
  careledger::v1::Actor care_home_admin;  // Rosewood care home administrator
  careledger::v1::Actor care_home_nurse;  // Rosewood registered nurse (clinician)
  careledger::v1::Actor gp;               // the residents' GP (clinician)
  careledger::v1::Actor ambulance;        // London Ambulance Service crew
  careledger::v1::Actor nhs111;           // NHS 111 clinician (urgent care)
  careledger::v1::Actor patient;          // the resident, on myCMC
  careledger::v1::Actor proxy;            // the resident's daughter, proxy viewer
};

inline constexpr char kSamplePatient[] = "9990000018";  // the resident
inline constexpr char kCareHomeOds[] = "CH0001";
inline constexpr char kGpPracticeOds[] = "GP0001";

SampleActors SampleWorldActors();

// The directory commands that register the world: first the bootstrap, as
// the operator (the CMC service, its device and the CMC team member
// `auditor`), then everything else as that CMC team member. So they register
// the world only on a ledger that has not been bootstrapped yet (or was by
// these same commands). Command ids are derived from `id_prefix`, so
// replaying them is idempotent.
std::vector<careledger::v1::Command> SampleDirectoryCommands(
    absl::CivilDay today, const std::string& id_prefix = "world");

// Every section of a plan that may be published on `today` for `nhs_number`:
// all mandatory fields, consistent (not for CPR, treat at home), reviewed in
// three months by the sample GP, subscribed to myCMC with the sample proxy.
std::vector<careledger::v1::PlanSectionValue> CompletePlanSections(const std::string& nhs_number,
                                                                   absl::CivilDay today);

// The consent a plan starts with (the patient's own, obtained `today`).
careledger::v1::Consent SampleConsent(absl::CivilDay today);

// One step of the care homes guide's scenario, and what the ledger must say.
struct ScenarioStep {
  std::string what;  // for people
  careledger::v1::Command command;
  careledger::v1::Outcome expected;  // APPLIED or REJECTED
};

// The care homes guide's scenario for resident `nhs_number`, on `today`: the
// care home's administrator starts the plan with consent, fills in what the
// home knows, is refused when trying to publish, and submits it to the GP;
// the GP completes it and publishes; an ambulance crew reads it; NHS 111 adds
// a note; the GP edits it and the crew still reads version 1 (and is refused
// the draft) until the edit is approved as version 2; the resident dies in
// the care home, the preferred place; the plan closes and refuses an edit.
std::vector<ScenarioStep> CareHomeScenario(const std::string& nhs_number, absl::CivilDay today);

// A professional's directory record that meets every prerequisite on
// `today`: signed User Access Form, IG training and AUP within the year, the
// CMC modules for the actor's role, active.
careledger::v1::User ProfessionalUser(const careledger::v1::Actor& actor, const std::string& name,
                                      const std::string& registration, absl::CivilDay today);

// A command with a fresh id acting as `actor`.
careledger::v1::Command NewCommandAs(const careledger::v1::Actor& actor);

}  // namespace careledger::tools

#endif  // CARELEDGER_TOOLS_SAMPLE_WORLD_H_
