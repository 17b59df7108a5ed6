// Proves the synthetic load streams correctly: slices in time order, the same
// load for the same seed however it is taken, every rule planted, and the
// background sized by its options.
#include "tools/load_generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace careledger::tools {
namespace {

const absl::Time kStart = absl::FromCivil(absl::CivilDay(2026, 3, 2), absl::UTCTimeZone());

LoadOptions SmallLoad(std::uint64_t seed = 7) {
  LoadOptions options;
  options.practices = 4;
  options.patients = 200;
  options.reads_per_day = 300;
  options.days = 40;
  options.plants_per_rule = 1;
  options.seed = seed;
  return options;
}

// Every slice of the load: its time and its commands, serialised.
std::vector<std::pair<absl::Time, std::vector<std::string>>> Drain(LoadGenerator& load) {
  std::vector<std::pair<absl::Time, std::vector<std::string>>> slices;
  while (std::optional<LoadSlice> slice = load.Next()) {
    std::vector<std::string> commands;
    for (const auto& command : slice->commands) commands.push_back(command.SerializeAsString());
    slices.emplace_back(slice->at, std::move(commands));
  }
  return slices;
}

TEST(LoadGeneratorTest, SlicesComeInStrictlyIncreasingTimeFromTheStart) {
  LoadGenerator load(SmallLoad(), kStart);
  const auto slices = Drain(load);
  ASSERT_FALSE(slices.empty());
  EXPECT_EQ(slices.front().first, kStart);
  for (std::size_t i = 1; i < slices.size(); ++i) {
    EXPECT_LT(slices[i - 1].first, slices[i].first) << "slice " << i;
    EXPECT_FALSE(slices[i].second.empty()) << "slice " << i;
  }
  EXPECT_FALSE(load.Next().has_value());  // over, and stays over
}

TEST(LoadGeneratorTest, SameSeedGivesTheSameLoadAndAnotherSeedDoesNot) {
  LoadGenerator first(SmallLoad(7), kStart);
  LoadGenerator again(SmallLoad(7), kStart);
  LoadGenerator other(SmallLoad(8), kStart);
  const auto slices = Drain(first);
  EXPECT_EQ(slices, Drain(again));
  EXPECT_NE(slices, Drain(other));
}

TEST(LoadGeneratorTest, EveryRuleIsPlantedAndEveryPlantIsInsideTheRun) {
  LoadGenerator load(SmallLoad(), kStart);
  std::set<std::string> rules;
  for (const PlantedCase& plant : load.plants()) {
    rules.insert(plant.rule);
    EXPECT_GT(plant.at, kStart) << plant.rule;
    EXPECT_LT(plant.at, kStart + absl::Hours(24 * 41)) << plant.rule;
  }
  EXPECT_EQ(rules,
            (std::set<std::string>{"break_glass", "restricted_record", "no_relationship",
                                   "family_or_neighbour", "own_record", "deceased", "out_of_hours",
                                   "many_patients", "unregistered_device", "repeated_refusals"}));
}

TEST(LoadGeneratorTest, BackgroundReadsAreBoundedByTheirOptions) {
  const LoadOptions options = SmallLoad();
  LoadGenerator load(options, kStart);
  std::map<std::string, std::size_t> reads_by_user;
  std::size_t reads = 0;
  while (std::optional<LoadSlice> slice = load.Next()) {
    for (const auto& command : slice->commands) {
      if (!command.has_view_plan()) continue;
      ++reads;
      ++reads_by_user[command.actor().user_id()];
    }
  }
  // Reads skipped for planted or long-dead patients make it at most the
  // background plus the planted reads (fewer than 60 for one plant per rule).
  EXPECT_LE(reads, options.reads_per_day * options.days + 60);
  EXPECT_GT(reads, options.reads_per_day * options.days * 8 / 10);
  // Both GPs and urgent care read.
  EXPECT_TRUE(reads_by_user.contains("gp.0"));
  EXPECT_TRUE(reads_by_user.contains("crew.0"));
  EXPECT_TRUE(reads_by_user.contains("call.0"));
}

}  // namespace
}  // namespace careledger::tools
