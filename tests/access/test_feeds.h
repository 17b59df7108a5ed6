// Projection feeds for the access/ tests, over a LedgerWorld's log: one that
// runs the projector on the reading thread (as the CLI does), one that never
// moves (a projector that is down or far behind).
#ifndef CARELEDGER_TESTS_ACCESS_TEST_FEEDS_H_
#define CARELEDGER_TESTS_ACCESS_TEST_FEEDS_H_

#include <memory>
#include <string>

#include "access/plan_read.h"
#include "projections/projection_store.h"
#include "projections/projector.h"
#include "tests/ledger/ledger_world.h"

namespace careledger::access {

class CatchUpFeed : public ProjectionFeed {
 public:
  CatchUpFeed(careledger::testing::LedgerWorld& world, const std::string& dir) {
    store_ = *projections::ProjectionStore::Open(dir);
    reader_ = *world.log().OpenReader();
    projections::ProjectorOptions options;
    options.verify_threads = 2;
    projector_ = std::make_unique<projections::Projector>(reader_.get(), store_.get(),
                                                          &world.signer().keyring, options);
  }
  const projections::ProjectionStore& store() override { return *store_; }
  absl::Status Advance(absl::Time) override {
    ++advances;
    return projector_->CatchUp().status();
  }
  int advances = 0;

 private:
  std::unique_ptr<projections::ProjectionStore> store_;
  std::unique_ptr<ledger::LogReader> reader_;
  std::unique_ptr<projections::Projector> projector_;
};

class StalledFeed : public ProjectionFeed {
 public:
  explicit StalledFeed(const std::string& dir) {
    store_ = *projections::ProjectionStore::Open(dir);
  }
  const projections::ProjectionStore& store() override { return *store_; }
  absl::Status Advance(absl::Time) override { return absl::OkStatus(); }

 private:
  std::unique_ptr<projections::ProjectionStore> store_;
};

}  // namespace careledger::access

#endif  // CARELEDGER_TESTS_ACCESS_TEST_FEEDS_H_
