// Fuzzes what `careledger submit` does with one line of JSON
// (tools/cmd_submit.cc and the writer's decision, ledger/decide.h): parse it
// as a careledger.v1.Command in the protobuf JSON mapping, find its stream,
// and decide it against the sample world's directory and a patient's plan at
// every stage of the care homes guide's scenario.
//
// Proves, for any text: FromJson fails only with INVALID_ARGUMENT, and a
// parsed command prints (ToJsonLine) to JSON that parses back to the same
// command; DecideCommand never crashes and refuses only with
// INVALID_ARGUMENT, PERMISSION_DENIED or FAILED_PRECONDITION (each refusal
// still makes an access record); and every plan event it decides folds onto
// the plan it was decided against (events/plan_fold.h: the ledger never
// decides an event the fold refuses).
//
// Input: the JSON text itself (the corpus: one command per file).
#include <cstdint>
#include <string>
#include <vector>

#include "careledger/v1/commands.pb.h"
#include "careledger/v1/plan_state.pb.h"
#include "events/envelope.h"
#include "events/plan_fold.h"
#include "events/time_util.h"
#include "ledger/dates.h"
#include "ledger/decide.h"
#include "ledger/directory.h"
#include "ledger/directory_rules.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/fuzz/quiet_protobuf.h"
#include "tools/output.h"
#include "tools/sample_world.h"

namespace careledger::fuzz {
namespace {

using careledger::v1::Command;
using careledger::v1::Event;
using careledger::v1::PlanState;

// 15 June 2026, 12:00 UTC: the corpus was made with the sample world on
// this day (tests/fuzz/make_corpus.cc).
absl::Time Now() {
  return absl::FromCivil(absl::CivilSecond(2026, 6, 15, 12, 0, 0), absl::UTCTimeZone());
}

// The envelope fields the writer fills in before an event is folded.
void Stamp(const Command& command, const std::string& stream, std::uint64_t seq, Event* event) {
  event->set_event_id(command.command_id() + "/" + std::to_string(seq));
  event->set_stream_id(stream);
  event->set_stream_seq(seq);
  *event->mutable_recorded_at() = events::ToTimestamp(Now());
  *event->mutable_actor() = command.actor();
  event->set_command_id(command.command_id());
}

// The sample patient's plan after one step of the scenario, and its stream's
// last stream_seq.
struct Stage {
  PlanState plan;
  std::uint64_t seq = 0;
};

struct World {
  ledger::Directory directory;
  std::vector<Stage> stages;
};

World MakeWorld() {
  World world;
  const absl::CivilDay today = ledger::Today(Now());
  for (const Command& command : tools::SampleDirectoryCommands(today)) {
    absl::StatusOr<std::vector<Event>> decided =
        ledger::DecideDirectoryCommand(world.directory, command, Now());
    if (!decided.ok()) continue;
    for (Event& event : *decided) {
      Stamp(command, "directory", 1, &event);
      world.directory.Apply(event);
    }
  }
  PlanState plan;
  std::uint64_t seq = 0;
  world.stages.push_back(Stage{plan, seq});
  for (const tools::ScenarioStep& step : tools::CareHomeScenario(tools::kSamplePatient, today)) {
    absl::StatusOr<ledger::Decision> decision = ledger::DecideCommand(
        ledger::DecisionInput{plan, seq, world.directory, Now()}, step.command);
    if (!decision.ok()) continue;
    for (Event& event : decision->events) {
      Stamp(step.command, std::string(events::kPatientStreamPrefix) + tools::kSamplePatient, ++seq,
            &event);
      if (!events::FoldPlanEvent(event, &plan).ok()) std::abort();
    }
    world.stages.push_back(Stage{plan, seq});
  }
  return world;
}

const World& TheWorld() {
  static const World* const world = new World(MakeWorld());
  return *world;
}

// What the writer does with a parsed command (ledger/writer.cc, Decide).
void Decide(const Command& command) {
  const absl::StatusOr<std::string> stream = ledger::CommandStream(command);
  if (!stream.ok()) {
    CARELEDGER_FUZZ_CHECK(stream.status().code() == absl::StatusCode::kInvalidArgument);
  }
  if (command.command_id().empty() || !stream.ok()) {
    (void)ledger::RefusalRecord(
        command, stream.ok() ? absl::InvalidArgumentError("no command_id") : stream.status());
    return;
  }
  const World& world = TheWorld();
  const bool sample_stream =
      *stream == std::string(events::kPatientStreamPrefix) + tools::kSamplePatient;
  static const Stage kNewStream;
  for (const Stage& stage : world.stages) {
    // The scenario's stages are the sample patient's; any other stream is new.
    const Stage& current = sample_stream ? stage : kNewStream;
    if (command.has_expected_version() && command.expected_version() != current.seq) continue;
    absl::StatusOr<ledger::Decision> decision = ledger::DecideCommand(
        ledger::DecisionInput{current.plan, current.seq, world.directory, Now()}, command);
    if (!decision.ok()) {
      const absl::StatusCode code = decision.status().code();
      CARELEDGER_FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                            code == absl::StatusCode::kPermissionDenied ||
                            code == absl::StatusCode::kFailedPrecondition);
      (void)ledger::RefusalRecord(command, decision.status());
    } else if (stream->starts_with(events::kPatientStreamPrefix)) {
      PlanState folded = current.plan;
      std::uint64_t seq = current.seq;
      for (Event event : decision->events) {
        Stamp(command, *stream, ++seq, &event);
        CARELEDGER_FUZZ_CHECK(events::FoldPlanEvent(event, &folded).ok());
      }
    }
    if (!sample_stream) break;  // every stage would decide the same
  }
}

}  // namespace
}  // namespace careledger::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  careledger::fuzz::QuietProtobufLogs();
  (void)careledger::fuzz::TheWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string json(reinterpret_cast<const char*>(data), size);
  careledger::v1::Command command;
  const absl::Status parsed = careledger::tools::FromJson(json, &command);
  if (!parsed.ok()) {
    CARELEDGER_FUZZ_CHECK(parsed.code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  // Printed and parsed again, the command is the same.
  careledger::v1::Command again;
  CARELEDGER_FUZZ_CHECK(
      careledger::tools::FromJson(careledger::tools::ToJsonLine(command), &again).ok());
  CARELEDGER_FUZZ_CHECK(careledger::events::SerializeDeterministic(again) ==
                        careledger::events::SerializeDeterministic(command));
  careledger::fuzz::Decide(command);
  return 0;
}
