#include "tools/load_generator.h"

#include <fmt/format.h>

#include <array>
#include <map>
#include <random>

#include "absl/container/flat_hash_set.h"
#include "events/plan_sections.h"
#include "ledger/dates.h"
#include "tools/sample_world.h"
#include "tools/synthetic.h"

namespace careledger::tools {
namespace {

// Surnames shared by many Londoners, patients and staff alike.
constexpr std::array<std::string_view, 15> kCommonSurnames = {
    "Patel", "Khan",   "Begum",   "Smith",  "Ahmed", "Ali",    "Jones", "Williams",
    "Brown", "Taylor", "Hussain", "Rahman", "Islam", "Davies", "Evans"};

std::string CommonSurname(std::size_t n) {
  return std::string(kCommonSurnames[n % kCommonSurnames.size()]);
}

using careledger::v1::Actor;
using careledger::v1::Command;

Actor Staff(const std::string& user, careledger::v1::Role role, const std::string& org) {
  Actor actor;
  actor.set_user_id(user);
  actor.set_role(role);
  actor.set_organisation(org);
  actor.set_device_id(fmt::format("dev-{}", org));
  actor.set_network_address(fmt::format("10.9.{}.{}", user.size() % 200, user.back() % 200));
  actor.set_purpose(role == careledger::v1::ROLE_URGENT_CARE ? "emergency care" : "care planning");
  return actor;
}

struct Patient {
  std::string nhs_number;
  std::size_t practice = 0;
  std::string family_name;
  std::string postcode;
  absl::Time died = absl::InfiniteFuture();
};

}  // namespace

class LoadGenerator::Builder {
 public:
  Builder(const LoadOptions& options, absl::Time start)
      : options_(options), rng_(options.seed), start_(start), today_(ledger::Today(start)) {
    RegisterDirectory();
    CreatePlans();
    Plant();  // first, so the background leaves the planted patients alone
  }

  std::optional<LoadSlice> Next() {
    // Day d's background lies within day d: generate it once every slice
    // before the day is taken. The random draws happen in the same order as
    // generating every day up front, so a seed gives the same load.
    while (next_day_ <= options_.days &&
           (slices_.empty() || slices_.begin()->first >= Day(next_day_, 0))) {
      Background(next_day_++);
    }
    if (slices_.empty()) return std::nullopt;
    auto first = slices_.begin();
    LoadSlice slice{first->first, std::move(first->second)};
    slices_.erase(first);
    return slice;
  }

  const std::vector<PlantedCase>& plants() const { return plants_; }

 private:
  Command New(const Actor& actor) {
    Command command;
    command.set_command_id(fmt::format("load-{}-{}", options_.seed, next_id_++));
    *command.mutable_actor() = actor;
    return command;
  }
  void At(absl::Time at, Command command) { slices_[at].push_back(std::move(command)); }
  absl::Time Day(std::size_t day, int hour, int minute = 0) {
    return start_ + absl::Hours(24 * static_cast<double>(day)) -
           absl::Hours(absl::ToCivilHour(start_, absl::UTCTimeZone()).hour()) + absl::Hours(hour) +
           absl::Minutes(minute);
  }
  std::size_t Pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  void RecordUser(careledger::v1::User user) {
    Command command = New(SampleWorldActors().auditor);
    *command.mutable_record_user()->mutable_user() = std::move(user);
    At(start_, std::move(command));
  }

  // A professional with an address and postcode of their own, so that
  // background reads never look like family or neighbours; the surname is
  // usually a common one that many patients share (CommonSurname), as in
  // London, which the investigation rules must not mistake for family.
  void RegisterStaff(const Actor& actor, const std::string& family, const std::string& postcode,
                     const std::string& own_nhs = "") {
    careledger::v1::User user = ProfessionalUser(
        actor, fmt::format("Sam {}", family),
        actor.role() == careledger::v1::ROLE_CLINICIAN ? "GMC 7000000" : "", today_);
    user.set_family_name(family);
    user.set_address(fmt::format("{} Staff Street, London", next_id_));
    user.set_postcode(postcode);
    user.set_nhs_number(own_nhs);
    RecordUser(std::move(user));
  }

  void RegisterDirectory() {
    for (Command& command :
         SampleDirectoryCommands(today_, fmt::format("load-{}", options_.seed))) {
      At(start_, std::move(command));
    }
    for (std::size_t p = 0; p < options_.practices; ++p) {
      const std::string ods = fmt::format("LP{:04}", p);
      Command org = New(SampleWorldActors().auditor);
      careledger::v1::Organisation* o = org.mutable_record_organisation()->mutable_organisation();
      o->set_ods_code(ods);
      o->set_name(fmt::format("Load practice {}", p));
      o->set_type(careledger::v1::ORGANISATION_TYPE_GP_PRACTICE);
      o->set_isa_signed(true);
      *o->mutable_isa_signed_on() = ledger::FromCivilDay(today_ - 400);
      o->set_dspt_level(careledger::v1::DSPT_LEVEL_STANDARDS_MET);
      *o->mutable_dspt_assessed_on() = ledger::FromCivilDay(today_ - 60);
      At(start_, std::move(org));
      Command device = New(SampleWorldActors().auditor);
      careledger::v1::Device* d = device.mutable_record_device()->mutable_device();
      d->set_device_id(fmt::format("dev-{}", ods));
      d->set_organisation(ods);
      *d->mutable_licence_issued_on() = ledger::FromCivilDay(today_ - 20);
      At(start_, std::move(device));
      gps_.push_back(Staff(fmt::format("gp.{}", p), careledger::v1::ROLE_CLINICIAN, ods));
      admins_.push_back(Staff(fmt::format("admin.{}", p), careledger::v1::ROLE_ADMINISTRATOR, ods));
      RegisterStaff(gps_.back(), CommonSurname(p), fmt::format("SG{} 1AA", p));
      RegisterStaff(admins_.back(), CommonSurname(p + 5), fmt::format("SA{} 1AA", p));
    }
    for (std::size_t c = 0; c < 4; ++c) {
      urgent_.push_back(
          Staff(fmt::format("crew.{}", c), careledger::v1::ROLE_URGENT_CARE, "AMB001"));
      RegisterStaff(urgent_.back(), CommonSurname(c + 2), fmt::format("SC{} 1AA", c));
      urgent_.push_back(
          Staff(fmt::format("call.{}", c), careledger::v1::ROLE_URGENT_CARE, "NHS111"));
      RegisterStaff(urgent_.back(), CommonSurname(c + 9), fmt::format("SN{} 1AA", c));
    }
  }

  void CreatePlans() {
    for (std::size_t i = 0; i < options_.patients; ++i) {
      Patient patient;
      patient.nhs_number = SyntheticNhsNumber(200'000 + i);
      patient.practice = i % options_.practices;
      patient.family_name = CommonSurname(i);
      patient.postcode = fmt::format("PP{} 2BB", i);
      patients_.push_back(patient);
      const absl::Time at = start_ + absl::Minutes(1 + static_cast<double>(i / 50));
      const Actor& gp = gps_[patient.practice];
      Command start = New(admins_[patient.practice]);
      start.mutable_start_plan()->set_nhs_number(patient.nhs_number);
      *start.mutable_start_plan()->mutable_consent() = SampleConsent(today_);
      At(at, std::move(start));
      for (careledger::v1::PlanSectionValue& section :
           CompletePlanSections(patient.nhs_number, today_)) {
        if (section.has_demographics()) {
          section.mutable_demographics()->set_family_name(patient.family_name);
          section.mutable_demographics()->set_gp_practice_ods(gp.organisation());
          section.mutable_demographics()->set_address(fmt::format("{} Patient Road, London", i));
          section.mutable_demographics()->set_postcode(patient.postcode);
        }
        if (section.has_review()) section.mutable_review()->set_reviewing_clinician(gp.user_id());
        Command update = New(gp);
        update.mutable_update_plan_section()->set_nhs_number(patient.nhs_number);
        *update.mutable_update_plan_section()->mutable_value() = std::move(section);
        At(at, std::move(update));
      }
      Command approve = New(gp);
      approve.mutable_approve_plan()->set_nhs_number(patient.nhs_number);
      At(at, std::move(approve));
    }
  }

  Command Read(const Actor& reader, const std::string& nhs_number,
               const std::string& break_glass = "") {
    Command read = New(reader);
    read.mutable_view_plan()->set_nhs_number(nhs_number);
    read.mutable_view_plan()->set_break_glass_reason(break_glass);
    return read;
  }

  static bool InHours(absl::Time at) {
    const absl::CivilSecond local = absl::ToCivilSecond(at, absl::UTCTimeZone());
    const absl::Weekday weekday = absl::GetWeekday(absl::CivilDay(local));
    const bool weekend = weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
    return !weekend && local.hour() >= 9 && local.hour() < 17;
  }

  // Reads by each patient's own GP in hours and by urgent care at any hour;
  // a few deaths (recorded by the GP in hours, read for a week after);
  // a few edits approved by the GP.
  void Background(std::size_t day) {
    for (std::size_t r = 0; r < options_.reads_per_day; ++r) {
      Patient& patient = patients_[Pick(patients_.size())];
      if (planted_.contains(patient.nhs_number)) continue;
      const absl::Duration grain =
          absl::Minutes(static_cast<double>(std::max<std::size_t>(options_.grain_minutes, 1)));
      const absl::Time at =
          Day(day, 0) +
          grain * static_cast<double>(Pick(static_cast<std::size_t>(absl::Hours(24) / grain)));
      if (at > patient.died + absl::Hours(24 * 7)) continue;
      const bool gp_reads = Pick(2) == 0 && InHours(at);
      At(at, Read(gp_reads ? gps_[patient.practice] : urgent_[Pick(urgent_.size())],
                  patient.nhs_number));
    }
    if (day <= options_.days / 2) {
      for (std::size_t d = 0; d < std::max<std::size_t>(1, patients_.size() / 200); ++d) {
        Patient& patient = patients_[Pick(patients_.size())];
        if (patient.died != absl::InfiniteFuture() || planted_.contains(patient.nhs_number)) {
          continue;
        }
        const absl::Time at = Day(day, 11, 0);
        if (!InHours(at)) continue;
        Command death = New(gps_[patient.practice]);
        death.mutable_record_death()->set_nhs_number(patient.nhs_number);
        *death.mutable_record_death()->mutable_died_on() = ledger::FromCivilDay(ledger::Today(at));
        death.mutable_record_death()->set_place("Rosewood Care Home");
        At(at, std::move(death));
        patient.died = at;
      }
    }
  }

  // Any patient not chosen for a plant.
  const Patient& Unplanted() {
    for (;;) {
      const Patient& patient = patients_[Pick(patients_.size())];
      if (!planted_.contains(patient.nhs_number)) return patient;
    }
  }

  // A patient with a plan open for the whole run, not used before.
  Patient& Fresh() {
    for (;;) {
      Patient& patient = patients_[Pick(patients_.size())];
      if (patient.died == absl::InfiniteFuture() && !planted_.contains(patient.nhs_number)) {
        planted_.insert(patient.nhs_number);
        return patient;
      }
    }
  }

  void Planted(const std::string& rule, const Actor& who, const std::string& nhs, absl::Time at) {
    plants_.push_back(PlantedCase{rule, who.user_id(), nhs, at});
  }

  // A weekday in the run at 10:00, after day `after`.
  absl::Time WeekdayMorning(std::size_t after) {
    for (std::size_t day = after;; ++day) {
      const absl::Time at = Day(day, 10, 7);
      if (InHours(at)) return at;
    }
  }

  void Plant() {
    const std::size_t k = options_.plants_per_rule;
    for (std::size_t i = 0; i < k; ++i) {
      const absl::Time morning = WeekdayMorning(1 + i);
      // A restricted plan read by breaking the glass, and refused without it.
      Patient& restricted = Fresh();
      const Actor& owner = gps_[restricted.practice];
      Command restrict = New(owner);
      restrict.mutable_restrict_plan()->set_nhs_number(restricted.nhs_number);
      restrict.mutable_restrict_plan()->set_reason("VIP patient");
      At(morning - absl::Hours(1), std::move(restrict));
      const Actor& crew = urgent_[i % urgent_.size()];
      At(morning + absl::Seconds(1), Read(crew, restricted.nhs_number, "unconscious, no history"));
      Planted("break_glass", crew, restricted.nhs_number, morning + absl::Seconds(1));
      const Actor& other_gp = gps_[(restricted.practice + 1) % gps_.size()];
      At(morning + absl::Seconds(2), Read(other_gp, restricted.nhs_number));
      Planted("restricted_record", other_gp, restricted.nhs_number, morning + absl::Seconds(2));

      // A GP of another practice, in hours, with no part in the plan.
      Patient& stranger = Fresh();
      const Actor& snoop = gps_[(stranger.practice + 1 + i) % gps_.size()];
      if (snoop.organisation() != gps_[stranger.practice].organisation()) {
        At(morning + absl::Seconds(3), Read(snoop, stranger.nhs_number));
        Planted("no_relationship", snoop, stranger.nhs_number, morning + absl::Seconds(3));
      }

      // A colleague at the patient's own practice who shares the surname and
      // the postcode (a relative), and one who shares the postcode only (a
      // neighbour).
      Patient& relative = Fresh();
      const Actor family = Staff(fmt::format("relative.{}", i), careledger::v1::ROLE_CLINICIAN,
                                 gps_[relative.practice].organisation());
      RegisterStaff(family, relative.family_name, relative.postcode);
      At(morning + absl::Seconds(4), Read(family, relative.nhs_number));
      Planted("family_or_neighbour", family, relative.nhs_number, morning + absl::Seconds(4));
      Patient& neighbour = Fresh();
      const Actor next_door = Staff(fmt::format("neighbour.{}", i), careledger::v1::ROLE_CLINICIAN,
                                    gps_[neighbour.practice].organisation());
      RegisterStaff(next_door, fmt::format("Staffneighbour{}", i), neighbour.postcode);
      At(morning + absl::Seconds(5), Read(next_door, neighbour.nhs_number));
      Planted("family_or_neighbour", next_door, neighbour.nhs_number, morning + absl::Seconds(5));

      // A member of staff reading their own record.
      Patient& self = Fresh();
      const Actor own = Staff(fmt::format("self.{}", i), careledger::v1::ROLE_CLINICIAN,
                              gps_[self.practice].organisation());
      RegisterStaff(own, fmt::format("Staffself{}", i), fmt::format("SS{} 1AA", i),
                    self.nhs_number);
      At(morning + absl::Seconds(6), Read(own, self.nhs_number));
      Planted("own_record", own, self.nhs_number, morning + absl::Seconds(6));

      // The patient's own GP at 02:30 on a weekday.
      Patient& night = Fresh();
      const absl::Time small_hours = morning - absl::Hours(7) - absl::Minutes(37);
      At(small_hours, Read(gps_[night.practice], night.nhs_number));
      Planted("out_of_hours", gps_[night.practice], night.nhs_number, small_hours);

      // A GP reading 30 of their own practice's patients within the hour.
      const Actor& browser = gps_[i % gps_.size()];
      std::size_t read = 0;
      for (std::size_t p = 0; p < patients_.size() && read < 30; ++p) {
        if (patients_[p].practice != i % gps_.size() ||
            planted_.contains(patients_[p].nhs_number)) {
          continue;
        }
        At(morning + absl::Hours(2) + absl::Minutes(static_cast<double>(read)),
           Read(browser, patients_[p].nhs_number));
        ++read;
      }
      if (read == 30) Planted("many_patients", browser, "", morning + absl::Hours(2));

      // An unregistered device.
      Patient& device = Fresh();
      Actor rogue = gps_[device.practice];
      rogue.set_device_id(fmt::format("personal-laptop-{}", i));
      At(morning + absl::Seconds(7), Read(rogue, device.nhs_number));
      Planted("unregistered_device", rogue, device.nhs_number, morning + absl::Seconds(7));

      // Six refused attempts in an hour: urgent care trying to edit plans.
      const Actor& pusher = urgent_[(i + 1) % urgent_.size()];
      for (std::size_t a = 0; a < 6; ++a) {
        Command edit = New(pusher);
        edit.mutable_update_plan_section()->set_nhs_number(Unplanted().nhs_number);
        edit.mutable_update_plan_section()->mutable_value()->mutable_social_support()->set_details(
            "changed by urgent care");
        At(morning + absl::Hours(3) + absl::Minutes(5 * static_cast<double>(a)), std::move(edit));
      }
      Planted("repeated_refusals", pusher, "", morning + absl::Hours(3));

      // A read long after the death, by the patient's own GP in hours.
      if (options_.days >= 36) {
        Patient& late = Fresh();
        Command death = New(gps_[late.practice]);
        death.mutable_record_death()->set_nhs_number(late.nhs_number);
        *death.mutable_record_death()->mutable_died_on() =
            ledger::FromCivilDay(ledger::Today(morning));
        death.mutable_record_death()->set_place("St Anne's Hospice");
        At(morning + absl::Seconds(8), std::move(death));
        late.died = morning;
        const absl::Time later = WeekdayMorning(1 + i + 35);
        At(later, Read(gps_[late.practice], late.nhs_number));
        Planted("deceased", gps_[late.practice], late.nhs_number, later);
      }
    }
  }

  LoadOptions options_;
  std::mt19937_64 rng_;
  absl::Time start_;
  absl::CivilDay today_;
  std::map<absl::Time, std::vector<Command>> slices_;  // not yet taken
  std::size_t next_day_ = 1;                           // of background
  std::uint64_t next_id_ = 0;
  std::vector<Actor> gps_, admins_, urgent_;
  std::vector<Patient> patients_;
  std::vector<PlantedCase> plants_;
  absl::flat_hash_set<std::string> planted_;
};

namespace {

LoadOptions Checked(LoadOptions options) {
  options.practices = std::max<std::size_t>(options.practices, 2);
  options.patients = std::max<std::size_t>(options.patients, 60 * options.practices / 10 + 40);
  return options;
}

}  // namespace

LoadGenerator::LoadGenerator(const LoadOptions& options, absl::Time start)
    : builder_(std::make_unique<Builder>(Checked(options), start)) {}

LoadGenerator::~LoadGenerator() = default;

std::optional<LoadSlice> LoadGenerator::Next() { return builder_->Next(); }

const std::vector<PlantedCase>& LoadGenerator::plants() const { return builder_->plants(); }

}  // namespace careledger::tools
