// Who records a read (access/plan_read.h, ReadPlan): the writer, or a read
// replica's recorder (docs/replicas.md). Both decide a ViewPlan exactly as
// the writer does (ledger/decide.h) and answer only once its access record
// (granted, or the refusal) is durable on the log.
#ifndef CARELEDGER_ACCESS_READ_RECORDER_H_
#define CARELEDGER_ACCESS_READ_RECORDER_H_

#include "absl/status/statusor.h"
#include "careledger/v1/commands.pb.h"
#include "ledger/replica.h"
#include "ledger/writer.h"

namespace careledger::access {

class ReadRecorder {
 public:
  virtual ~ReadRecorder() = default;
  // Decides `command` and makes its access record durable; the writer's
  // CommandResult (the grant or the refusal, at the record's position).
  // Errors: nothing may be shown (UNAVAILABLE: the record may not be
  // durable; ABORTED: this appender was fenced); a replica answers
  // FAILED_PRECONDITION for anything but a read, appending nothing.
  virtual absl::StatusOr<careledger::v1::CommandResult> Submit(
      const careledger::v1::Command& command) = 0;
};

// The writer records (`careledger plan show`, `careledger serve`). Not owned.
class WriterRecorder : public ReadRecorder {
 public:
  explicit WriterRecorder(ledger::Writer& writer) : writer_(writer) {}
  absl::StatusOr<careledger::v1::CommandResult> Submit(
      const careledger::v1::Command& command) override {
    return writer_.Submit(command);
  }

 private:
  ledger::Writer& writer_;
};

// A read replica records, on its own stream access/<node>
// (`careledger serve --replica`). Not owned.
class ReplicaRecorder : public ReadRecorder {
 public:
  explicit ReplicaRecorder(ledger::Replica& replica) : replica_(replica) {}
  absl::StatusOr<careledger::v1::CommandResult> Submit(
      const careledger::v1::Command& command) override {
    return replica_.Submit(command);
  }

 private:
  ledger::Replica& replica_;
};

}  // namespace careledger::access

#endif  // CARELEDGER_ACCESS_READ_RECORDER_H_
