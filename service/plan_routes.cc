// GET /v1/patients/{nhs}/plan: a read of a patient's plan, recorded before
// it returns (access::ReadPlan) by the writer, or on a read replica by the
// replica on its own stream access/<node> (docs/replicas.md). The caller
// is who the credentials say; the purpose of use is a required query
// parameter.
#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "access/london_time.h"
#include "access/plan_as_of.h"
#include "access/plan_read.h"
#include "events/envelope.h"
#include "events/format.h"
#include "events/ids.h"
#include "events/sealed_body.h"
#include "events/time_util.h"
#include "ledger/nhs_number.h"
#include "service/internal/service_impl.h"
#include "tools/output.h"
#include "tools/plan_as_of_view.h"

namespace careledger::service {
namespace {

using careledger::v1::Command;

// The view asked for: published (default), version (with version=N), draft
// or history. The ledger decides who may see which; a refused view is
// recorded like any refused read.
absl::Status ParseView(const httplib::Request& request, careledger::v1::ViewPlan* view) {
  const std::string name =
      request.has_param("view") ? request.get_param_value("view") : std::string("published");
  static const std::map<std::string, careledger::v1::PlanView> kViews = {
      {"published", careledger::v1::PLAN_VIEW_PUBLISHED},
      {"version", careledger::v1::PLAN_VIEW_VERSION},
      {"draft", careledger::v1::PLAN_VIEW_DRAFT},
      {"history", careledger::v1::PLAN_VIEW_HISTORY}};
  const auto found = kViews.find(name);
  if (found == kViews.end()) {
    return absl::InvalidArgumentError("view must be published, version, draft or history");
  }
  view->set_view(found->second);
  const std::string version = request.get_param_value("version");
  if (found->second == careledger::v1::PLAN_VIEW_VERSION || !version.empty()) {
    std::uint64_t number = 0;
    const auto [end, error] =
        std::from_chars(version.data(), version.data() + version.size(), number);
    if (found->second != careledger::v1::PLAN_VIEW_VERSION || error != std::errc() ||
        end != version.data() + version.size() || number == 0) {
      return absl::InvalidArgumentError(
          "version=N (1, 2, ...) goes with view=version, and only there");
    }
    view->set_version(number);
  }
  return absl::OkStatus();
}

// A refused read's answer, after its DENIED record is durable: 404 when no
// plan exists (the probe is recorded), else 403 with the ledger's reason.
void AnswerRefusedRead(httplib::Response& response, const careledger::v1::CommandResult& access) {
  access::PlanReadOutcome refused;
  refused.access = access;
  const bool no_plan = refused.refusal() == access::Refusal::kNoPlan;
  ProblemAt(response, no_plan ? 404 : 403, no_plan ? "No care plan" : "Read refused",
            access.error(), access);
}

// A point-in-time read's stream records, read back from the log
// (Service::Impl::RecordAt) and verified: the position's value hash and the
// signature against the keyring the projector trusts.
class LoggedStreamRecords : public access::StreamRecords {
 public:
  LoggedStreamRecords(Service::Impl* impl, std::string stream, const events::Keyring* keyring)
      : impl_(impl), stream_(std::move(stream)), keyring_(keyring) {}

  absl::StatusOr<events::OpenedRecord> ReadVerified(
      const careledger::v1::EventPosition& position) override {
    absl::StatusOr<std::string> value = impl_->RecordAt(position.partition(), position.offset());
    if (!value.ok()) return value.status();
    absl::StatusOr<events::OpenedRecord> opened = events::OpenRecord(stream_, *value);
    if (!opened.ok() || (!position.value_hash().empty() &&
                         events::HashBytes(opened->value_hash) != position.value_hash())) {
      return absl::DataLossError(
          fmt::format("partition {} offset {}: not the record of {} the projection holds there",
                      position.partition(), position.offset(), stream_));
    }
    if (absl::Status signature = events::VerifySignature(*opened, *keyring_); !signature.ok()) {
      return absl::DataLossError(fmt::format("partition {} offset {}: {}", position.partition(),
                                             position.offset(), signature.message()));
    }
    if (absl::StatusOr<events::SealedContent> content =
            events::OpenSealedContent(impl_->data_keys.get(), &opened->event);
        !content.ok()) {
      return absl::DataLossError(fmt::format("partition {} offset {}: {}", position.partition(),
                                             position.offset(), content.status().message()));
    }
    return opened;
  }

 private:
  Service::Impl* impl_;
  std::string stream_;
  const events::Keyring* keyring_;
};

// ?as_of=TIME (London time or with an offset, access/london_time.h): not in
// the future, and with no view (a point-in-time read is a history read).
absl::Status ParseAsOf(const httplib::Request& request, careledger::v1::ViewPlan* view) {
  if (request.has_param("view") || request.has_param("version")) {
    return absl::InvalidArgumentError("as_of shows the whole plan as it was: give no view");
  }
  absl::StatusOr<absl::Time> as_of = access::ParseLondonTime(request.get_param_value("as_of"));
  if (!as_of.ok()) return as_of.status();
  if (*as_of > absl::Now()) return absl::InvalidArgumentError("as_of is in the future");
  *view->mutable_as_of() = events::ToTimestamp(*as_of);
  return absl::OkStatus();
}

}  // namespace

void Service::Impl::AddPlanRoutes() {
  server->Get(R"(/v1/patients/([^/]+)/plan)", [this](const httplib::Request& request,
                                                     httplib::Response& response) {
    const std::string nhs_number = ledger::NhsNumberAsEntered(request.matches[1].str());
    if (absl::Status valid = ledger::ValidateNhsNumber(nhs_number); !valid.ok()) {
      return Problem(response, 400, "Invalid NHS number", std::string(valid.message()));
    }
    const std::string purpose = request.get_param_value("purpose");
    if (purpose.empty()) {
      return Problem(response, 400, "Purpose of use required",
                     "every read names its purpose of use: ?purpose=...");
    }
    Command command;
    careledger::v1::ViewPlan* view = command.mutable_view_plan();
    view->set_nhs_number(nhs_number);
    const bool as_of = request.has_param("as_of");
    // A point-in-time read folds the signed log: the writer's service.
    if (as_of && is_replica()) return Misdirected(response);
    if (as_of) {
      if (absl::Status parsed = ParseAsOf(request, view); !parsed.ok()) {
        return Problem(response, 400, "Bad as_of", std::string(parsed.message()));
      }
    } else if (absl::Status parsed = ParseView(request, view); !parsed.ok()) {
      return Problem(response, 400, "Bad view", std::string(parsed.message()));
    }
    view->set_break_glass_reason(request.get_param_value("break_glass_reason"));
    command.set_command_id(events::RandomUuid());
    command.mutable_actor()->set_purpose(purpose);
    // A replica whose projection is beyond the lag bound serves no plan
    // that may be stale: it refuses before deciding anything, so nothing
    // is recorded (or shown), and the answer says so (docs/replicas.md).
    if (is_replica()) {
      if (const Lag lag = ProjectionLag(); lag.beyond_bound) {
        return Problem(
            response, 503, "Replica behind the log",
            fmt::format("this read replica's projection last reached the log's end {:.1f} s ago "
                        "(bound: {} s); the read was not recorded and nothing is shown: try "
                        "another replica or the writer",
                        absl::ToDoubleSeconds(lag.behind), config.ready_max_lag_seconds));
      }
    }
    auth::Caller caller;
    if (!Admit(request, response, &command, &caller)) return;

    const absl::Time deadline = absl::Now() + absl::Milliseconds(config.read_deadline_ms);
    if (as_of) {
      // The point-in-time read (access/plan_as_of.h): recorded as a history
      // read naming its instant, then folded from the signed log.
      LoggedStreamRecords records(this, fmt::format("patient/{}", nhs_number),
                                  &projection->keyring());
      absl::StatusOr<access::PlanAsOfOutcome> outcome =
          access::ReadPlanAsOf(*writer, command, *projection, records, deadline);
      if (!outcome.ok()) {
        if (absl::IsAborted(outcome.status())) fenced = true;
        metrics.CountWriterOutcome("failed");
        return Problem(response, HttpStatusOf(outcome.status()), "Read not completed",
                       std::string(outcome.status().message()));
      }
      const careledger::v1::CommandResult& access = outcome->access;
      if (!outcome->granted()) {
        metrics.CountWriterOutcome("rejected");
        return AnswerRefusedRead(response, access);  // the same refusals as a plain read
      }
      metrics.CountWriterOutcome("applied");
      nlohmann::json body = tools::PlanAsOfJson(*outcome->answer);
      body["nhs_number"] = nhs_number;
      nlohmann::json receipt = Receipt(access);
      receipt["break_glass"] = access.view().break_glass();
      body["access"] = std::move(receipt);
      // 200 with existed=false when the plan did not exist yet at as_of.
      return Json(response, 200, JsonText(body));
    }
    absl::StatusOr<access::PlanReadOutcome> outcome =
        access::ReadPlan(*recorder, command, *projection, deadline);
    if (!outcome.ok()) {
      if (absl::IsAborted(outcome.status())) fenced = true;
      // DATA_LOSS: the projection's content is not what the ledger recorded.
      if (absl::IsDataLoss(outcome.status())) metrics.CountVerificationFailure("read");
      metrics.CountWriterOutcome("failed");
      // Nothing is shown: the record may not be durable, or the content
      // could not be brought to what the record names.
      return Problem(response, HttpStatusOf(outcome.status()), "Read not completed",
                     std::string(outcome.status().message()));
    }
    const careledger::v1::CommandResult& access = outcome->access;
    if (!outcome->granted()) {
      metrics.CountWriterOutcome("rejected");
      return AnswerRefusedRead(response, access);
    }
    metrics.CountWriterOutcome("applied");
    // The writer hands back the record it appended; only a duplicate's
    // answer (a retried command id) is read back from the log.
    absl::StatusOr<std::string> record = access.record().empty()
                                             ? RecordAt(access.partition(), access.offset())
                                             : absl::StatusOr<std::string>(access.record());
    if (!record.ok()) {
      return Problem(
          response, 503, "Receipt unavailable",
          fmt::format("the read is recorded at partition {} offset {}, but its record "
                      "could not be read back: {}",
                      access.partition(), access.offset(), std::string(record.status().message())));
    }
    const access::PlanRead& read = *outcome->read;
    nlohmann::json body;
    body["nhs_number"] = read.nhs_number;
    body["view"] = careledger::v1::PlanView_Name(access.view().view());
    body["version"] = access.view().version();
    body["content_hash"] = absl::BytesToHexString(access.view().content_hash());
    body["status"] = careledger::v1::PlanStatus_Name(read.status);
    body["plan"] = nlohmann::json::parse(tools::ToJsonLine(read.content));
    body["state"] = nlohmann::json::parse(tools::ToJsonLine(read.shown_state));
    if (access.view().view() == careledger::v1::PLAN_VIEW_HISTORY) {
      nlohmann::json entries = nlohmann::json::array();
      for (const auto& entry : read.history) {
        entries.push_back(nlohmann::json::parse(tools::ToJsonLine(entry)));
      }
      body["history"] = std::move(entries);
    }
    nlohmann::json receipt = Position(access);
    receipt["break_glass"] = access.view().break_glass();
    receipt["record"] = absl::Base64Escape(*record);
    body["access"] = std::move(receipt);
    Json(response, 200, JsonText(body));
  });
}

}  // namespace careledger::service
