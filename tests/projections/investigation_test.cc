// Proves the investigation rules (projections/investigation.h): for every
// rule a planted case that must raise it, with its reason and evidence
// records, and legitimate cases that must not (an ambulance crew reading a
// plan at 3am raises nothing; the patient's GP reading in hours; the care
// team; a read soon after a death; a few patients an hour; a registered
// device; a single refusal). The trail is written by the real ledger (a
// Writer over an in-memory log, the sample world, a ManualClock to place
// each read in time) and projected by the real projector; a "rogue serving
// node" appends the granted reads a correct ledger never would. Also: the
// thresholds change what is raised without a rebuild, window rules do not
// depend on where the range starts, and an auditor's review (a signed
// event) is attached to its alert and in the auditor's trail.
#include "projections/investigation.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "events/envelope.h"
#include "events/time_util.h"
#include "ledger/dates.h"
#include "ledger/nhs_number.h"
#include "ledger/partitioner.h"
#include "projections/audit_queries.h"
#include "projections/projector.h"
#include "tests/ledger/ledger_world.h"
#include "tests/support/event_factory.h"

namespace careledger::projections {
namespace {

using ::careledger::testing::IsOk;
using careledger::v1::Actor;
using careledger::v1::Alert;
using careledger::v1::CommandResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Where(std::int32_t partition, std::int64_t offset) {
  return fmt::format("{}-{}", partition, offset);
}
std::string Where(const CommandResult& result) {
  return Where(result.partition(), result.offset());
}
std::string Where(const careledger::v1::EventPosition& position) {
  return Where(position.partition(), position.offset());
}
std::string Where(const ledger::LogPosition& position) {
  return Where(position.partition, position.offset);
}

std::vector<std::string> Evidence(const Alert& alert) {
  std::vector<std::string> positions;
  for (const auto& position : alert.evidence()) positions.push_back(Where(position));
  return positions;
}

std::vector<std::string> Rules(const std::vector<Alert>& alerts) {
  std::vector<std::string> rules;
  for (const Alert& alert : alerts) rules.push_back(alert.rule());
  return rules;
}

// The n-th valid synthetic NHS number other than the sample patient's.
std::string OtherPatient(int n) {
  for (int stem = 2;; ++stem) {
    const std::string number = ledger::CompleteNhsNumber(fmt::format("999{:06d}", stem));
    if (number.empty() || number == tools::kSamplePatient) continue;
    if (n-- == 0) return number;
  }
}

RuleThresholds With(std::initializer_list<std::string> assignments) {
  RuleThresholds thresholds;
  for (const std::string& assignment : assignments) {
    EXPECT_THAT(SetThreshold(assignment, &thresholds), IsOk()) << assignment;
  }
  return thresholds;
}

class InvestigationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CL_ASSERT_OK_AND_ASSIGN(store_, ProjectionStore::Open(dir_.Sub("projection")));
    world_.PublishSamplePlan();  // at 13:00 on Monday 15 June 2026, London
  }

  const tools::SampleActors& a() const { return world_.actors(); }

  // A time in London (British Summer Time in June: UTC+1).
  static absl::Time London(int year, int month, int day, int hour, int minute) {
    absl::TimeZone london;
    EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &london));
    return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, 0), london);
  }

  void MoveTo(absl::Time when) {
    const absl::Time now = world_.clock().Now();
    ASSERT_GE(when, now) << "tests only move forward";
    world_.clock().Advance(when - now);
  }

  CommandResult Read(const Actor& actor, const std::string& nhs = tools::kSamplePatient,
                     const std::string& break_glass_reason = "") {
    return world_.Apply(testing::LedgerWorld::View(actor, careledger::v1::PLAN_VIEW_PUBLISHED,
                                                   break_glass_reason, nhs));
  }

  // A user like the sample user `like`, with another id (and `change` applied).
  template <typename Change>
  Actor NewUser(const std::string& user_id, const Actor& like, Change change) {
    careledger::v1::User user = world_.SampleUser(like.user_id());
    user.set_user_id(user_id);
    change(&user);
    world_.Apply(world_.RecordUser(user));
    Actor actor = like;
    actor.set_user_id(user_id);
    actor.set_organisation(user.organisation());
    return actor;
  }

  // Another GP practice, GP0002, with its device dev-GP0002.
  void RegisterOtherPractice() {
    careledger::v1::Organisation practice = world_.SampleOrganisation(tools::kGpPracticeOds);
    practice.set_ods_code("GP0002");
    practice.set_name("Hillside Surgery");
    world_.Apply(world_.RecordOrganisation(practice));
    careledger::v1::Device device = world_.SampleDevice("dev-GP0001");
    device.set_device_id("dev-GP0002");
    device.set_organisation("GP0002");
    world_.Apply(world_.RecordDevice(device));
  }

  // An access record appended by a serving node that does not follow the
  // ledger's rules, signed with the ledger's key: what only the
  // investigation rules would catch.
  ledger::LogPosition AppendRogueRead(const Actor& actor, absl::Time at, bool restricted) {
    const std::string stream = "access/rogue-node";
    if (rogue_writer_ == nullptr) {
      auto writer = world_.log().OpenWriter("rogue-node");
      EXPECT_THAT(writer, IsOk());
      if (!writer.ok()) return {};
      rogue_writer_ = *std::move(writer);
    }
    careledger::v1::Event event = rogue_factory_.NextEvent(stream, at);
    *event.mutable_actor() = actor;
    event.set_command_id(testing::NextCommandId());
    careledger::v1::AccessRecorded* read = event.mutable_access_recorded();
    read->set_action("view_plan");
    read->set_subject(fmt::format("patient/{}", tools::kSamplePatient));
    read->set_nhs_number(tools::kSamplePatient);
    read->set_outcome(careledger::v1::ACCESS_OUTCOME_GRANTED);
    read->set_view(careledger::v1::PLAN_VIEW_PUBLISHED);
    read->set_version(1);
    read->set_restricted(restricted);
    const ledger::AppendRecord record{
        ledger::PartitionForKey(stream, world_.log().partition_count()), stream,
        rogue_factory_.Seal(event)};
    auto positions = rogue_writer_->Append(std::span(&record, 1));
    EXPECT_THAT(positions, IsOk());
    return positions.ok() ? positions->front() : ledger::LogPosition{};
  }

  // Projects everything logged so far (verifying every record), then runs
  // the rules.
  Investigation Investigate(InvestigationRequest request = {}) {
    auto reader = world_.log().OpenReader();
    EXPECT_THAT(reader, IsOk());
    if (!reader.ok()) return {};
    ProjectorOptions options;
    options.verify_threads = 1;
    options.read_wait = std::chrono::milliseconds(0);
    Projector projector(reader->get(), store_.get(), &world_.signer().keyring, options);
    absl::StatusOr<ProjectionReport> report = projector.CatchUp();
    EXPECT_THAT(report, IsOk());
    if (report.ok()) {
      EXPECT_THAT(report->stops, IsEmpty());
    }
    absl::StatusOr<Investigation> found = projections::Investigate(*store_, request);
    EXPECT_THAT(found, IsOk());
    return found.ok() ? *std::move(found) : Investigation();
  }

  Investigation Investigate(const RuleThresholds& thresholds) {
    InvestigationRequest request;
    request.thresholds = thresholds;
    return Investigate(request);
  }

  static std::vector<Alert> OfRule(const Investigation& found, std::string_view rule) {
    std::vector<Alert> alerts;
    for (const Alert& alert : found.alerts) {
      if (alert.rule() == rule) alerts.push_back(alert);
    }
    return alerts;
  }

  // The alerts raised by the record at `where` (their id "<rule>/<where>").
  static std::vector<Alert> RaisedBy(const Investigation& found, const std::string& where) {
    std::vector<Alert> alerts;
    for (const Alert& alert : found.alerts) {
      if (alert.alert_id().ends_with(fmt::format("/{}", where))) alerts.push_back(alert);
    }
    return alerts;
  }
  static std::vector<Alert> RaisedBy(const Investigation& found, const CommandResult& result) {
    return RaisedBy(found, Where(result));
  }

  // Checks the one alert of `rule` raised by the record at `where`.
  static void ExpectAlert(const Investigation& found, std::string_view rule,
                          const std::string& where, careledger::v1::AlertSeverity severity,
                          const std::string& reason_part) {
    std::vector<Alert> raised;
    for (const Alert& alert : RaisedBy(found, where)) {
      if (alert.rule() == rule) raised.push_back(alert);
    }
    ASSERT_EQ(raised.size(), 1u) << rule << " at " << where;
    const Alert& alert = raised.front();
    EXPECT_EQ(alert.alert_id(), fmt::format("{}/{}", rule, where));
    EXPECT_EQ(alert.severity(), severity) << alert.reason();
    EXPECT_THAT(alert.reason(), HasSubstr(reason_part));
    EXPECT_FALSE(alert.has_review());
  }

  testing::TempDir dir_;
  testing::LedgerWorld world_;
  std::unique_ptr<ProjectionStore> store_;
  testing::EventFactory rogue_factory_{world_.signer().key_id, world_.signer().key};
  std::unique_ptr<ledger::LogWriter> rogue_writer_;
};

// ---- the legitimate night: an ambulance crew at 3am ----

TEST_F(InvestigationTest, AnAmbulanceCrewReadingAPlanAt3amRaisesNothing) {
  MoveTo(London(2026, 6, 16, 3, 0));
  Read(a().ambulance);
  Read(a().nhs111);
  world_.clock().Advance(absl::Minutes(20));
  Read(a().ambulance);
  const Investigation found = Investigate();
  EXPECT_THAT(Rules(found.alerts), IsEmpty()) << found.alerts.front().reason();
  EXPECT_EQ(found.time_zone, "Europe/London");
  EXPECT_THAT(found.notes, IsEmpty());
  EXPECT_GT(found.records_examined, 3u);
}

// ---- break_glass ----

TEST_F(InvestigationTest, BreakGlass) {
  world_.Apply(world_.Restrict(a().gp, {"dr.patel"}));
  MoveTo(London(2026, 6, 16, 3, 0));
  const CommandResult glass =
      Read(a().ambulance, tools::kSamplePatient, "cardiac arrest, patient unconscious");
  MoveTo(London(2026, 6, 16, 10, 0));
  const CommandResult named = Read(a().gp);  // named on the restriction: no break-glass
  const Investigation found = Investigate();

  ExpectAlert(found, "break_glass", Where(glass), careledger::v1::ALERT_SEVERITY_MEDIUM,
              "through break-glass, giving the reason \"cardiac arrest, patient unconscious\"");
  const std::vector<Alert> raised = RaisedBy(found, glass);
  EXPECT_THAT(Rules(raised), ElementsAre("break_glass"))
      << "the crew at 3am raises nothing else (urgent care, break-glass is not an unnamed read)";
  ASSERT_FALSE(raised.empty());
  EXPECT_THAT(Evidence(raised.front()), ElementsAre(Where(glass)));
  EXPECT_EQ(raised.front().actor().user_id(), "crew.lee");
  EXPECT_EQ(raised.front().nhs_number(), tools::kSamplePatient);
  EXPECT_EQ(events::FromTimestamp(raised.front().at()), London(2026, 6, 16, 3, 0));
  EXPECT_THAT(Rules(RaisedBy(found, named)), IsEmpty());
  EXPECT_THAT(Rules(found.alerts), ElementsAre("break_glass"));
}

// ---- restricted_record ----

TEST_F(InvestigationTest, RestrictedRecord) {
  world_.Apply(world_.Restrict(a().gp, {"dr.patel"}));
  MoveTo(London(2026, 6, 16, 10, 0));
  const CommandResult refused =
      world_.Reject(testing::LedgerWorld::View(a().care_home_nurse), "restricted to named users");
  const CommandResult named = Read(a().gp);
  const ledger::LogPosition rogue =
      AppendRogueRead(a().ambulance, London(2026, 6, 16, 10, 5), /*restricted=*/true);
  MoveTo(London(2026, 6, 16, 10, 10));
  world_.Apply(world_.Lift(a().gp));
  MoveTo(London(2026, 6, 16, 10, 20));
  const CommandResult after_lift = Read(a().care_home_nurse);
  const CommandResult other_refusal =
      world_.Reject(testing::LedgerWorld::View(a().ambulance, careledger::v1::PLAN_VIEW_DRAFT),
                    "published plans only");
  world_.clock().Advance(absl::Minutes(1));
  world_.Apply(world_.Restrict(a().gp, {"dr.patel"}));
  careledger::v1::Command review = testing::LedgerWorld::As(a().auditor);
  review.mutable_review_alert()->set_alert_id("break_glass/1-2");
  review.mutable_review_alert()->set_nhs_number(tools::kSamplePatient);
  const CommandResult refused_review = world_.Reject(review, "a review needs an outcome");
  const Investigation found = Investigate();

  ExpectAlert(found, "restricted_record", Where(refused), careledger::v1::ALERT_SEVERITY_MEDIUM,
              "was refused view_plan on the restricted plan of 9990000018");
  ExpectAlert(found, "restricted_record", Where(rogue), careledger::v1::ALERT_SEVERITY_HIGH,
              "read the restricted plan of 9990000018 without break-glass and was not named");
  // dr.patel was named when he read it; the restriction is lifted now, so
  // that comes from the plan's history.
  EXPECT_THAT(Rules(RaisedBy(found, named)), IsEmpty());
  EXPECT_THAT(Rules(RaisedBy(found, after_lift)), IsEmpty());
  EXPECT_THAT(Rules(RaisedBy(found, other_refusal)), IsEmpty())
      << "a refusal on a plan that is not restricted is no restricted-record alert";
  EXPECT_THAT(Rules(RaisedBy(found, refused_review)), IsEmpty())
      << "a refused alert review names the restricted patient, but is no attempt on the plan";
  EXPECT_EQ(OfRule(found, "restricted_record").size(), 2u);
}

// ---- no_relationship ----

TEST_F(InvestigationTest, NoLegitimateRelationship) {
  RegisterOtherPractice();
  const Actor stranger = NewUser(
      "dr.hill", a().gp, [](careledger::v1::User* user) { user->set_organisation("GP0002"); });
  Actor stranger_on_device = stranger;
  stranger_on_device.set_device_id("dev-GP0002");
  MoveTo(London(2026, 6, 16, 10, 0));
  const CommandResult planted = Read(stranger_on_device);
  const CommandResult gp = Read(a().gp);                  // the patient's GP practice
  const CommandResult nurse = Read(a().care_home_nurse);  // the care home started and edited it
  const CommandResult admin = Read(a().care_home_admin);
  const CommandResult crew = Read(a().ambulance);  // urgent care
  const Investigation found = Investigate();

  ExpectAlert(found, "no_relationship", Where(planted), careledger::v1::ALERT_SEVERITY_MEDIUM,
              "GP0002 is not the patient's GP practice (GP0001)");
  for (const CommandResult* legitimate : {&gp, &nurse, &admin, &crew}) {
    EXPECT_THAT(Rules(RaisedBy(found, *legitimate)), IsEmpty());
  }
  EXPECT_THAT(Rules(found.alerts), ElementsAre("no_relationship"));
}

TEST_F(InvestigationTest, ASubmissionOrAContactIsARelationship) {
  RegisterOtherPractice();
  const Actor hill = NewUser("dr.hill", a().gp,
                             [](careledger::v1::User* user) { user->set_organisation("GP0002"); });
  Actor reader = hill;
  reader.set_device_id("dev-GP0002");
  // The draft is sent to GP0002 for a second opinion: now it has a reason.
  world_.Apply(
      world_.Update(a().gp, tools::CompletePlanSections(tools::kSamplePatient, world_.today())[7]));
  world_.Apply(testing::LedgerWorld::SubmitTo(a().gp, "", "GP0002"));
  MoveTo(London(2026, 6, 16, 10, 0));
  const CommandResult read = Read(reader);
  const Investigation found = Investigate();
  EXPECT_THAT(Rules(RaisedBy(found, read)), IsEmpty());
}

// ---- family_or_neighbour ----

TEST_F(InvestigationTest, RelativesAndNeighboursButNotNamesakes) {
  // The patient: Margaret Example, Rosewood Care Home, 1 Rose Lane, London, SE1 7EH.
  // A namesake elsewhere: in London a shared surname alone is no evidence.
  const Actor namesake =
      NewUser("admin.example", a().care_home_admin, [](careledger::v1::User* user) {
        user->set_family_name("EXAMPLE");
        user->set_address("40 Oak Avenue, Leeds");
        user->set_postcode("LS1 4AB");
      });
  // A relative: the surname and the postcode.
  const Actor relative = NewUser("dr.example", a().gp, [](careledger::v1::User* user) {
    user->set_family_name("Example");
    user->set_address("Flat 3, 1 Rose Lane, London");
    user->set_postcode("se1 7eh");
  });
  // Neighbours: the postcode; the address; the street.
  const Actor by_postcode = NewUser("dr.near", a().gp, [](careledger::v1::User* user) {
    user->set_family_name("Near");
    user->set_address("Flat 9, 12 Rose Lane, London");
    user->set_postcode("se1 7eh");
  });
  const Actor by_address =
      NewUser("nurse.lodger", a().care_home_nurse, [](careledger::v1::User* user) {
        user->set_address("rosewood care home 1 rose lane london");
      });
  const Actor by_street = NewUser("dr.street", a().gp, [](careledger::v1::User* user) {
    user->set_family_name("Street");
    user->set_address("14a Rose Lane, London");
    user->set_postcode("SE1 9ZZ");
  });
  // The GP, with a home of his own.
  careledger::v1::User gp = world_.SampleUser("dr.patel");
  gp.set_family_name("Patel");
  gp.set_address("3 Elm Road, London");
  gp.set_postcode("N1 9GU");
  world_.Apply(world_.RecordUser(gp));
  MoveTo(London(2026, 6, 16, 10, 0));
  const CommandResult by_name = Read(namesake);
  const CommandResult by_relative = Read(relative);
  const CommandResult near_postcode = Read(by_postcode);
  const CommandResult near_address = Read(by_address);
  const CommandResult near_street = Read(by_street);
  const CommandResult unrelated = Read(a().gp);
  const Investigation found = Investigate();

  EXPECT_THAT(Rules(RaisedBy(found, by_name)), IsEmpty()) << "a shared surname alone";
  ExpectAlert(found, "family_or_neighbour", Where(by_relative), careledger::v1::ALERT_SEVERITY_HIGH,
              "shares the family name \"Example\" and the postcode se1 7eh");
  ExpectAlert(found, "family_or_neighbour", Where(by_relative), careledger::v1::ALERT_SEVERITY_HIGH,
              "a relative?");
  ExpectAlert(found, "family_or_neighbour", Where(near_postcode),
              careledger::v1::ALERT_SEVERITY_MEDIUM, "shares the postcode se1 7eh");
  ExpectAlert(found, "family_or_neighbour", Where(near_postcode),
              careledger::v1::ALERT_SEVERITY_MEDIUM, "a neighbour?");
  ExpectAlert(found, "family_or_neighbour", Where(near_address),
              careledger::v1::ALERT_SEVERITY_MEDIUM,
              "shares the address \"rosewood care home 1 rose lane london\"");
  ExpectAlert(found, "family_or_neighbour", Where(near_street),
              careledger::v1::ALERT_SEVERITY_MEDIUM, "shares the street \"rose lane\"");
  EXPECT_THAT(Rules(RaisedBy(found, unrelated)), IsEmpty());
  EXPECT_EQ(found.alerts.size(), 4u);
}

// ---- own_record ----

TEST_F(InvestigationTest, OwnRecord) {
  const std::string own = OtherPatient(0);
  world_.PublishSamplePlan(own);
  const Actor self =
      NewUser("dr.self", a().gp, [&](careledger::v1::User* user) { user->set_nhs_number(own); });
  MoveTo(London(2026, 6, 16, 10, 0));
  const CommandResult planted = Read(self, own);
  const CommandResult someone_else = Read(self, tools::kSamplePatient);
  MoveTo(London(2026, 6, 16, 23, 0));
  // myCMC: the patient, and her named proxy, reading her plan at night.
  const CommandResult patient = Read(a().patient);
  const CommandResult proxy = Read(a().proxy);
  const Investigation found = Investigate();

  ExpectAlert(
      found, "own_record", Where(planted), careledger::v1::ALERT_SEVERITY_HIGH,
      fmt::format("read their own plan: {} is the NHS number on their directory record", own));
  EXPECT_THAT(Rules(RaisedBy(found, planted)), ElementsAre("own_record"))
      << "not also family: the same surname is their own";
  EXPECT_THAT(Rules(RaisedBy(found, someone_else)), IsEmpty());
  EXPECT_THAT(Rules(RaisedBy(found, patient)), IsEmpty());
  EXPECT_THAT(Rules(RaisedBy(found, proxy)), IsEmpty());
}

// ---- deceased ----

TEST_F(InvestigationTest, ReadsLongAfterTheDeath) {
  world_.Apply(testing::LedgerWorld::Death(
      a().care_home_nurse, ledger::FromCivilDay(world_.today()), "Rosewood Care Home"));
  MoveTo(London(2026, 6, 17, 3, 0));
  const CommandResult soon = Read(a().ambulance);  // two days later, at night
  MoveTo(London(2026, 7, 23, 10, 0));              // a Thursday, 38 days later
  const CommandResult late = Read(a().gp);
  const Investigation found = Investigate();

  ExpectAlert(found, "deceased", Where(late), careledger::v1::ALERT_SEVERITY_MEDIUM,
              "38 days after the patient's death on 2026-06-15 (more than 30 days)");
  EXPECT_THAT(Rules(RaisedBy(found, soon)), IsEmpty());
  EXPECT_THAT(Rules(found.alerts), ElementsAre("deceased"));

  EXPECT_THAT(Rules(OfRule(Investigate(With({"deceased_days=60"})), "deceased")), IsEmpty())
      << "a threshold changes what is raised, with no rebuild";
  EXPECT_EQ(OfRule(Investigate(With({"deceased_days=37"})), "deceased").size(), 1u);
}

TEST_F(InvestigationTest, ADeathRecordedLateCountsFromItsRecording) {
  // Recorded today, the death happened 40 days ago (2026-05-06).
  world_.Apply(testing::LedgerWorld::Death(
      a().care_home_nurse, ledger::FromCivilDay(world_.today() - 40), "Rosewood Care Home"));
  MoveTo(London(2026, 6, 25, 10, 0));  // 10 days after the recording, 50 after the death
  const CommandResult soon = Read(a().gp);
  MoveTo(London(2026, 7, 22, 10, 0));  // 37 days after the recording
  const CommandResult late = Read(a().ambulance);
  const Investigation found = Investigate();

  EXPECT_THAT(Rules(RaisedBy(found, soon)), IsEmpty())
      << "50 days after the death, but 10 after anyone knew of it";
  ExpectAlert(found, "deceased", Where(late), careledger::v1::ALERT_SEVERITY_MEDIUM,
              "37 days after the patient's death on 2026-05-06 recorded on 2026-06-15 (more than "
              "30 days)");
}

// ---- out_of_hours ----

TEST_F(InvestigationTest, OutOfHours) {
  // The GP's reads are of four patients of the practice, so that none is a
  // repeat folded into another's alert.
  std::vector<std::string> patients;
  for (int i = 0; i < 4; ++i) {
    patients.push_back(OtherPatient(i));
    world_.PublishSamplePlan(patients.back());
  }
  MoveTo(London(2026, 6, 15, 15, 0));
  const CommandResult in_hours = Read(a().gp);
  MoveTo(London(2026, 6, 15, 22, 0));
  const CommandResult late = Read(a().gp, patients[0]);
  MoveTo(London(2026, 6, 16, 3, 0));
  const CommandResult crew = Read(a().ambulance);         // urgent care
  const CommandResult nurse = Read(a().care_home_nurse);  // a care home works round the clock
  MoveTo(London(2026, 6, 16, 18, 45));                    // 17:45 UTC
  const CommandResult evening = Read(a().gp, patients[1]);
  MoveTo(London(2026, 6, 20, 11, 0));  // Saturday
  const CommandResult weekend = Read(a().gp, patients[2]);
  MoveTo(London(2026, 6, 24, 11, 0));  // Wednesday
  const CommandResult holiday = Read(a().gp, patients[3]);

  const Investigation found = Investigate();
  ExpectAlert(found, "out_of_hours", Where(late), careledger::v1::ALERT_SEVERITY_LOW,
              fmt::format("read the plan of {} at 22:00 (Monday 2026-06-15, Europe/London): "
                          "outside working hours 08:00-18:30",
                          patients[0]));
  ExpectAlert(found, "out_of_hours", Where(evening), careledger::v1::ALERT_SEVERITY_LOW,
              "at 18:45");
  ExpectAlert(found, "out_of_hours", Where(weekend), careledger::v1::ALERT_SEVERITY_LOW,
              "at a weekend");
  for (const CommandResult* legitimate : {&in_hours, &crew, &nurse, &holiday}) {
    EXPECT_THAT(Rules(RaisedBy(found, *legitimate)), IsEmpty());
  }
  EXPECT_EQ(found.alerts.size(), 3u);

  const Investigation holidays = Investigate(With({"bank_holidays=2026-06-24,2026-08-31"}));
  ExpectAlert(holidays, "out_of_hours", Where(holiday), careledger::v1::ALERT_SEVERITY_LOW,
              "on a bank holiday");
  const Investigation longer = Investigate(With({"working_hours=07:00-23:00"}));
  EXPECT_THAT(Rules(longer.alerts), ElementsAre("out_of_hours"));
  EXPECT_EQ(RaisedBy(longer, weekend).size(), 1u);
  const Investigation utc = Investigate(With({"time_zone=UTC"}));
  EXPECT_THAT(Rules(RaisedBy(utc, evening)), IsEmpty()) << "17:45 UTC is within hours";
  EXPECT_EQ(RaisedBy(utc, late).size(), 1u);
  EXPECT_EQ(utc.time_zone, "UTC");
  const Investigation no_exemption = Investigate(With({"out_of_hours_exempt=none"}));
  EXPECT_EQ(RaisedBy(no_exemption, nurse).size(), 1u);
  EXPECT_THAT(Rules(RaisedBy(no_exemption, crew)), IsEmpty())
      << "urgent care is never out of hours";
}

TEST_F(InvestigationTest, OutOfHoursJudgesTheRoleAndTheOrganisation) {
  // At 03:00 in a care home (a 24-hour organisation type): its registered
  // nurse works shifts there; its administrator keeps office hours.
  MoveTo(London(2026, 6, 16, 3, 0));
  const CommandResult nurse = Read(a().care_home_nurse);
  const CommandResult admin = Read(a().care_home_admin);
  MoveTo(London(2026, 6, 16, 22, 0));
  const CommandResult gp = Read(a().gp);
  const Investigation found = Investigate();

  EXPECT_THAT(Rules(RaisedBy(found, nurse)), IsEmpty());
  ExpectAlert(found, "out_of_hours", Where(admin), careledger::v1::ALERT_SEVERITY_LOW,
              fmt::format("the organisation ({}, care_home) works around the clock, but a "
                          "ADMINISTRATOR keeps office hours there",
                          tools::kCareHomeOds));
  ExpectAlert(found, "out_of_hours", Where(gp), careledger::v1::ALERT_SEVERITY_LOW,
              "the organisation (gp_practice) is not a 24-hour service");

  const Investigation admins_on_shifts =
      Investigate(With({"out_of_hours_shift_roles=clinician,administrator"}));
  EXPECT_THAT(Rules(RaisedBy(admins_on_shifts, admin)), IsEmpty());
  EXPECT_EQ(RaisedBy(admins_on_shifts, gp).size(), 1u) << "a GP practice is still office hours";

  const Investigation hub = Investigate(With({"out_of_hours_exempt_orgs=GP0001"}));
  EXPECT_THAT(Rules(RaisedBy(hub, gp)), IsEmpty()) << "an extended-hours practice, by its code";
  EXPECT_EQ(RaisedBy(hub, admin).size(), 1u) << "only the practice named";
}

// ---- ranking: the likeliest breaches first ----

TEST_F(InvestigationTest, TheQueueRanksCorroboratedAlertsFirst) {
  // A neighbour (shares the postcode) reading from another practice at night
  // raises three rules on one patient; the patient's own GP reading in the
  // evening, one (out of hours, LOW).
  RegisterOtherPractice();
  const Actor neighbour = NewUser("dr.next-door", a().gp, [](careledger::v1::User* user) {
    user->set_organisation("GP0002");
    user->set_family_name("Unrelated");
    user->set_postcode("SE1 7EH");  // the sample plan's
  });
  Actor from_other_practice = neighbour;
  from_other_practice.set_device_id("dev-GP0002");
  MoveTo(London(2026, 6, 16, 20, 0));
  const CommandResult evening = Read(a().gp);
  MoveTo(London(2026, 6, 16, 23, 0));
  const CommandResult night = Read(from_other_practice);

  InvestigationRequest request;
  request.order = AlertOrder::kRisk;
  const Investigation ranked = Investigate(request);
  ASSERT_EQ(ranked.alerts.size(), 4u) << ::testing::PrintToString(Rules(ranked.alerts));
  EXPECT_THAT(
      Rules(RaisedBy(ranked, night)),
      ::testing::UnorderedElementsAre("no_relationship", "family_or_neighbour", "out_of_hours"));
  // Each of the night read's alerts carries the corroboration of the other two.
  for (const Alert& alert : RaisedBy(ranked, night)) {
    const int severity = alert.severity() == careledger::v1::ALERT_SEVERITY_MEDIUM ? 30 : 10;
    EXPECT_EQ(alert.risk(), severity + 2 * kCorroborationWeight) << alert.rule();
  }
  const std::vector<Alert> lone = RaisedBy(ranked, evening);
  ASSERT_EQ(lone.size(), 1u);
  EXPECT_EQ(lone.front().risk(), 10);
  for (std::size_t i = 1; i < ranked.alerts.size(); ++i) {
    EXPECT_GE(ranked.alerts[i - 1].risk(), ranked.alerts[i].risk()) << i;
  }
  EXPECT_EQ(ranked.alerts.back().alert_id(), lone.front().alert_id())
      << "the GP's evening read comes after the corroborated night read";

  const Investigation by_time = Investigate();
  EXPECT_EQ(by_time.alerts.front().alert_id(), lone.front().alert_id())
      << "kTime keeps recorded order";
}

// ---- repeats fold ----

TEST_F(InvestigationTest, RepeatReadsOfOnePatientByOneUserFoldIntoOneAlert) {
  const std::string other = OtherPatient(0);
  world_.PublishSamplePlan(other);
  std::vector<CommandResult> late;
  for (int night = 0; night < 4; ++night) {
    MoveTo(London(2026, 6, 15 + night, 22, 0));
    late.push_back(Read(a().gp));
  }
  MoveTo(London(2026, 6, 18, 23, 0));
  const CommandResult other_patient = Read(a().gp, other);
  const Investigation found = Investigate();

  ExpectAlert(found, "out_of_hours", Where(late.front()), careledger::v1::ALERT_SEVERITY_LOW,
              "at 22:00 (Monday 2026-06-15");
  const std::vector<Alert> first = RaisedBy(found, late.front());
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first.front().occurrences(), 4);
  ASSERT_EQ(first.front().evidence_size(), 4);
  for (std::size_t i = 0; i < late.size(); ++i) {
    EXPECT_EQ(fmt::format("{}-{}", first.front().evidence(static_cast<int>(i)).partition(),
                          first.front().evidence(static_cast<int>(i)).offset()),
              Where(late[i]))
        << "every repeat is in the evidence, oldest first";
  }
  EXPECT_EQ(events::FromTimestamp(first.front().last_at()), London(2026, 6, 18, 22, 0));
  for (std::size_t i = 1; i < late.size(); ++i) {
    EXPECT_THAT(Rules(RaisedBy(found, late[i])), IsEmpty()) << "folded, not raised again";
  }
  ExpectAlert(found, "out_of_hours", Where(other_patient), careledger::v1::ALERT_SEVERITY_LOW,
              other);
  EXPECT_EQ(found.alerts.size(), 2u) << "one per patient";

  // A range that starts after the first read folds from the first in it.
  InvestigationRequest from_third_night;
  from_third_night.from = London(2026, 6, 17, 21, 0);
  const Investigation later = Investigate(from_third_night);
  const std::vector<Alert> from_third = RaisedBy(later, late[2]);
  ASSERT_EQ(from_third.size(), 1u);
  EXPECT_EQ(from_third.front().occurrences(), 2);
}

// ---- many_patients ----

TEST_F(InvestigationTest, ManyDistinctPatientsInAnHour) {
  std::vector<std::string> patients;
  for (int i = 0; i < 21; ++i) {
    patients.push_back(OtherPatient(i));
    world_.PublishSamplePlan(patients.back());
  }
  // Tuesday 09:00: twenty patients in twenty minutes, one of them again and
  // again: twenty is not more than twenty.
  MoveTo(London(2026, 6, 16, 9, 0));
  for (int i = 0; i < 20; ++i) {
    Read(a().gp, patients[static_cast<std::size_t>(i)]);
    world_.clock().Advance(absl::Minutes(1));
  }
  for (int i = 0; i < 5; ++i) Read(a().gp, patients[0]);
  // 11:00: twenty-one in forty-two minutes.
  MoveTo(London(2026, 6, 16, 11, 0));
  std::vector<CommandResult> burst;
  for (const std::string& nhs : patients) {
    burst.push_back(Read(a().gp, nhs));
    world_.clock().Advance(absl::Minutes(2));
  }
  // Wednesday: twenty-one, one every four minutes (at most 15 in any hour).
  MoveTo(London(2026, 6, 17, 9, 0));
  for (const std::string& nhs : patients) {
    Read(a().gp, nhs);
    world_.clock().Advance(absl::Minutes(4));
  }

  const Investigation found = Investigate();
  ASSERT_EQ(OfRule(found, "many_patients").size(), 1u) << found.alerts.front().reason();
  ExpectAlert(found, "many_patients", Where(burst.back()), careledger::v1::ALERT_SEVERITY_HIGH,
              "read the plans of 21 distinct patients between 2026-06-16 11:00 and 11:40 "
              "(Europe/London): more than 20 within 60 minutes");
  const Alert alert = OfRule(found, "many_patients").front();
  std::vector<std::string> expected;
  for (const CommandResult& read : burst) expected.push_back(Where(read));
  EXPECT_EQ(Evidence(alert), expected) << "each patient's first read in the hour, in order";
  EXPECT_EQ(alert.nhs_number(), "") << "several patients";
  EXPECT_THAT(Rules(found.alerts), ElementsAre("many_patients"));

  // The alert does not depend on where the range starts...
  InvestigationRequest later;
  later.from = London(2026, 6, 16, 11, 30);
  EXPECT_THAT(Rules(Investigate(later).alerts), ElementsAre("many_patients"));
  EXPECT_EQ(Investigate(later).alerts.front().alert_id(), alert.alert_id());
  // ... and is not raised by a range that starts after its raising record.
  later.from = events::FromTimestamp(alert.at()) + absl::Microseconds(1);
  EXPECT_THAT(Rules(Investigate(later).alerts), IsEmpty());
  // A lower threshold raises the Tuesday 09:00 and Wednesday readings too.
  EXPECT_EQ(OfRule(Investigate(With({"many_patients=10"})), "many_patients").size(), 3u);
}

// ---- unregistered_device ----

TEST_F(InvestigationTest, UnregisteredDeviceOrExpiredLicence) {
  careledger::v1::Device old = world_.SampleDevice("dev-AMB001");
  old.set_device_id("dev-AMB-OLD");
  *old.mutable_licence_issued_on() = ledger::FromCivilDay(world_.today() - 300);
  world_.Apply(world_.RecordDevice(old));
  MoveTo(London(2026, 6, 16, 10, 0));
  Actor stolen = a().ambulance;
  stolen.set_device_id("dev-stolen");
  Actor expired = a().ambulance;
  expired.set_device_id("dev-AMB-OLD");
  const CommandResult unknown_refused =
      world_.Reject(testing::LedgerWorld::View(stolen), "device dev-stolen is not registered");
  const CommandResult expired_refused =
      world_.Reject(testing::LedgerWorld::View(expired), "licence");
  const CommandResult registered = Read(a().ambulance);
  const ledger::LogPosition rogue =
      AppendRogueRead(stolen, London(2026, 6, 16, 10, 30), /*restricted=*/false);
  const Investigation found = Investigate();

  ExpectAlert(found, "unregistered_device", Where(unknown_refused),
              careledger::v1::ALERT_SEVERITY_MEDIUM,
              "tried view_plan of 9990000018 from device dev-stolen, which is not registered");
  ExpectAlert(found, "unregistered_device", Where(expired_refused),
              careledger::v1::ALERT_SEVERITY_MEDIUM,
              "from device dev-AMB-OLD, whose licence (issued 2025-08-19) was more than 9 months "
              "old");
  ExpectAlert(found, "unregistered_device", Where(rogue), careledger::v1::ALERT_SEVERITY_HIGH,
              "read the plan of 9990000018 from device dev-stolen, which is not registered");
  EXPECT_THAT(Rules(RaisedBy(found, registered)), IsEmpty());
  EXPECT_EQ(found.alerts.size(), 3u);

  const Investigation longer = Investigate(With({"licence_months=12"}));
  EXPECT_THAT(Rules(RaisedBy(longer, expired_refused)), IsEmpty());
}

// ---- repeated_refusals ----

TEST_F(InvestigationTest, RepeatedRefusals) {
  const auto refuse = [&] {
    CommandResult result =
        world_.Reject(testing::LedgerWorld::View(a().ambulance, careledger::v1::PLAN_VIEW_DRAFT),
                      "published plans only");
    world_.clock().Advance(absl::Minutes(5));
    return result;
  };
  MoveTo(London(2026, 6, 16, 10, 0));
  for (int i = 0; i < 4; ++i) refuse();  // four in fifteen minutes
  MoveTo(London(2026, 6, 16, 13, 0));
  std::vector<CommandResult> five;
  for (int i = 0; i < 5; ++i) five.push_back(refuse());
  MoveTo(London(2026, 6, 17, 10, 0));
  const CommandResult single = refuse();
  MoveTo(London(2026, 6, 18, 10, 0));
  for (int i = 0; i < 5; ++i) {  // five, twenty minutes apart
    refuse();
    world_.clock().Advance(absl::Minutes(15));
  }
  const Investigation found = Investigate();

  ExpectAlert(found, "repeated_refusals", Where(five.back()), careledger::v1::ALERT_SEVERITY_MEDIUM,
              "was refused 5 times between 2026-06-16 13:00 and 13:20 (Europe/London): at least "
              "5 within 60 minutes; the last, view_plan: role ROLE_URGENT_CARE sees published "
              "plans only");
  const Alert alert = OfRule(found, "repeated_refusals").front();
  std::vector<std::string> expected;
  for (const CommandResult& refusal : five) expected.push_back(Where(refusal));
  EXPECT_EQ(Evidence(alert), expected);
  EXPECT_EQ(alert.nhs_number(), tools::kSamplePatient);
  EXPECT_THAT(Rules(RaisedBy(found, single)), IsEmpty());
  EXPECT_THAT(Rules(found.alerts), ElementsAre("repeated_refusals"));
  EXPECT_EQ(OfRule(Investigate(With({"refusals=3"})), "repeated_refusals").size(), 3u);
}

// ---- running some rules, bad requests, thresholds ----

TEST_F(InvestigationTest, OneRuleAtATime) {
  world_.Apply(world_.Restrict(a().care_home_nurse, {"nurse.rosewood"}));
  MoveTo(London(2026, 6, 16, 22, 0));
  Read(a().gp, tools::kSamplePatient, "called by the care home about a fall");
  InvestigationRequest request;
  EXPECT_THAT(Rules(Investigate(request).alerts), ElementsAre("break_glass", "out_of_hours"));
  request.rules = {"out_of_hours"};
  EXPECT_THAT(Rules(Investigate(request).alerts), ElementsAre("out_of_hours"));
  request.rules = {"snooping"};
  EXPECT_THAT(projections::Investigate(*store_, request).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
  request.rules.clear();
  request.from = London(2026, 6, 17, 0, 0);
  request.to = request.from;
  EXPECT_THAT(projections::Investigate(*store_, request).status(),
              testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RuleThresholdsTest, DefaultsAndSettingThem) {
  const RuleThresholds defaults;
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : ThresholdValues(defaults)) values[key] = value;
  EXPECT_EQ(values["deceased_days"], "30");
  EXPECT_EQ(values["working_hours"], "08:00-18:30");
  EXPECT_EQ(values["time_zone"], "Europe/London");
  EXPECT_EQ(values["bank_holidays"], "none");
  EXPECT_EQ(values["out_of_hours_exempt"],
            "ambulance_service,care_home,hospice,hospital,nhs_111,out_of_hours_gp");
  EXPECT_EQ(values["many_patients"], "20");
  EXPECT_EQ(values["many_patients_minutes"], "60");
  EXPECT_EQ(values["refusals"], "5");
  EXPECT_EQ(values["refusals_minutes"], "60");
  EXPECT_EQ(values["licence_months"], "9");
  EXPECT_EQ(values["out_of_hours_shift_roles"], "clinician");
  EXPECT_EQ(values["out_of_hours_exempt_orgs"], "none");

  RuleThresholds set;
  for (const auto& [key, value] : ThresholdValues(defaults)) {
    EXPECT_THAT(SetThreshold(fmt::format("{}={}", key, value), &set), IsOk()) << key;
  }
  EXPECT_EQ(ThresholdValues(set), ThresholdValues(defaults)) << "every value round-trips";
  EXPECT_THAT(SetThreshold("out_of_hours_exempt=gp_practice,hospice", &set), IsOk());
  EXPECT_THAT(SetThreshold("working_hours=09:00-17:00", &set), IsOk());
  EXPECT_EQ(set.working_day_start, 9 * 60);
  EXPECT_EQ(set.working_day_end, 17 * 60);
  for (const char* bad :
       {"many_patients", "many_patients=0", "many_patients=ten", "working_hours=18:00-08:00",
        "working_hours=8-18", "time_zone=Mars/Olympus", "bank_holidays=2026-13-01",
        "out_of_hours_exempt=pub", "snooping=1", "deceased_days=-1",
        "out_of_hours_shift_roles=urgent_care", "out_of_hours_exempt_orgs=gp 1"}) {
    EXPECT_THAT(SetThreshold(bad, &set), testing::StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

// ---- reviews: a signed event, attached to its alert, in the auditor's trail ----

TEST_F(InvestigationTest, AReviewIsASignedEventAttachedToItsAlert) {
  world_.Apply(world_.Restrict(a().gp, {"dr.patel"}));
  MoveTo(London(2026, 6, 16, 3, 0));
  Read(a().ambulance, tools::kSamplePatient, "unconscious, no response");
  const Investigation before = Investigate();
  ASSERT_EQ(before.alerts.size(), 1u);
  const std::string alert_id = before.alerts.front().alert_id();

  MoveTo(London(2026, 6, 17, 10, 0));
  careledger::v1::Command review = testing::LedgerWorld::As(a().auditor);
  review.mutable_review_alert()->set_alert_id(alert_id);
  review.mutable_review_alert()->set_outcome(careledger::v1::ALERT_REVIEW_OUTCOME_REFERRED);
  review.mutable_review_alert()->set_note("asked the crew's manager for the call log");
  review.mutable_review_alert()->set_nhs_number(tools::kSamplePatient);
  const CommandResult first = world_.Apply(review);
  MoveTo(London(2026, 6, 17, 15, 0));
  review = testing::LedgerWorld::As(a().auditor);
  review.mutable_review_alert()->set_alert_id(alert_id);
  review.mutable_review_alert()->set_outcome(careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED);
  review.mutable_review_alert()->set_note("999 call log: cardiac arrest at the care home");
  review.mutable_review_alert()->set_nhs_number(tools::kSamplePatient);
  const CommandResult second = world_.Apply(review);
  EXPECT_EQ(second.stream_id(), fmt::format("audit/alert/{}", alert_id));
  EXPECT_EQ(second.stream_seq(), 2u);

  const Investigation after = Investigate();
  ASSERT_EQ(after.alerts.size(), 1u);
  const Alert& alert = after.alerts.front();
  ASSERT_TRUE(alert.has_review());
  EXPECT_EQ(alert.review().outcome(), careledger::v1::ALERT_REVIEW_OUTCOME_JUSTIFIED);
  EXPECT_EQ(alert.review().note(), "999 call log: cardiac arrest at the care home");
  EXPECT_EQ(alert.review().reviewed_by().user_id(), "auditor.cmc");
  EXPECT_EQ(Where(alert.review().position()), Where(second));
  EXPECT_EQ(events::FromTimestamp(alert.review().at()), London(2026, 6, 17, 15, 0));
  CL_ASSERT_OK_AND_ASSIGN(const std::vector<careledger::v1::AlertReview> reviews,
                          ListAlertReviews(*store_, alert_id));
  ASSERT_EQ(reviews.size(), 2u);
  EXPECT_EQ(Where(reviews[0].position()), Where(first));
  EXPECT_EQ(reviews[0].outcome(), careledger::v1::ALERT_REVIEW_OUTCOME_REFERRED);
  CL_ASSERT_OK_AND_ASSIGN(const std::vector<careledger::v1::AlertReview> none,
                          ListAlertReviews(*store_, "break_glass/9-9"));
  EXPECT_TRUE(none.empty());

  // In the auditor's own trail and the patient's.
  const AuditQueries queries(store_.get());
  CL_ASSERT_OK_AND_ASSIGN(const AuditPage mine, queries.ListByUser("auditor.cmc", {}));
  std::vector<std::string> changes;
  for (const careledger::v1::AuditEntry& entry : mine.entries) {
    // The auditor also kept the sample directory (its directory changes).
    if (entry.kind() == careledger::v1::AUDIT_KIND_CHANGE &&
        !entry.subject().starts_with("directory/")) {
      EXPECT_EQ(entry.action(), "alert_reviewed");
      EXPECT_EQ(entry.subject(), fmt::format("audit/alert/{}", alert_id));
      EXPECT_EQ(entry.nhs_number(), tools::kSamplePatient);
      changes.push_back(entry.note());
    }
  }
  EXPECT_THAT(changes, ElementsAre(fmt::format("{} referred: asked the crew's manager for the "
                                               "call log",
                                               alert_id),
                                   fmt::format("{} justified: 999 call log: cardiac arrest at "
                                               "the care home",
                                               alert_id)));
  CL_ASSERT_OK_AND_ASSIGN(const AuditPage theirs, queries.ListByPatient(tools::kSamplePatient, {}));
  EXPECT_EQ(theirs.entries.back().action(), "alert_reviewed");

  // Reviews are projected deterministically: a rebuild is byte-identical.
  CL_ASSERT_OK_AND_ASSIGN(auto rebuilt, ProjectionStore::Open(dir_.Sub("rebuilt")));
  auto reader = world_.log().OpenReader();
  ASSERT_THAT(reader, IsOk());
  ProjectorOptions options;
  options.verify_threads = 2;
  options.batch_records = 7;
  options.read_wait = std::chrono::milliseconds(0);
  Projector projector(reader->get(), rebuilt.get(), &world_.signer().keyring, options);
  ASSERT_THAT(projector.CatchUp(), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(const events::Hash original, store_->Fingerprint());
  CL_ASSERT_OK_AND_ASSIGN(const events::Hash again, rebuilt->Fingerprint());
  EXPECT_EQ(events::HashHex(original), events::HashHex(again));
}

}  // namespace
}  // namespace careledger::projections
