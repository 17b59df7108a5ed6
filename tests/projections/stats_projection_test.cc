// The statistics projection and its queries (issue 11 item 3): a load with
// known outcomes (planted deaths at the first, second and other preferred
// places, known review dates, known views by known organisations, known
// statuses and consent types, London month boundaries) gives exactly the
// expected figures; the figures agree with a direct count made here by
// folding the log's records independently; and the `stats` family is the
// same bytes however the log is batched.
#include <fmt/format.h>

#include <map>
#include <sstream>

#include "events/time_util.h"
#include "projections/plan_projection.h"
#include "projections/stats_queries.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::projections {
namespace {

using careledger::v1::PreferredPlaceMet;

absl::Time Utc(int year, int month, int day, int hour = 10, int minute = 0) {
  return absl::FromCivil(absl::CivilMinute(year, month, day, hour, minute), absl::UTCTimeZone());
}

absl::TimeZone London() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &zone)) << "tzdata is needed";
  return zone;
}

// Every figure as text, one per line, so two sets compare with a readable
// difference.
std::string Describe(const StatisticsFigures& figures) {
  std::ostringstream out;
  for (const auto& [name, count] : figures.plans_by_status)
    out << "status " << name << " " << count << "\n";
  for (const auto& [name, count] : figures.consent_types)
    out << "consent " << name << " " << count << "\n";
  out << "overdue " << figures.reviews_overdue << "\n";
  for (const auto& [label, period] : figures.periods) {
    for (const auto& [type, count] : period.created)
      out << label << " created " << type << " " << count << "\n";
    for (const auto& [type, count] : period.published)
      out << label << " published " << type << " " << count << "\n";
    for (const auto& [type, count] : period.views)
      out << label << " views " << type << " " << count << "\n";
    for (absl::Duration d : period.time_to_publish)
      out << label << " took " << absl::FormatDuration(d) << "\n";
    out << fmt::format("{} deaths {} with-preference {} first {} second {} neither {}\n", label,
                       period.deaths, period.deaths_with_preference, period.died_first,
                       period.died_second, period.died_neither);
  }
  return out.str();
}

class StatsProjectionTest : public ProjectionTest {
 protected:
  // The next event is recorded at `time`.
  void At(absl::Time time) { clock_ = time - absl::Seconds(1); }

  void Organisation(const std::string& ods, careledger::v1::OrganisationType type) {
    careledger::v1::Organisation organisation;
    organisation.set_ods_code(ods);
    organisation.set_name(fmt::format("{} site", ods));
    organisation.set_type(type);
    RecordOrganisation(organisation);
  }

  // A plan started at `started` by a clinician of `ods`, its review due on
  // `review_on`, published at `published` (if set).
  void PlantPlan(const std::string& nhs, const std::string& ods, absl::Time started,
                 std::optional<absl::Time> published, careledger::v1::Date review_on) {
    ActAs("clinician-" + ods, careledger::v1::ROLE_CLINICIAN, ods);
    At(started);
    StartPlan(nhs);
    careledger::v1::PlanSectionValue review;
    *review.mutable_review()->mutable_review_on() = review_on;
    review.mutable_review()->set_reviewing_clinician("clinician-" + ods);
    UpdateSection(nhs, review);
    if (published) {
      At(*published);
      Approve(nhs);
    }
  }

  void Die(const std::string& nhs, absl::Time at, PreferredPlaceMet met) {
    At(at);
    AppendPlanEvent(nhs, [&](careledger::v1::Event* event) {
      *event->mutable_death_recorded()->mutable_died_on() = MakeDate(2024, 2, 1);
      event->mutable_death_recorded()->set_place("somewhere");
      event->mutable_death_recorded()->set_preferred_place_met(met);
    });
  }

  // A read of `nhs`'s published plan by a user of `role` at `ods`.
  void View(const std::string& nhs, absl::Time at, careledger::v1::Role role,
            const std::string& ods, bool granted = true) {
    ActAs("reader-" + ods, role, ods);
    At(at);
    careledger::v1::AccessRecorded read = PublishedRead(nhs, 1, 4, std::string(32, 'h'));
    if (!granted) {
      read.set_outcome(careledger::v1::ACCESS_OUTCOME_DENIED);
      read.set_reason("no legitimate relationship");
    }
    RecordAccess(NodeInPartition(0), read);
  }

  // The planted load; nhs_[i] is plan Pi.
  void PlantLoad() {
    for (int i = 0; i < 10; ++i) nhs_.push_back(SyntheticNhsNumber(i));
    Organisation("G1", careledger::v1::ORGANISATION_TYPE_GP_PRACTICE);
    Organisation("H1", careledger::v1::ORGANISATION_TYPE_HOSPICE);
    Organisation("A1", careledger::v1::ORGANISATION_TYPE_AMBULANCE_SERVICE);
    Organisation("N1", careledger::v1::ORGANISATION_TYPE_NHS_111);
    // "Z9" started a plan but is not in the directory: type "unknown".

    // January (London = UTC in winter).
    PlantPlan(nhs_[0], "G1", Utc(2024, 1, 10), Utc(2024, 1, 12), MakeDate(2024, 4, 10));
    At(Utc(2024, 3, 1));
    Review(nhs_[0], MakeDate(2024, 7, 1));  // moves P0's review on
    PlantPlan(nhs_[1], "G1", Utc(2024, 1, 15), Utc(2024, 1, 19), MakeDate(2024, 3, 1));
    At(Utc(2024, 1, 25));
    UpdateSection(nhs_[1], ResuscitationSection(careledger::v1::CPR_DECISION_FOR_CPR));  // EDITING
    PlantPlan(nhs_[2], "H1", Utc(2024, 1, 20), Utc(2024, 2, 3), MakeDate(2024, 5, 1));
    Die(nhs_[2], Utc(2024, 2, 10), careledger::v1::PREFERRED_PLACE_MET_FIRST);
    // February.
    PlantPlan(nhs_[3], "H1", Utc(2024, 2, 1), Utc(2024, 2, 2), MakeDate(2024, 5, 1));
    Die(nhs_[3], Utc(2024, 2, 20), careledger::v1::PREFERRED_PLACE_MET_SECOND);
    PlantPlan(nhs_[4], "G1", Utc(2024, 2, 5), std::nullopt, MakeDate(2024, 5, 1));  // DRAFT
    PlantPlan(nhs_[5], "G1", Utc(2024, 2, 6), std::nullopt, MakeDate(2024, 5, 1));
    Submit(nhs_[5], "clinician-G1", "");  // SUBMITTED
    PlantPlan(nhs_[6], "Z9", Utc(2024, 2, 7), Utc(2024, 2, 8), MakeDate(2024, 5, 1));
    Die(nhs_[6], Utc(2024, 2, 25), careledger::v1::PREFERRED_PLACE_MET_NOT_MET);
    PlantPlan(nhs_[8], "G1", Utc(2024, 2, 10), Utc(2024, 2, 11), MakeDate(2024, 5, 1));
    Die(nhs_[8], Utc(2024, 2, 28), careledger::v1::PREFERRED_PLACE_MET_NOT_DISCUSSED);
    // Started 2024-05-31 23:30 UTC = 1 June 00:30 BST: a June plan in London.
    PlantPlan(nhs_[7], "G1", Utc(2024, 5, 31, 23, 30), Utc(2024, 6, 2, 23, 30),
              MakeDate(2024, 9, 1));
    careledger::v1::PlanSectionValue consent;
    *consent.mutable_consent() = PatientConsent();
    consent.mutable_consent()->set_basis(careledger::v1::CONSENT_BASIS_BEST_INTEREST);
    consent.mutable_consent()->set_justification("lacks capacity");
    At(Utc(2024, 6, 5));
    UpdateSection(nhs_[7], consent);
    At(Utc(2024, 6, 6));
    Approve(nhs_[7]);
    At(Utc(2024, 6, 7));
    WithdrawConsent(nhs_[7]);
    // P9: only a myCMC request, no plan: not counted anywhere.
    ActAs("patient-9", careledger::v1::ROLE_PATIENT);
    At(Utc(2024, 2, 12));
    MakeRequest(nhs_[9], careledger::v1::PATIENT_REQUEST_KIND_INITIATE_PLAN, "please");

    // Views: urgent care counted, a clinician's read and a refused read not.
    View(nhs_[0], Utc(2024, 1, 13), careledger::v1::ROLE_URGENT_CARE, "A1");
    View(nhs_[0], Utc(2024, 1, 14), careledger::v1::ROLE_URGENT_CARE, "A1");
    View(nhs_[1], Utc(2024, 1, 31, 23, 30), careledger::v1::ROLE_URGENT_CARE, "A1");  // GMT: Jan
    View(nhs_[1], Utc(2024, 2, 14), careledger::v1::ROLE_URGENT_CARE, "N1");
    View(nhs_[1], Utc(2024, 2, 14, 11), careledger::v1::ROLE_URGENT_CARE, "N1");
    View(nhs_[1], Utc(2024, 6, 30, 23, 30), careledger::v1::ROLE_URGENT_CARE, "A1");  // BST: July
    View(nhs_[0], Utc(2024, 1, 16), careledger::v1::ROLE_CLINICIAN, "G1");
    View(nhs_[0], Utc(2024, 1, 17), careledger::v1::ROLE_URGENT_CARE, "A1", /*granted=*/false);
  }

  StatisticsRequest Request(StatsPeriod period = StatsPeriod::kMonth) {
    StatisticsRequest request;
    request.period = period;
    request.review_on = absl::CivilDay(2024, 6, 1);
    request.zone = London();
    return request;
  }

  // The figures of `request`, counted directly from the log's records: each
  // plan stream folded with events::FoldPlanEvent, each access record
  // classified, the periods bucketed in London time; nothing of the
  // projections is used.
  StatisticsFigures CountFromLog(const StatisticsRequest& request) {
    struct Plan {
      careledger::v1::PlanState state;
      absl::Time started;
      std::string organisation;
      std::optional<absl::Time> published;
      std::optional<absl::Time> died;
      PreferredPlaceMet met{};
    };
    std::map<std::string, Plan> plans;
    std::map<std::string, std::string> types;  // ODS -> type
    StatisticsFigures figures;
    auto period = [&](absl::Time time) -> PeriodFigures& {
      return figures.periods[absl::FormatTime(request.period == StatsPeriod::kYear ? "%Y" : "%Y-%m",
                                              time, request.zone)];
    };
    auto in_range = [&](absl::Time time) { return request.from <= time && time < request.to; };
    std::vector<events::LogRecord> records = careledger::testing::ReadAll(*log_);
    for (const events::LogRecord& record : records) {
      absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record.key, record.value);
      EXPECT_TRUE(opened.ok()) << opened.status();
      const careledger::v1::Event& event = opened->event;
      const absl::Time at = events::FromTimestamp(event.recorded_at());
      if (event.has_organisation_recorded()) {
        const careledger::v1::Organisation& org = event.organisation_recorded().organisation();
        types[org.ods_code()] =
            FigureName(careledger::v1::OrganisationType_Name(org.type()), "ORGANISATION_TYPE_");
      }
      if (event.stream_id().starts_with("patient/") && events::IsPlanEvent(event)) {
        Plan& plan = plans[event.stream_id().substr(8)];
        EXPECT_TRUE(events::FoldPlanEvent(event, &plan.state).ok());
        if (event.has_plan_started()) {
          plan.started = at;
          plan.organisation = event.actor().organisation();
        }
        if (event.has_plan_approved() && !plan.published) plan.published = at;
        if (event.has_death_recorded()) {
          plan.died = at;
          plan.met = event.death_recorded().preferred_place_met();
        }
      }
    }
    auto type_of = [&](const std::string& ods) {
      return types.contains(ods) ? types[ods] : std::string("unknown");
    };
    for (const events::LogRecord& record : records) {
      const careledger::v1::Event event = events::OpenRecord(record.key, record.value)->event;
      if (!event.has_access_recorded()) continue;
      const careledger::v1::AccessRecorded& access = event.access_recorded();
      if (access.outcome() != careledger::v1::ACCESS_OUTCOME_GRANTED ||
          access.action() != "view_plan" ||
          event.actor().role() != careledger::v1::ROLE_URGENT_CARE) {
        continue;
      }
      if (!request.organisation.empty() && event.actor().organisation() != request.organisation) {
        continue;
      }
      const absl::Time at = events::FromTimestamp(event.recorded_at());
      if (in_range(at)) period(at).views[type_of(event.actor().organisation())] += 1;
    }
    for (auto& [nhs, plan] : plans) {
      const careledger::v1::PlanState& state = plan.state;
      if (state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_UNSPECIFIED) continue;
      if (!request.organisation.empty() && plan.organisation != request.organisation) continue;
      figures.plans_by_status[FigureName(careledger::v1::PlanStatus_Name(PlanStatusOf(state)),
                                         "PLAN_STATUS_")] += 1;
      figures.consent_types[FigureName(
          careledger::v1::ConsentBasis_Name(state.draft().consent().basis()), "CONSENT_BASIS_")] +=
          1;
      const bool live = state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_PUBLISHED ||
                        state.lifecycle() == careledger::v1::PLAN_LIFECYCLE_EDITING;
      if (live && state.has_review_due() &&
          absl::CivilDay(state.review_due().year(), state.review_due().month(),
                         state.review_due().day()) < request.review_on) {
        ++figures.reviews_overdue;
      }
      const std::string type = type_of(plan.organisation);
      if (in_range(plan.started)) period(plan.started).created[type] += 1;
      if (plan.published && in_range(*plan.published)) {
        period(*plan.published).published[type] += 1;
        period(*plan.published).time_to_publish.push_back(*plan.published - plan.started);
      }
      if (plan.died && in_range(*plan.died)) {
        PeriodFigures& deaths = period(*plan.died);
        ++deaths.deaths;
        if (plan.met == careledger::v1::PREFERRED_PLACE_MET_FIRST) ++deaths.died_first;
        if (plan.met == careledger::v1::PREFERRED_PLACE_MET_SECOND) ++deaths.died_second;
        if (plan.met == careledger::v1::PREFERRED_PLACE_MET_NOT_MET) ++deaths.died_neither;
        deaths.deaths_with_preference =
            deaths.died_first + deaths.died_second + deaths.died_neither;
      }
    }
    for (auto& [label, figures_of] : figures.periods) {
      std::sort(figures_of.time_to_publish.begin(), figures_of.time_to_publish.end());
    }
    return figures;
  }

  std::vector<std::string> nhs_;
};

TEST_F(StatsProjectionTest, PlantedLoadGivesTheExpectedFigures) {
  PlantLoad();
  std::unique_ptr<ProjectionStore> store = OpenStore("live");
  ASSERT_THAT(Project(store.get()), careledger::testing::IsOk());
  CL_ASSERT_OK_AND_ASSIGN(StatisticsFigures figures, CountStatistics(*store, Request()));

  using Counts = std::map<std::string, std::uint64_t>;
  EXPECT_EQ(figures.plans_by_status, (Counts{{"published", 1},
                                             {"editing", 1},
                                             {"closed", 4},
                                             {"draft", 1},
                                             {"submitted", 1},
                                             {"withdrawn", 1}}));
  EXPECT_EQ(figures.consent_types, (Counts{{"patient", 8}, {"best_interest", 1}}));
  // On 1 June 2024 only P1's review (1 March) is overdue: P0's moved on to
  // 1 July, the closed, withdrawn and unpublished plans do not count.
  EXPECT_EQ(figures.reviews_overdue, 1u);

  ASSERT_EQ(figures.periods.size(), 4u);  // 2024-01, -02, -06, -07
  const PeriodFigures& january = figures.periods["2024-01"];
  EXPECT_EQ(january.created, (Counts{{"gp_practice", 2}, {"hospice", 1}}));
  EXPECT_EQ(january.published, (Counts{{"gp_practice", 2}}));
  EXPECT_EQ(Median(january.time_to_publish), absl::Hours(72));  // 2 and 4 days
  EXPECT_EQ(january.views, (Counts{{"ambulance_service", 3}}));
  EXPECT_EQ(january.deaths, 0u);

  const PeriodFigures& february = figures.periods["2024-02"];
  EXPECT_EQ(february.created, (Counts{{"gp_practice", 3}, {"hospice", 1}, {"unknown", 1}}));
  EXPECT_EQ(february.published, (Counts{{"gp_practice", 1}, {"hospice", 2}, {"unknown", 1}}));
  EXPECT_EQ(Median(february.time_to_publish), absl::Hours(24));  // 1, 1, 1 and 14 days
  EXPECT_EQ(february.views, (Counts{{"nhs_111", 2}}));
  EXPECT_EQ(february.deaths, 4u);
  EXPECT_EQ(february.deaths_with_preference, 3u);  // the fourth had none recorded
  EXPECT_EQ(february.died_first, 1u);
  EXPECT_EQ(february.died_second, 1u);
  EXPECT_EQ(february.died_neither, 1u);

  // 23:30 UTC on 31 May is June in London; on 30 June it is July.
  EXPECT_EQ(figures.periods["2024-06"].created, (Counts{{"gp_practice", 1}}));
  EXPECT_EQ(Median(figures.periods["2024-06"].time_to_publish), absl::Hours(48));
  EXPECT_EQ(figures.periods["2024-07"].views, (Counts{{"ambulance_service", 1}}));
}

TEST_F(StatsProjectionTest, ReviewOverdueDependsOnTheDayAsked) {
  PlantLoad();
  std::unique_ptr<ProjectionStore> store = OpenStore("live");
  ASSERT_THAT(Project(store.get()), careledger::testing::IsOk());
  StatisticsRequest request = Request();
  request.review_on = absl::CivilDay(2024, 3, 1);  // P1 due that day: not yet overdue
  CL_ASSERT_OK_AND_ASSIGN(StatisticsFigures on_due_day, CountStatistics(*store, request));
  EXPECT_EQ(on_due_day.reviews_overdue, 0u);
  request.review_on = absl::CivilDay(2024, 7, 2);  // P0 (1 July) and P1
  CL_ASSERT_OK_AND_ASSIGN(StatisticsFigures later, CountStatistics(*store, request));
  EXPECT_EQ(later.reviews_overdue, 2u);
}

TEST_F(StatsProjectionTest, PeriodRangeAndOrganisationFilter) {
  PlantLoad();
  std::unique_ptr<ProjectionStore> store = OpenStore("live");
  ASSERT_THAT(Project(store.get()), careledger::testing::IsOk());

  StatisticsRequest february = Request();
  february.from = absl::FromCivil(absl::CivilDay(2024, 2, 1), London());
  february.to = absl::FromCivil(absl::CivilDay(2024, 3, 1), London());
  CL_ASSERT_OK_AND_ASSIGN(StatisticsFigures figures, CountStatistics(*store, february));
  ASSERT_EQ(figures.periods.size(), 1u);
  EXPECT_EQ(figures.periods.begin()->first, "2024-02");

  StatisticsRequest gp = Request(StatsPeriod::kYear);
  gp.organisation = "G1";
  CL_ASSERT_OK_AND_ASSIGN(StatisticsFigures of_gp, CountStatistics(*store, gp));
  ASSERT_EQ(of_gp.periods.size(), 1u);
  const PeriodFigures& year = of_gp.periods["2024"];
  EXPECT_EQ(year.created, (std::map<std::string, std::uint64_t>{{"gp_practice", 6}}));
  EXPECT_TRUE(year.views.empty());  // G1's users made no urgent-care views
  EXPECT_EQ(year.deaths, 1u);       // P8
  EXPECT_EQ(year.deaths_with_preference, 0u);
}

TEST_F(StatsProjectionTest, FiguresAgreeWithADirectCountOverTheLog) {
  PlantLoad();
  std::unique_ptr<ProjectionStore> store = OpenStore("live");
  ASSERT_THAT(Project(store.get()), careledger::testing::IsOk());
  std::vector<StatisticsRequest> requests = {Request(), Request(StatsPeriod::kYear)};
  requests.push_back(Request());
  requests.back().organisation = "H1";
  requests.push_back(Request());
  requests.back().organisation = "A1";
  requests.push_back(Request());
  requests.back().from = absl::FromCivil(absl::CivilDay(2024, 1, 20), London());
  requests.back().to = absl::FromCivil(absl::CivilDay(2024, 6, 1), London());
  for (const StatisticsRequest& request : requests) {
    CL_ASSERT_OK_AND_ASSIGN(StatisticsFigures projected, CountStatistics(*store, request));
    EXPECT_EQ(Describe(projected), Describe(CountFromLog(request)))
        << "organisation '" << request.organisation << "'";
  }
}

TEST_F(StatsProjectionTest, LiveProjectionEqualsARebuildHoweverBatched) {
  std::unique_ptr<ProjectionStore> live = OpenStore("live");
  PlantLoad();
  // The live store follows the log in two steps, one record per batch.
  ASSERT_THAT(Project(live.get(), Options(2, 1)), careledger::testing::IsOk());
  View(nhs_[0], Utc(2024, 8, 1), careledger::v1::ROLE_URGENT_CARE, "A1");
  At(Utc(2024, 8, 2));
  Review(nhs_[1], MakeDate(2025, 1, 1));
  ASSERT_THAT(Project(live.get(), Options(2, 1)), careledger::testing::IsOk());
  std::unique_ptr<ProjectionStore> rebuilt = OpenStore("rebuilt");
  ASSERT_THAT(Project(rebuilt.get()), careledger::testing::IsOk());
  EXPECT_EQ(Fingerprint(*live), Fingerprint(*rebuilt));
  CL_ASSERT_OK_AND_ASSIGN(StatisticsFigures figures, CountStatistics(*live, Request()));
  EXPECT_EQ(figures.reviews_overdue, 0u);  // P1 reviewed on to 2025
  EXPECT_EQ(figures.periods["2024-08"].views,
            (std::map<std::string, std::uint64_t>{{"ambulance_service", 1}}));
  EXPECT_EQ(Describe(figures), Describe(CountFromLog(Request())));
}

}  // namespace
}  // namespace careledger::projections
