// A whole ledger for the domain tests: a Writer over an in-memory log
// (tests/support/memory_log.h) with a ManualClock, the sample world's
// directory registered (tools/sample_world.h), command builders for every
// plan command, and ways to look at what the log holds afterwards.
//
// A world can be copied (Clone) so that a test builds a state once and runs
// each case against its own copy of the log.
#ifndef CARELEDGER_TESTS_LEDGER_LEDGER_WORLD_H_
#define CARELEDGER_TESTS_LEDGER_LEDGER_WORLD_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "careledger/v1/commands.pb.h"
#include "careledger/v1/envelope.pb.h"
#include "careledger/v1/plan_state.pb.h"
#include "ledger/clock.h"
#include "ledger/directory.h"
#include "ledger/writer.h"
#include "tests/support/memory_log.h"
#include "tests/support/test_support.h"
#include "tools/sample_world.h"

namespace careledger::testing {

// 15 June 2026, 12:00 UTC: "now" for the domain tests unless they move it.
absl::Time DefaultNow();

// A command id no other command of this test process has.
std::string NextCommandId();

// The sample world's directory as the ledger would know it after
// SampleDirectoryCommands(Today(now)) were accepted at `now`: for tests of
// the pure rules (no log, no writer).
ledger::Directory SampleDirectory(absl::Time now);

// The sample world's complete plan (CompletePlanSections + SampleConsent)
// as one CarePlan.
careledger::v1::CarePlan CompletePlan(const std::string& nhs_number, absl::CivilDay today);

class LedgerWorld {
 public:
  // An empty log at `now`, with the sample directory registered.
  explicit LedgerWorld(absl::Time now = DefaultNow());
  ~LedgerWorld();

  // A world at `now` whose log is empty: no directory, not bootstrapped.
  static std::unique_ptr<LedgerWorld> Empty(absl::Time now = DefaultNow());

  // A new world whose log is a copy of this one's, at the same time.
  std::unique_ptr<LedgerWorld> Clone() const;

  MemoryLog& log() { return *log_; }
  ledger::Writer& writer() { return *writer_; }
  ledger::ManualClock& clock() { return *clock_; }
  absl::CivilDay today() const;
  const tools::SampleActors& actors() const { return actors_; }
  // The key the writer signs with (and its keyring, to verify the log).
  const TestSigner& signer() const { return *signer_; }

  // Closes the writer and opens a new one on the same log (a restart).
  void Restart();
  // Restarts the writer sealing plan events under `keys` (nullptr: in clear).
  void UseDataKeys(std::shared_ptr<ledger::DataKeyStore> keys);

  // Submits `command`; a non-OK status fails the test (an empty result).
  careledger::v1::CommandResult Submit(const careledger::v1::Command& command);
  // Submits `command` and expects it to be applied.
  careledger::v1::CommandResult Apply(const careledger::v1::Command& command);
  // Submits `command` and expects it to be rejected with a reason that
  // contains `reason_part`.
  careledger::v1::CommandResult Reject(const careledger::v1::Command& command,
                                       const std::string& reason_part);

  // ---- what the log holds ----
  std::vector<careledger::v1::Event> Events() const;  // every record, opened
  std::vector<careledger::v1::Event> StreamEvents(const std::string& stream) const;
  // The last access record on the writer's access stream; fails the test
  // (and returns an empty one) when there is none.
  careledger::v1::AccessRecorded LastAccess() const;
  // Where each partition ends now, and the events appended after such a mark
  // (partition by partition, each in offset order).
  std::vector<std::int64_t> Mark() const;
  std::vector<careledger::v1::Event> EventsSince(const std::vector<std::int64_t>& mark) const;
  // The fold of the patient's stream (events/plan_fold.h); fails the test if
  // an event does not fold.
  careledger::v1::PlanState Plan(const std::string& nhs_number = tools::kSamplePatient) const;

  // ---- commands (each with a fresh command id) ----
  static careledger::v1::Command As(const careledger::v1::Actor& actor);
  careledger::v1::Command StartPlan(const careledger::v1::Actor& actor,
                                    const std::string& nhs = tools::kSamplePatient) const;
  static careledger::v1::Command Update(const careledger::v1::Actor& actor,
                                        const careledger::v1::PlanSectionValue& value,
                                        const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command SubmitTo(const careledger::v1::Actor& actor,
                                          const std::string& to_user, const std::string& to_org,
                                          const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command Approve(const careledger::v1::Actor& actor,
                                         const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command Discard(const careledger::v1::Actor& actor,
                                         const std::string& nhs = tools::kSamplePatient);
  // next_review_on unset (three months) when `next` is nullptr.
  static careledger::v1::Command Review(const careledger::v1::Actor& actor,
                                        const careledger::v1::Date* next,
                                        const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command Death(const careledger::v1::Actor& actor,
                                       const careledger::v1::Date& died_on,
                                       const std::string& place,
                                       const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command Withdraw(const careledger::v1::Actor& actor,
                                          const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command Restrict(const careledger::v1::Actor& actor,
                                          const std::vector<std::string>& allowed,
                                          const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command Lift(const careledger::v1::Actor& actor,
                                      const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command Note(const careledger::v1::Actor& actor, const std::string& text,
                                      const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command Request(const careledger::v1::Actor& actor,
                                         careledger::v1::PatientRequestKind kind,
                                         const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command Resolve(const careledger::v1::Actor& actor,
                                         const std::string& request_id,
                                         careledger::v1::RequestResolution resolution,
                                         const std::string& nhs = tools::kSamplePatient);
  static careledger::v1::Command View(
      const careledger::v1::Actor& actor,
      careledger::v1::PlanView view = careledger::v1::PLAN_VIEW_PUBLISHED,
      const std::string& break_glass_reason = "", const std::string& nhs = tools::kSamplePatient);

  // Directory changes, acting as the sample world's CMC team member (the
  // operator only bootstraps the directory).
  careledger::v1::Command RecordUser(const careledger::v1::User& user) const;
  careledger::v1::Command RecordOrganisation(const careledger::v1::Organisation& org) const;
  careledger::v1::Command RecordDevice(const careledger::v1::Device& device) const;
  careledger::v1::Command ChangeStatus(const std::string& user_id,
                                       careledger::v1::UserStatus status) const;

  // The sample world's records as registered (to change one field of).
  careledger::v1::User SampleUser(const std::string& user_id) const;
  careledger::v1::Organisation SampleOrganisation(const std::string& ods) const;
  careledger::v1::Device SampleDevice(const std::string& device_id) const;

  // The patient's plan started by the care home administrator and every
  // section of CompletePlanSections written; not submitted or approved.
  void DraftSamplePlan(const std::string& nhs = tools::kSamplePatient);
  // DraftSamplePlan, then approved by the GP: published version 1.
  void PublishSamplePlan(const std::string& nhs = tools::kSamplePatient);

 private:
  LedgerWorld(std::unique_ptr<MemoryLog> log, absl::Time now);
  void OpenWriter();

  std::shared_ptr<const TestSigner> signer_;
  std::unique_ptr<ledger::ManualClock> clock_;
  std::unique_ptr<MemoryLog> log_;
  std::shared_ptr<ledger::DataKeyStore> data_keys_;
  std::unique_ptr<ledger::Writer> writer_;
  tools::SampleActors actors_;
  absl::CivilDay registered_on_;  // the day the sample directory was registered
};

}  // namespace careledger::testing

#endif  // CARELEDGER_TESTS_LEDGER_LEDGER_WORLD_H_
