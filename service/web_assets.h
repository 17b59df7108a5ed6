// The auditors' workbench's static files (web/, issue 12), held in memory:
// read once from the asset directory the build fills (web/CMakeLists.txt),
// so that a request can only ever be answered with a file that was there
// at start, never a path it names.
#ifndef CARELEDGER_SERVICE_WEB_ASSETS_H_
#define CARELEDGER_SERVICE_WEB_ASSETS_H_

#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace careledger::service {

struct WebAsset {
  std::string content_type;  // e.g. "text/javascript; charset=utf-8"
  std::string body;
};

// The Content-Security-Policy every /audit/ answer carries: only this
// origin's scripts, styles, images and API; no inline script or style
// element, no frames, no plug-ins.
inline constexpr std::string_view kWebContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'";

// The content type of a file name by its extension; "" for one not served.
std::string WebContentType(std::string_view name);

// Every file under `root` whose type is served, keyed by its URL path
// (`/audit/` + its path under root). NOT_FOUND when root is not a directory
// or has no index.html; files of other types are left out.
absl::StatusOr<std::map<std::string, WebAsset>> LoadWebAssets(const std::string& root);

}  // namespace careledger::service

#endif  // CARELEDGER_SERVICE_WEB_ASSETS_H_
