// LoadWebAssets (service/web_assets.h): the web page's files by URL path,
// with their content types; only files of served types, read once.
#include "service/web_assets.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_support.h"

namespace careledger::service {
namespace {

using careledger::testing::StatusIs;
using careledger::testing::TempDir;

void Write(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::filesystem::path path = dir.path() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(WebAssetsTest, ServedFilesAreKeyedByTheirUrlWithTheirTypes) {
  TempDir dir;
  Write(dir, "index.html", "<!DOCTYPE html>");
  Write(dir, "app.js", "export {};");
  Write(dir, "nhsuk/nhsuk-frontend.min.css", "body{}");
  Write(dir, "assets/images/favicon.svg", "<svg/>");
  Write(dir, "notes.txt", "not served");
  Write(dir, "build.sh", "rm -rf /");
  absl::StatusOr<std::map<std::string, WebAsset>> assets = LoadWebAssets(dir.path().string());
  ASSERT_TRUE(assets.ok()) << assets.status();
  EXPECT_EQ(assets->size(), 4u);
  EXPECT_EQ(assets->at("/audit/index.html").content_type, "text/html; charset=utf-8");
  EXPECT_EQ(assets->at("/audit/index.html").body, "<!DOCTYPE html>");
  EXPECT_EQ(assets->at("/audit/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(assets->at("/audit/nhsuk/nhsuk-frontend.min.css").content_type,
            "text/css; charset=utf-8");
  EXPECT_EQ(assets->at("/audit/assets/images/favicon.svg").content_type, "image/svg+xml");
  EXPECT_FALSE(assets->contains("/audit/notes.txt"));
  EXPECT_FALSE(assets->contains("/audit/build.sh"));
}

TEST(WebAssetsTest, ADirectoryWithoutAPageIsNotFound) {
  TempDir dir;
  Write(dir, "app.js", "export {};");
  EXPECT_THAT(LoadWebAssets(dir.path().string()).status(), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LoadWebAssets(dir.Sub("missing")).status(), StatusIs(absl::StatusCode::kNotFound));
}

TEST(WebAssetsTest, ThePolicyAllowsNoInlineScriptAndNoOtherOrigin) {
  const std::string policy(kWebContentSecurityPolicy);
  EXPECT_NE(policy.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(policy.find("script-src 'self';"), std::string::npos);
  EXPECT_EQ(policy.find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(policy.find("http"), std::string::npos);
}

}  // namespace
}  // namespace careledger::service
