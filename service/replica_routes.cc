// A read replica's other routes (docs/replicas.md): it serves the plan read
// (plan_routes.cc) and the operational routes only. Every other /v1 route
// answers 421 Misdirected Request naming the writer's service; nothing is
// decided, recorded or appended (no credentials are needed to learn where
// the writer is).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "service/internal/service_impl.h"

namespace careledger::service {

void Service::Impl::Misdirected(httplib::Response& response) const {
  nlohmann::json problem;
  problem["type"] = "about:blank";
  problem["title"] = "Misdirected Request";
  problem["status"] = 421;
  problem["detail"] =
      config.writer_url.empty()
          ? fmt::format(
                "this is the read replica {}: it answers only GET "
                "/v1/patients/{{nhs}}/plan; send this request to the writer's service "
                "(this replica's writer_url is not configured)",
                config.replica_node)
          : fmt::format(
                "this is the read replica {}: it answers only GET "
                "/v1/patients/{{nhs}}/plan; send this request to the writer at {}",
                config.replica_node, config.writer_url);
  problem["writer_url"] = config.writer_url;
  response.status = 421;
  response.set_content(JsonText(problem), "application/problem+json");
}

void Service::Impl::AddMisdirectedRoutes() {
  // Registered after the routes a replica serves, which match first.
  const auto misdirected = [this](const httplib::Request&, httplib::Response& response) {
    Misdirected(response);
  };
  const std::string every_v1 = R"(/v1/.*)";
  server->Get(every_v1, misdirected);
  server->Post(every_v1, misdirected);
  server->Put(every_v1, misdirected);
  server->Patch(every_v1, misdirected);
  server->Delete(every_v1, misdirected);
  server->Options(every_v1, misdirected);
}

}  // namespace careledger::service
