// GET /healthz, /readyz, /metrics and /v1/openapi.json.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "service/internal/service_impl.h"

namespace careledger::service {

Service::Impl::Lag Service::Impl::ProjectionLag() const {
  const ProjectionStatus status = projection->Status();
  Lag lag;
  lag.behind = status.caught_up_at ? absl::Now() - *status.caught_up_at : absl::InfiniteDuration();
  lag.beyond_bound =
      config.ready_max_lag_seconds == 0 || lag.behind > absl::Seconds(config.ready_max_lag_seconds);
  return lag;
}

void Service::Impl::AddOperationalRoutes() {
  // Alive: the process answers. Nothing else is checked.
  server->Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    Json(response, 200, R"({"status":"alive"})");
  });
  // Ready: the writer (a replica: its recorder) was not fenced, and the
  // projector reached the log's end recently (it reads the log, so this
  // also says the log is reachable). A replica beyond the bound also
  // refuses reads (plan_routes.cc).
  server->Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    const ProjectionStatus status = projection->Status();
    nlohmann::json body;
    std::vector<std::string> problems;
    if (fenced.load()) {
      problems.push_back(is_replica() ? "another process of this replica node took over its stream"
                                      : "the writer was fenced by another writer");
    }
    if (!status.last_error.empty()) problems.push_back("the log: " + status.last_error);
    const Lag lag = ProjectionLag();
    if (lag.beyond_bound) {
      problems.push_back(fmt::format("the projection is behind the log (bound: {} s)",
                                     config.ready_max_lag_seconds));
    }
    body["projection_lag_seconds"] = absl::ToDoubleSeconds(lag.behind);
    body["writer_fenced"] = fenced.load();
    if (is_replica()) body["replica_node"] = config.replica_node;
    body["status"] = problems.empty() ? "ready" : "not ready";
    body["problems"] = problems;
    Json(response, problems.empty() ? 200 : 503, JsonText(body));
  });
  server->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.status = 200;
    response.set_content(metrics.Render(projection->Status(),
                                        writer ? writer->commit_stats() : ledger::CommitStats{}),
                         "text/plain; version=0.0.4; charset=utf-8");
  });
  server->Get("/v1/openapi.json", [this](const httplib::Request&, httplib::Response& response) {
    Json(response, 200, openapi);
  });
}

}  // namespace careledger::service
