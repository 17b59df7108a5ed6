#include "tools/sample_world.h"

#include <fmt/format.h>

#include "events/ids.h"
#include "events/plan_sections.h"
#include "ledger/dates.h"

namespace careledger::tools {
namespace {

using careledger::v1::Command;
using careledger::v1::Role;

careledger::v1::Actor MakeActor(const std::string& user, Role role, const std::string& org,
                                const std::string& device, const std::string& address,
                                const std::string& purpose) {
  careledger::v1::Actor actor;
  actor.set_user_id(user);
  actor.set_role(role);
  actor.set_organisation(org);
  actor.set_device_id(device);
  actor.set_network_address(address);
  actor.set_purpose(purpose);
  return actor;
}

careledger::v1::Date DaysAgo(absl::CivilDay today, int days) {
  return ledger::FromCivilDay(today - days);
}

struct OrgSpec {
  const char* ods;
  const char* name;
  careledger::v1::OrganisationType type;
};

constexpr OrgSpec kOrganisations[] = {
    {"CMC001", "Coordinate My Care service", careledger::v1::ORGANISATION_TYPE_CMC_SERVICE},
    {kCareHomeOds, "Rosewood Care Home", careledger::v1::ORGANISATION_TYPE_CARE_HOME},
    {kGpPracticeOds, "Riverside Medical Practice", careledger::v1::ORGANISATION_TYPE_GP_PRACTICE},
    {"AMB001", "London Ambulance Service", careledger::v1::ORGANISATION_TYPE_AMBULANCE_SERVICE},
    {"NHS111", "NHS 111 London", careledger::v1::ORGANISATION_TYPE_NHS_111},
    {"OOH001", "Out-of-hours GP service", careledger::v1::ORGANISATION_TYPE_OUT_OF_HOURS_GP},
    {"HSP001", "St Anne's Hospice", careledger::v1::ORGANISATION_TYPE_HOSPICE},
};

}  // namespace

careledger::v1::User ProfessionalUser(const careledger::v1::Actor& actor, const std::string& name,
                                      const std::string& registration, absl::CivilDay today) {
  careledger::v1::User user;
  user.set_user_id(actor.user_id());
  user.set_name(name);
  user.set_role(actor.role());
  user.set_organisation(actor.organisation());
  user.set_professional_registration(registration);
  user.mutable_user_access_form()->set_signed_(true);
  user.mutable_user_access_form()->set_authorising_manager("Practice manager");
  *user.mutable_user_access_form()->mutable_signed_on() = DaysAgo(today, 30);
  *user.mutable_ig_training_on() = DaysAgo(today, 60);
  const bool urgent = actor.role() == careledger::v1::ROLE_URGENT_CARE;
  for (const char* module : urgent ? std::vector<const char*>{"CMC101", "CMC104"}
                                   : std::vector<const char*>{"CMC101", "CMC102", "CMC103"}) {
    user.add_training_modules(module);
  }
  *user.mutable_aup_accepted_on() = DaysAgo(today, 30);
  user.set_status(careledger::v1::USER_STATUS_ACTIVE);
  return user;
}

SampleActors SampleWorldActors() {
  SampleActors a;
  a.operator_ =
      MakeActor("operator", careledger::v1::ROLE_SYSTEM, "", "", "127.0.0.1", "bootstrap");
  a.auditor = MakeActor("auditor.cmc", careledger::v1::ROLE_AUDITOR, "CMC001", "dev-CMC001",
                        "10.0.0.10", "audit");
  a.care_home_admin = MakeActor("admin.rosewood", careledger::v1::ROLE_ADMINISTRATOR, kCareHomeOds,
                                "dev-CH0001", "10.1.0.21", "care planning");
  a.care_home_nurse = MakeActor("nurse.rosewood", careledger::v1::ROLE_CLINICIAN, kCareHomeOds,
                                "dev-CH0001", "10.1.0.22", "care planning");
  a.gp = MakeActor("dr.patel", careledger::v1::ROLE_CLINICIAN, kGpPracticeOds, "dev-GP0001",
                   "10.2.0.31", "care planning");
  a.ambulance = MakeActor("crew.lee", careledger::v1::ROLE_URGENT_CARE, "AMB001", "dev-AMB001",
                          "10.3.0.41", "emergency care");
  a.nhs111 = MakeActor("call.okafor", careledger::v1::ROLE_URGENT_CARE, "NHS111", "dev-NHS111",
                       "10.4.0.51", "urgent care advice");
  a.patient =
      MakeActor("patient.9990000018", careledger::v1::ROLE_PATIENT, "", "", "81.2.69.160", "myCMC");
  a.proxy =
      MakeActor("proxy.jane", careledger::v1::ROLE_PROXY_VIEWER, "", "", "81.2.69.161", "myCMC");
  return a;
}

Command NewCommandAs(const careledger::v1::Actor& actor) {
  Command command;
  command.set_command_id(events::RandomUuid());
  *command.mutable_actor() = actor;
  return command;
}

std::vector<Command> SampleDirectoryCommands(absl::CivilDay today, const std::string& id_prefix) {
  const SampleActors a = SampleWorldActors();
  std::vector<Command> commands;
  // The bootstrap acts as the operator; everything after it as the CMC team
  // member it registers (ledger/directory_rules.h).
  const careledger::v1::Actor* acting = &a.operator_;
  const auto add = [&](const std::string& what) -> Command& {
    Command& command = commands.emplace_back();
    command.set_command_id(fmt::format("{}/{}", id_prefix, what));
    *command.mutable_actor() = *acting;
    return command;
  };
  const auto add_organisation = [&](const OrgSpec& spec) {
    careledger::v1::Organisation* org =
        add(fmt::format("org/{}", spec.ods)).mutable_record_organisation()->mutable_organisation();
    org->set_ods_code(spec.ods);
    org->set_name(spec.name);
    org->set_type(spec.type);
    org->set_isa_signed(true);
    *org->mutable_isa_signed_on() = DaysAgo(today, 400);
    org->set_dspt_level(careledger::v1::DSPT_LEVEL_STANDARDS_MET);
    *org->mutable_dspt_assessed_on() = DaysAgo(today, 90);
    careledger::v1::Device* device =
        add(fmt::format("device/{}", spec.ods)).mutable_record_device()->mutable_device();
    device->set_device_id(fmt::format("dev-{}", spec.ods));
    device->set_organisation(spec.ods);
    *device->mutable_licence_issued_on() = DaysAgo(today, 30);
  };
  const auto add_user = [&](const careledger::v1::Actor& actor, const char* name,
                            const char* registration) {
    *add(fmt::format("user/{}", actor.user_id())).mutable_record_user()->mutable_user() =
        ProfessionalUser(actor, name, registration, today);
  };
  static_assert(kOrganisations[0].type == careledger::v1::ORGANISATION_TYPE_CMC_SERVICE);
  add_organisation(kOrganisations[0]);
  add_user(a.auditor, "Sam Auditor", "");
  acting = &a.auditor;
  for (std::size_t i = 1; i < std::size(kOrganisations); ++i) add_organisation(kOrganisations[i]);
  const std::pair<const careledger::v1::Actor*, std::pair<const char*, const char*>> people[] = {
      {&a.care_home_admin, {"Alex Morgan", ""}},
      {&a.care_home_nurse, {"Priya Shah RN", "NMC 12A3456B"}},
      {&a.gp, {"Dr Anil Patel", "GMC 7012345"}},
      {&a.ambulance, {"Chris Lee", "HCPC PA12345"}},
      {&a.nhs111, {"Ngozi Okafor", "NMC 98B7654C"}},
  };
  for (const auto& [actor, names] : people) add_user(*actor, names.first, names.second);
  careledger::v1::User* patient = add("user/patient").mutable_record_user()->mutable_user();
  patient->set_user_id(a.patient.user_id());
  patient->set_name("Margaret Example");
  patient->set_role(careledger::v1::ROLE_PATIENT);
  patient->set_nhs_number(kSamplePatient);
  patient->set_status(careledger::v1::USER_STATUS_ACTIVE);
  careledger::v1::User* proxy = add("user/proxy").mutable_record_user()->mutable_user();
  proxy->set_user_id(a.proxy.user_id());
  proxy->set_name("Jane Example");
  proxy->set_role(careledger::v1::ROLE_PROXY_VIEWER);
  proxy->set_status(careledger::v1::USER_STATUS_ACTIVE);
  return commands;
}

careledger::v1::Consent SampleConsent(absl::CivilDay today) {
  careledger::v1::Consent consent;
  consent.set_basis(careledger::v1::CONSENT_BASIS_PATIENT);
  consent.set_discussion("Discussed with the resident and her daughter at the care home");
  *consent.mutable_obtained_on() = ledger::FromCivilDay(today);
  return consent;
}

std::vector<careledger::v1::PlanSectionValue> CompletePlanSections(const std::string& nhs_number,
                                                                   absl::CivilDay today) {
  std::vector<careledger::v1::PlanSectionValue> sections(10);
  careledger::v1::Demographics* who = sections[0].mutable_demographics();
  who->set_given_name("Margaret");
  who->set_family_name("Example");
  who->set_nhs_number(nhs_number);
  who->set_gender("female");
  who->mutable_date_of_birth()->set_year(1936);
  who->mutable_date_of_birth()->set_month(4);
  who->mutable_date_of_birth()->set_day(2);
  who->set_address("Rosewood Care Home, 1 Rose Lane, London");
  who->set_postcode("SE1 7EH");
  who->set_gp_practice_ods(kGpPracticeOds);
  who->set_gp_name("Dr Anil Patel");

  careledger::v1::MedicalBackground* background = sections[1].mutable_medical_background();
  background->set_main_diagnosis("Advanced dementia");
  background->add_diagnoses()->set_name("Heart failure (NYHA III)");
  background->set_who_performance_status(4);
  *background->mutable_who_assessed_on() = ledger::FromCivilDay(today - 7);
  background->set_prognosis("months");

  careledger::v1::Preferences* preferences = sections[2].mutable_preferences();
  preferences->mutable_place_of_care()->set_first_preference("Rosewood Care Home");
  preferences->mutable_place_of_death()->set_first_preference("Rosewood Care Home");
  preferences->mutable_place_of_death()->set_second_preference("St Anne's Hospice");

  careledger::v1::Resuscitation* cpr = sections[3].mutable_resuscitation();
  cpr->set_discussed(true);
  *cpr->add_discussed_on() = ledger::FromCivilDay(today - 3);
  cpr->set_summary("Discussed with Margaret and her daughter; both agree CPR would not help.");
  cpr->set_decision(careledger::v1::CPR_DECISION_NOT_FOR_CPR);
  for (int q = careledger::v1::DNACPR_QUESTION_MENTAL_CAPACITY;
       q <= careledger::v1::DNACPR_QUESTION_RESPONSIBLE_CLINICIAN; ++q) {
    careledger::v1::DnacprAnswer* answer = cpr->add_dnacpr_answers();
    answer->set_question(static_cast<careledger::v1::DnacprQuestion>(q));
    answer->set_answer(fmt::format("Recorded answer to {}",
                                   careledger::v1::DnacprQuestion_Name(answer->question())));
  }

  careledger::v1::ClinicalRecommendations* clinical = sections[4].mutable_clinical();
  clinical->set_ceiling_of_treatment(careledger::v1::TREATMENT_CEILING_TREAT_AT_HOME);
  clinical->set_recommendations(
      "Treat infections at the care home with oral antibiotics; avoid admission; keep "
      "comfortable. Call the GP in hours, the out-of-hours GP otherwise.");

  careledger::v1::Allergies* allergies = sections[5].mutable_allergies();
  careledger::v1::Allergy* allergy = allergies->add_items();
  allergy->set_substance("Penicillin");
  allergy->set_reaction("Rash");

  careledger::v1::Medication* medication = sections[6].mutable_medications()->add_items();
  medication->set_name("Midazolam");
  medication->set_dose("2.5 mg");
  medication->set_route("subcutaneous");
  medication->set_frequency("as needed for agitation");
  medication->set_just_in_case(true);

  careledger::v1::Contact* daughter = sections[7].mutable_contacts()->add_items();
  daughter->set_kind(careledger::v1::CONTACT_KIND_FAMILY);
  daughter->set_name("Jane Example");
  daughter->set_relationship("daughter");
  daughter->set_telephone("020 7946 0000");
  daughter->set_next_of_kin(true);

  careledger::v1::Review* review = sections[8].mutable_review();
  *review->mutable_review_on() = ledger::FromCivilDay(ledger::AddMonths(today, 3));
  review->set_reviewing_clinician("dr.patel");

  careledger::v1::MyCmc* mycmc = sections[9].mutable_mycmc();
  mycmc->set_subscribed(true);
  careledger::v1::ProxyViewer* proxy = mycmc->add_proxy_viewers();
  proxy->set_user_id("proxy.jane");
  proxy->set_name("Jane Example");
  proxy->set_relationship("daughter");
  return sections;
}

}  // namespace careledger::tools

namespace careledger::tools {
namespace {

careledger::v1::Command Update(const careledger::v1::Actor& actor, const std::string& nhs_number,
                               const careledger::v1::PlanSectionValue& value) {
  careledger::v1::Command command = NewCommandAs(actor);
  command.mutable_update_plan_section()->set_nhs_number(nhs_number);
  *command.mutable_update_plan_section()->mutable_value() = value;
  return command;
}

careledger::v1::Command View(const careledger::v1::Actor& actor, const std::string& nhs_number,
                             careledger::v1::PlanView view) {
  careledger::v1::Command command = NewCommandAs(actor);
  command.mutable_view_plan()->set_nhs_number(nhs_number);
  command.mutable_view_plan()->set_view(view);
  return command;
}

}  // namespace

std::vector<ScenarioStep> CareHomeScenario(const std::string& nhs_number, absl::CivilDay today) {
  const SampleActors a = SampleWorldActors();
  constexpr auto kApplied = careledger::v1::OUTCOME_APPLIED;
  constexpr auto kRejected = careledger::v1::OUTCOME_REJECTED;
  const std::vector<careledger::v1::PlanSectionValue> sections =
      CompletePlanSections(nhs_number, today);
  std::vector<ScenarioStep> steps;
  const auto step = [&](std::string what, careledger::v1::Command command,
                        careledger::v1::Outcome expected) {
    steps.push_back(ScenarioStep{std::move(what), std::move(command), expected});
  };

  careledger::v1::Command start = NewCommandAs(a.care_home_admin);
  start.mutable_start_plan()->set_nhs_number(nhs_number);
  *start.mutable_start_plan()->mutable_consent() = SampleConsent(today);
  step("care home administrator starts the plan with the resident's consent", start, kApplied);
  // What the home knows: demographics, preferences, contacts, medication.
  for (std::size_t i : {0u, 2u, 6u, 7u}) {
    step(fmt::format("administrator records {}", events::SectionName(sections[i])),
         Update(a.care_home_admin, nhs_number, sections[i]), kApplied);
  }
  careledger::v1::Command admin_approve = NewCommandAs(a.care_home_admin);
  admin_approve.mutable_approve_plan()->set_nhs_number(nhs_number);
  step("administrator tries to publish: refused, only a clinician may", admin_approve, kRejected);
  careledger::v1::Command submit = NewCommandAs(a.care_home_admin);
  submit.mutable_submit_plan()->set_nhs_number(nhs_number);
  submit.mutable_submit_plan()->set_to_user(a.gp.user_id());
  submit.mutable_submit_plan()->set_note("Please complete the clinical sections and approve");
  step("administrator submits it to the GP for approval", submit, kApplied);
  // The clinical parts fall to the GP.
  for (std::size_t i : {1u, 3u, 4u, 5u, 8u, 9u}) {
    step(fmt::format("GP records {}", events::SectionName(sections[i])),
         Update(a.gp, nhs_number, sections[i]), kApplied);
  }
  careledger::v1::Command approve = NewCommandAs(a.gp);
  approve.mutable_approve_plan()->set_nhs_number(nhs_number);
  step("GP approves: version 1 is published", approve, kApplied);
  step("ambulance crew reads the published plan (version 1)",
       View(a.ambulance, nhs_number, careledger::v1::PLAN_VIEW_PUBLISHED), kApplied);
  careledger::v1::Command note = NewCommandAs(a.nhs111);
  note.mutable_add_urgent_care_note()->set_nhs_number(nhs_number);
  note.mutable_add_urgent_care_note()->set_text(
      "Called 02:10: daughter reports increased agitation; advised just-in-case midazolam "
      "per plan; OOH GP informed.");
  step("NHS 111 adds an urgent-care note", note, kApplied);
  careledger::v1::PlanSectionValue edited = sections[4];
  edited.mutable_clinical()->set_recommendations(
      "Comfort and symptom control at the care home; syringe driver if unable to swallow. Do "
      "not admit.");
  edited.mutable_clinical()->set_ceiling_of_treatment(
      careledger::v1::TREATMENT_CEILING_COMFORT_ONLY);
  step("GP edits the clinical recommendations (a working draft)", Update(a.gp, nhs_number, edited),
       kApplied);
  step("ambulance crew reads the plan again: still version 1",
       View(a.ambulance, nhs_number, careledger::v1::PLAN_VIEW_PUBLISHED), kApplied);
  step("ambulance crew asks for the draft: refused, urgent care sees published plans only",
       View(a.ambulance, nhs_number, careledger::v1::PLAN_VIEW_DRAFT), kRejected);
  careledger::v1::Command approve_edit = NewCommandAs(a.gp);
  approve_edit.mutable_approve_plan()->set_nhs_number(nhs_number);
  step("GP approves the edit: version 2 is published", approve_edit, kApplied);
  step("ambulance crew reads version 2",
       View(a.ambulance, nhs_number, careledger::v1::PLAN_VIEW_PUBLISHED), kApplied);
  careledger::v1::Command death = NewCommandAs(a.care_home_nurse);
  death.mutable_record_death()->set_nhs_number(nhs_number);
  *death.mutable_record_death()->mutable_died_on() = ledger::FromCivilDay(today);
  death.mutable_record_death()->set_place("Rosewood Care Home");
  step("care home nurse records the death in the care home, her first preference", death, kApplied);
  step("administrator tries to edit the closed plan: refused",
       Update(a.care_home_admin, nhs_number, sections[7]), kRejected);
  return steps;
}

}  // namespace careledger::tools
