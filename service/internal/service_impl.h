// The service's parts, shared by the files that set up the server
// (service.cc) and those that answer its routes (*_routes.cc). Private to
// service/.
#ifndef CARELEDGER_SERVICE_INTERNAL_SERVICE_IMPL_H_
#define CARELEDGER_SERVICE_INTERNAL_SERVICE_IMPL_H_

#include <httplib.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "access/log_lookup.h"
#include "access/read_recorder.h"
#include "events/keyring.h"
#include "ledger/data_keys.h"
#include "ledger/log.h"
#include "ledger/replica.h"
#include "ledger/writer.h"
#include "service/alert_watch.h"
#include "service/authenticate.h"
#include "service/background_projection.h"
#include "service/config.h"
#include "service/metrics.h"
#include "service/service.h"

namespace careledger::service {

class Service::Impl {
 public:
  Impl() = default;
  ~Impl();
  ServeConfig config;
  std::unique_ptr<ledger::Log> log;
  // The writer; null on a read replica (`serve --replica`), which holds
  // `replica` instead (docs/replicas.md).
  std::unique_ptr<ledger::Writer> writer;
  std::unique_ptr<ledger::Replica> replica;
  // Who records reads: the writer, or the replica on its access/<node>.
  std::unique_ptr<access::ReadRecorder> recorder;
  // The writer's data key store, shared by every read of sealed plan events.
  std::shared_ptr<ledger::DataKeyStore> data_keys;
  // Where the writer's snapshots are (docs/snapshots.md).
  std::string snapshot_dir;
  std::unique_ptr<BackgroundProjection> projection;
  // Counts investigation alerts for /metrics; null when alert_scan_seconds is 0.
  std::unique_ptr<AlertWatch> alerts;
  std::unique_ptr<Authenticator> authenticator;
  std::unique_ptr<httplib::Server> server;
  std::string openapi;  // docs/openapi.json, embedded at build time
  // This ledger's name in audit exports (FHIR observer): the log's topic,
  // as `careledger audit export` names it.
  std::string ledger_name;
  // The public keys the log's records are verified with (`audit access`).
  std::unique_ptr<events::Keyring> keyring;
  Metrics metrics;
  // Set when the writer (or the replica's recorder) answered ABORTED:
  // another process took over.
  std::atomic<bool> fenced{false};
  // Takes a writer snapshot every kSnapshotInterval, so the next start-up
  // reads only the log after it (docs/snapshots.md); stopped first.
  std::jthread snapshots;

  bool is_replica() const { return !config.replica_node.empty(); }

  // How far the projection is behind: the time since it last reached the
  // log's end (infinite before it ever did), and whether that is beyond
  // config.ready_max_lag_seconds (always, when that is 0).
  struct Lag {
    absl::Duration behind;
    bool beyond_bound = false;
  };
  Lag ProjectionLag() const;

  // A read replica's answer to what it does not serve: 421 Misdirected
  // Request, a problem naming the writer's service (config.writer_url).
  // Nothing is decided or recorded.
  void Misdirected(httplib::Response& response) const;

  // Writes a writer snapshot; a failure is logged (the next start-up then
  // reads more of the log), never fatal.
  void TakeSnapshot(std::string_view why);

  // The signed record at a position (the receipt of a read).
  absl::StatusOr<std::string> RecordAt(std::int32_t partition, std::int64_t offset);
  // The log record (key and value) at a position.
  absl::StatusOr<events::LogRecord> LogRecordAt(std::int32_t partition, std::int64_t offset);

  // Routes: each registered on `server`.
  void AddOperationalRoutes();
  void AddPlanRoutes();
  void AddCommandRoutes();
  void AddWorklistRoutes();     // worklist_routes.cc
  void AddAuditRoutes();        // audit_routes.cc
  void AddAlertReviewRoutes();  // alert_review_routes.cc
  void AddCaseRoutes();         // case_routes.cc
  void AddProofRoute();         // proof_routes.cc
  void AddErasureRoutes();      // erasure_routes.cc
  void AddStatsRoutes();        // stats_routes.cc
  void AddMigrationRoutes();    // migration_routes.cc
  void AddIntegrityRoutes();    // integrity_routes.cc
  void AddWebRoutes();          // web_routes.cc: /audit/, the auditors' page
  // replica_routes.cc: on a read replica, every other /v1 route: 421.
  void AddMisdirectedRoutes();

  // For an audit route (audit_routes.cc): answers `status` when it is an
  // error, or the refusal when `recorded` is REJECTED, and returns true;
  // false when the query was granted and its answer is the route's to give.
  bool AuditAnswered(httplib::Response& response, const absl::Status& status,
                     const careledger::v1::CommandResult* recorded);
  // For a route about one record, /v1/audit/records/{partition}/{offset}...:
  // the position from the path, and `command` an AuditQuery (scope ACCESS)
  // with ?purpose= (required: 400), admitted (Admit). False when answered.
  bool AdmitRecordQuery(const httplib::Request& request, httplib::Response& response,
                        careledger::v1::EventPosition* position, careledger::v1::Command* command);
  // A lookup of single log records parked where the projection is now, so
  // that it reads little besides the records asked for.
  absl::StatusOr<access::LogLookup> ParkedLookup();

  // Who is calling, for `command` (its body and command id already set):
  // on success sets the command's actor to the caller's (keeping the
  // actor's purpose) and returns true. Otherwise answers `response` and
  // returns false: 401 for no verified token (nothing recorded); 403 for a
  // refused caller, after recording the refusal through the writer; 503
  // when that record could not be made.
  bool Admit(const httplib::Request& request, httplib::Response& response,
             careledger::v1::Command* command, auth::Caller* caller);
  // For a command route, after Admit: the Idempotency-Key header, if any,
  // becomes the command id, scoped to the caller ("<user>:<key>"), so that a
  // retry is answered with the first outcome (DUPLICATE) and recorded once.
  // False when answered (400: the key is too long).
  bool UseIdempotencyKey(const httplib::Request& request, httplib::Response& response,
                         const auth::Caller& caller, careledger::v1::Command* command);
  // Records `command` as refused, under `actor` with its role left unset so
  // that the ledger cannot but refuse it, and answers 403 with `reason` and
  // where the refusal was recorded (503 if it could not be).
  void RecordRefusal(httplib::Response& response, careledger::v1::Command command,
                     const careledger::v1::Actor& actor, const std::string& title,
                     const std::string& reason);

 private:
  std::mutex lookup_mutex_;
  std::mutex proof_mutex_;  // one proof (a whole read of the log) at a time
  std::optional<access::LogLookup> lookup_ ABSL_GUARDED_BY(lookup_mutex_);
};

// Where an access record (or a command's last event) is on the log.
nlohmann::json Position(const careledger::v1::CommandResult& result);
// The receipt of a recorded read or query: its Position and, when the
// writer returned it, the signed record itself (base64), which the caller
// can keep as a witness of the log's extent.
nlohmann::json Receipt(const careledger::v1::CommandResult& recorded);

// What the transport knows of the caller (client certificate, peer, headers).
Credentials CredentialsOf(const httplib::Request& request);

// JSON text of `document`; bytes that are not UTF-8 (echoed input) are
// replaced, never thrown on.
std::string JsonText(const nlohmann::json& document);
// Writes an RFC 9457 problem (application/problem+json).
void Problem(httplib::Response& response, int status, const std::string& title,
             const std::string& detail);
// ... with `access`: where on the log the refusal was recorded.
void ProblemAt(httplib::Response& response, int status, const std::string& title,
               const std::string& detail, const careledger::v1::CommandResult& access);
// Writes a JSON body, uncompressed: typed "application/json; charset=utf-8",
// which cpp-httplib 0.11 does not compress (it compresses a bare
// "application/json", with Brotli at its slowest quality whenever the
// client accepts br, as every browser does: 0.43 s of the service's CPU
// for a busy user's day of 380 kB, 11 s for 7.5 MB; docs/service.md).
void Json(httplib::Response& response, int status, const std::string& body);
// The HTTP status for a status the ledger or the log returned.
int HttpStatusOf(const absl::Status& status);

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_INTERNAL_SERVICE_IMPL_H_
