// The auditors' workbench (issue 12): GET /audit/ and its static files.
// The page is a client of the /v1/audit API, which authenticates and
// records every query it makes; the files themselves are code, not data,
// and are served to anyone, with a strict Content-Security-Policy. They
// are read once at start (service/web_assets.h); without them /audit/
// answers 503 and the API works as before.
#include <spdlog/spdlog.h>

#include "service/internal/service_impl.h"
#include "service/web_assets.h"

namespace careledger::service {

void Service::Impl::AddWebRoutes() {
  absl::StatusOr<std::map<std::string, WebAsset>> loaded = LoadWebAssets(config.web_root);
  if (!loaded.ok()) {
    spdlog::warn("the auditors' web page is not served: {}",
                 std::string(loaded.status().message()));
  }
  auto assets = std::make_shared<const std::map<std::string, WebAsset>>(
      loaded.ok() ? *std::move(loaded) : std::map<std::string, WebAsset>{});
  server->Get("/audit", [](const httplib::Request&, httplib::Response& response) {
    response.set_redirect("/audit/", 301);
  });
  server->Get(
      R"(/audit/(.*))", [assets](const httplib::Request& request, httplib::Response& response) {
        if (assets->empty()) {
          return Problem(response, 503, "Web page not built",
                         "this service has no auditors' web page (see web/README.md)");
        }
        std::string path = request.path;
        if (path == "/audit/") path = "/audit/index.html";
        const auto found = assets->find(path);
        if (found == assets->end()) {
          return Problem(response, 404, "Not Found", "no such page or file under /audit/");
        }
        // Code, not data: may be kept, but checked again before use.
        response.headers.erase("Cache-Control");
        response.set_header("Cache-Control", "no-cache");
        response.set_header("Content-Security-Policy", std::string(kWebContentSecurityPolicy));
        response.set_header("X-Content-Type-Options", "nosniff");
        response.set_header("X-Frame-Options", "DENY");
        response.set_header("Referrer-Policy", "no-referrer");
        response.status = 200;
        response.set_content(found->second.body, found->second.content_type);
      });
}

}  // namespace careledger::service
