// GET /healthz, /readyz, /metrics and /v1/openapi.json.
#include <nlohmann/json.hpp>

#include "service/internal/service_impl.h"

namespace careledger::service {

void Service::Impl::AddOperationalRoutes() {
  // Alive: the process answers. Nothing else is checked.
  server->Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    Json(response, 200, R"({"status":"alive"})");
  });
  // Ready: the writer was not fenced, and the projector reached the log's
  // end recently (it reads the log, so this also says the log is reachable).
  server->Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    const ProjectionStatus status = projection->Status();
    nlohmann::json body;
    std::vector<std::string> problems;
    if (fenced.load()) problems.push_back("the writer was fenced by another writer");
    if (!status.last_error.empty()) problems.push_back("the log: " + status.last_error);
    const absl::Duration lag =
        status.caught_up_at ? absl::Now() - *status.caught_up_at : absl::InfiniteDuration();
    if (lag > absl::Seconds(config.ready_max_lag_seconds)) {
      problems.push_back("the projection is behind the log");
    }
    body["projection_lag_seconds"] = absl::ToDoubleSeconds(lag);
    body["writer_fenced"] = fenced.load();
    body["status"] = problems.empty() ? "ready" : "not ready";
    body["problems"] = problems;
    Json(response, problems.empty() ? 200 : 503, JsonText(body));
  });
  server->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    response.status = 200;
    response.set_content(metrics.Render(projection->Status(), writer->commit_stats()),
                         "text/plain; version=0.0.4; charset=utf-8");
  });
  server->Get("/v1/openapi.json", [this](const httplib::Request&, httplib::Response& response) {
    Json(response, 200, openapi);
  });
}

}  // namespace careledger::service
