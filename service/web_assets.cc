#include "service/web_assets.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace careledger::service {

std::string WebContentType(std::string_view name) {
  const std::string extension = std::filesystem::path(name).extension().string();
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".js" || extension == ".mjs") return "text/javascript; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".png") return "image/png";
  if (extension == ".ico") return "image/x-icon";
  if (extension == ".json") return "application/json";
  return "";
}

absl::StatusOr<std::map<std::string, WebAsset>> LoadWebAssets(const std::string& root) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(std::filesystem::path(root) / "index.html", error)) {
    return absl::NotFoundError(
        fmt::format("no web page at {} (index.html): build the careledger_web target", root));
  }
  std::map<std::string, WebAsset> assets;
  for (auto it = std::filesystem::recursive_directory_iterator(root, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file()) continue;
    const std::string type = WebContentType(it->path().filename().string());
    if (type.empty()) continue;
    std::ifstream file(it->path(), std::ios::binary);
    std::ostringstream body;
    body << file.rdbuf();
    if (!file) return absl::UnavailableError(fmt::format("cannot read {}", it->path().string()));
    const std::string relative = std::filesystem::relative(it->path(), root).generic_string();
    assets["/audit/" + relative] = WebAsset{type, std::move(body).str()};
  }
  if (error) {
    return absl::UnavailableError(fmt::format("cannot list {}: {}", root, error.message()));
  }
  return assets;
}

}  // namespace careledger::service
