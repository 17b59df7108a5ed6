// `careledger serve`: one process that owns the log's writer, follows the
// log into its projection on a background thread, and answers HTTPS.
//
// It adds transport and authentication only: reads are decided and
// recorded by access::ReadPlan (access/plan_read.h) and the ledger; the
// caller is who the credentials say (service/authenticate.h).
//
// Lifecycle: Open (writer recovered, projection caught up), Bind (the port
// is known), Serve (blocks until Stop), Stop (from another thread: stops
// accepting, lets in-flight requests finish; then Serve returns and the
// projector and the writer are closed by the destructor).
#ifndef CARELEDGER_SERVICE_SERVICE_H_
#define CARELEDGER_SERVICE_SERVICE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/config.h"
#include "tools/context.h"

namespace careledger::service {

class Service {
 public:
  // Opens the log and the writer (exit 4 class errors pass through), the
  // projection, TLS material and the token file. FAILED_PRECONDITION for a
  // missing certificate or key, naming the path and the configuration key.
  static absl::StatusOr<std::unique_ptr<Service>> Open(const tools::Context& context,
                                                       const ServeConfig& config);
  ~Service();

  // Binds the listening socket; returns the port (the chosen one for 0).
  absl::StatusOr<int> Bind();
  // "https://host:port" or "http://host:port".
  std::string Url(int port) const;
  // Answers requests until Stop(); returns once in-flight requests are done.
  absl::Status Serve();
  void Stop();

  class Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_SERVICE_H_
