// Writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/) from a real
// ledger: the sample world's directory, the care homes guide's scenario and
// a second patient's published, restricted, noted and requested plan, all
// decided and signed by the real writer over an in-memory log
// (tests/ledger/ledger_world.h), then checkpointed. Commands become JSON
// lines; the log's records become the inputs each target reads
// (tests/fuzz/fuzz_input.h). Not part of the test run: rerun by hand when a
// format changes (tests/README.md, "Fuzzing").
//
//   make_corpus <corpus dir>     (its subfolders are replaced)
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "careledger/v1/envelope.pb.h"
#include "events/envelope.h"
#include "events/partition_digest.h"
#include "ledger/internal/embedded_record.h"
#include "tests/fuzz/fuzz_input.h"
#include "tests/ledger/ledger_world.h"
#include "tools/kept_checkpoints.h"
#include "tools/output.h"

namespace careledger::fuzz {
namespace {

namespace fs = std::filesystem;
using careledger::v1::Command;

constexpr char kSecondPatient[] = "9990000026";

class CorpusWriter {
 public:
  explicit CorpusWriter(fs::path root) : root_(std::move(root)) {}

  void Write(const std::string& target, const std::string& name, std::string_view bytes) {
    const fs::path dir = root_ / target;
    if (cleared_.insert({target, true}).second) {
      fs::remove_all(dir);
      fs::create_directories(dir);
    }
    std::ofstream(dir / name, std::ios::binary) << bytes;
    ++written_[target];
  }

  void Report() const {
    for (const auto& [target, count] : written_) std::cout << target << ": " << count << "\n";
  }

 private:
  fs::path root_;
  std::map<std::string, bool> cleared_;
  std::map<std::string, int> written_;
};

// Every command the world runs, kept for the command corpus.
std::vector<Command> RunWorld(testing::LedgerWorld& world) {
  const tools::SampleActors& a = world.actors();
  std::vector<Command> commands = tools::SampleDirectoryCommands(world.today());
  for (const tools::ScenarioStep& step :
       tools::CareHomeScenario(tools::kSamplePatient, world.today())) {
    world.Submit(step.command);
    commands.push_back(step.command);
  }
  world.PublishSamplePlan(kSecondPatient);
  for (const Command& command : {
           testing::LedgerWorld::View(a.ambulance, careledger::v1::PLAN_VIEW_PUBLISHED, "",
                                      kSecondPatient),
           testing::LedgerWorld::Note(a.nhs111, "Called at 02:10, settled", kSecondPatient),
           testing::LedgerWorld::Request(a.patient, careledger::v1::PATIENT_REQUEST_KIND_CHANGE,
                                         kSecondPatient),
           testing::LedgerWorld::Restrict(a.gp, {a.gp.user_id()}, kSecondPatient),
           testing::LedgerWorld::View(a.nhs111, careledger::v1::PLAN_VIEW_PUBLISHED,
                                      "patient unconscious, no other record", kSecondPatient),
           testing::LedgerWorld::Lift(a.gp, kSecondPatient),
           testing::LedgerWorld::Review(a.gp, nullptr, kSecondPatient),
           testing::LedgerWorld::Withdraw(a.patient, kSecondPatient),
       }) {
    world.Submit(command);
    commands.push_back(command);
  }
  if (!world.writer().Checkpoint().ok()) std::cerr << "make_corpus: checkpoint failed\n";
  return commands;
}

void WriteCorpora(CorpusWriter& out) {
  testing::LedgerWorld world;
  const std::vector<Command> commands = RunWorld(world);
  for (std::size_t i = 0; i < commands.size(); ++i) {
    out.Write("command_json", fmt::format("command-{:02}.json", i), tools::ToJsonLine(commands[i]));
  }

  const std::vector<events::LogRecord> records = world.log().Records();
  std::map<std::int32_t, std::vector<const events::LogRecord*>> by_partition;
  std::map<std::string, int> per_kind;  // a few records of every event kind
  std::vector<std::string> patient_events;
  for (const events::LogRecord& record : records) {
    by_partition[record.partition].push_back(&record);
    absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(record.key, record.value);
    if (!opened.ok()) continue;
    const std::string kind =
        opened->event.GetDescriptor()->FindFieldByNumber(opened->event.body_case())->name();
    if (record.key == std::string("patient/") + kSecondPatient) {
      patient_events.push_back(opened->signed_event.event());
    }
    if (++per_kind[kind] > 3) continue;
    const std::string name = fmt::format("{}-{}", kind, per_kind[kind]);
    out.Write("envelope", name, EncodePiece(record.key) + EncodePiece(record.value));
    careledger::v1::EmbeddedRecord stored;
    stored.set_key(record.key);
    stored.set_value(record.value);
    out.Write("embedded_record", name,
              EncodePiece(ledger::RecordKey(record.partition, record.offset)) +
                  EncodePiece(events::SerializeDeterministic(stored)));
    if (opened->event.has_checkpoint()) {
      const careledger::v1::Checkpoint& checkpoint = opened->event.checkpoint();
      out.Write("checkpoint", name,
                std::string{static_cast<char>(checkpoint.partition()),
                            static_cast<char>(checkpoint.record_count() & 0xFF)} +
                    EncodePiece(events::SerializeDeterministic(checkpoint)));
    }
  }
  // Checkpoints that match the digest the checkpoint target builds.
  for (int count : {0, 1, 5, 40}) {
    events::PartitionDigest digest;
    for (int i = 0; i < count; ++i) digest.Add(i, events::Sha256(std::to_string(i)));
    out.Write("checkpoint", fmt::format("matching-{}", count),
              std::string{'\x01', static_cast<char>(count)} +
                  EncodePiece(events::SerializeDeterministic(digest.ToCheckpoint(1))));
  }

  // The second patient's stream as a fold sequence, whole and in prefixes.
  for (std::size_t end :
       {std::size_t{1}, std::size_t{3}, patient_events.size() / 2, patient_events.size()}) {
    std::string input;
    for (std::size_t i = 0; i < end && i < patient_events.size(); ++i) {
      input += EncodePiece(patient_events[i]);
    }
    out.Write("plan_fold", fmt::format("patient-first-{}", end), input);
  }

  // Each partition as a verifier input, whole and cut short, split in two
  // batches; and the kept checkpoints of the whole log.
  std::vector<events::PartitionDigest> digests;
  for (const auto& [partition, partition_records] : by_partition) {
    events::PartitionDigest digest;
    for (const events::LogRecord* record : partition_records) {
      digest.Add(record->offset, events::Sha256(record->value));
    }
    digests.push_back(digest);
    for (std::size_t end : {std::size_t{2}, std::min<std::size_t>(partition_records.size(), 64)}) {
      std::string input{static_cast<char>(end / 2)};
      for (std::size_t i = 0; i < end && i < partition_records.size(); ++i) {
        input += '\x01';
        input += EncodePiece(partition_records[i]->key) + EncodePiece(partition_records[i]->value);
      }
      out.Write("partition_verifier", fmt::format("partition-{}-first-{}", partition, end), input);
    }
  }
  out.Write("kept_checkpoints", "whole-log", tools::KeptCheckpointsJson("memory", digests).dump());
  out.Write("kept_checkpoints", "first-partition",
            tools::KeptCheckpointsJson("memory", {digests.front()}).dump(2));
  out.Write("kept_checkpoints", "empty-partition",
            tools::KeptCheckpointsJson("memory", {events::PartitionDigest{}}).dump());
}

}  // namespace
}  // namespace careledger::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_corpus <corpus dir>\n";
    return 2;
  }
  careledger::fuzz::CorpusWriter out{std::filesystem::path(argv[1])};
  careledger::fuzz::WriteCorpora(out);
  out.Report();
  return 0;
}
