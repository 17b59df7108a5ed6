// Proves the projection store's contracts: the fingerprint covers every
// family and depends only on content; a store of another schema version is
// refused; version keys list one patient's versions in numeric order; and
// progress (offsets, digests, every kind of stop) round-trips.
#include "projections/projection_store.h"

#include <gtest/gtest.h>

#include "careledger/v1/projection.pb.h"
#include "events/envelope.h"
#include "projections/internal/keys.h"
#include "projections/plan_queries.h"
#include "projections/progress.h"
#include "tests/support/test_support.h"

namespace careledger::projections {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;

class ProjectionStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<ProjectionStore> Open(const std::string& name) {
    absl::StatusOr<std::unique_ptr<ProjectionStore>> store = ProjectionStore::Open(dir_.Sub(name));
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }

  static events::Hash FingerprintOf(const ProjectionStore& store) {
    absl::StatusOr<events::Hash> fingerprint = store.Fingerprint();
    EXPECT_THAT(fingerprint, IsOk());
    return fingerprint.ok() ? *fingerprint : events::kZeroHash;
  }

  static absl::Status Put(ProjectionStore* store, StoreFamily family, std::string_view key,
                          std::string_view value) {
    StoreBatch batch;
    batch.Put(family, key, value);
    return store->Commit(batch);
  }

  careledger::testing::TempDir dir_;
};

TEST_F(ProjectionStoreTest, FingerprintCoversEveryFamilyAndOnlyContent) {
  std::unique_ptr<ProjectionStore> a = Open("a");
  std::unique_ptr<ProjectionStore> b = Open("b");
  EXPECT_EQ(FingerprintOf(*a), FingerprintOf(*b));

  // The same content written in another order and in other batches.
  StoreBatch both;
  both.Put(StoreFamily::kPlans, "1", "plan one");
  both.Put(StoreFamily::kVersions, "2", "version two");
  ASSERT_THAT(a->Commit(both), IsOk());
  ASSERT_THAT(Put(b.get(), StoreFamily::kVersions, "2", "version two"), IsOk());
  ASSERT_THAT(Put(b.get(), StoreFamily::kPlans, "1", "plan one"), IsOk());
  EXPECT_EQ(FingerprintOf(*a), FingerprintOf(*b));

  // A change in any family, key or value changes the fingerprint.
  const events::Hash before = FingerprintOf(*a);
  for (StoreFamily family :
       {StoreFamily::kPlans, StoreFamily::kVersions, StoreFamily::kDirectory,
        StoreFamily::kWorklist, StoreFamily::kReviewDue, StoreFamily::kHistory, StoreFamily::kAudit,
        StoreFamily::kAuditByPatient, StoreFamily::kAuditByUser, StoreFamily::kAuditByOrg,
        StoreFamily::kAuditSites, StoreFamily::kMeta}) {
    std::unique_ptr<ProjectionStore> changed =
        Open("changed-" + std::to_string(static_cast<int>(family)));
    ASSERT_THAT(changed->Commit(both), IsOk());
    ASSERT_THAT(Put(changed.get(), family, "extra", ""), IsOk());
    EXPECT_NE(FingerprintOf(*changed), before);
  }
  ASSERT_THAT(Put(b.get(), StoreFamily::kPlans, "1", "plan 1"), IsOk());
  EXPECT_NE(FingerprintOf(*b), before);

  // The same bytes under another family are another store.
  std::unique_ptr<ProjectionStore> moved = Open("moved");
  ASSERT_THAT(Put(moved.get(), StoreFamily::kPlans, "1", "plan one"), IsOk());
  ASSERT_THAT(Put(moved.get(), StoreFamily::kMeta, "2", "version two"), IsOk());
  EXPECT_NE(FingerprintOf(*moved), before);
}

TEST_F(ProjectionStoreTest, ScanRangeReadsBetweenBoundsInEitherOrderAndMultiGetReadsMany) {
  std::unique_ptr<ProjectionStore> store = Open("store");
  StoreBatch batch;
  for (const char* key : {"a", "b1", "b2", "b3", "c"}) batch.Put(StoreFamily::kAudit, key, key);
  ASSERT_THAT(store->Commit(batch), IsOk());
  auto scan = [&](std::string_view lower, std::string_view upper, bool reverse, std::size_t limit) {
    std::vector<std::string> keys;
    EXPECT_THAT(store->ScanRange(StoreFamily::kAudit, lower, upper, reverse,
                                 [&](std::string_view key, std::string_view value) {
                                   EXPECT_EQ(key, value);
                                   keys.emplace_back(key);
                                   return keys.size() < limit;
                                 }),
                IsOk());
    return keys;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(scan("b", "c", false, 10), (V{"b1", "b2", "b3"}));
  EXPECT_EQ(scan("b", "c", true, 10), (V{"b3", "b2", "b1"}));
  EXPECT_EQ(scan("b2", "", false, 10), (V{"b2", "b3", "c"}));
  EXPECT_EQ(scan("", "b2", true, 10), (V{"b1", "a"}));
  EXPECT_EQ(scan("", "", false, 2), (V{"a", "b1"}));
  EXPECT_EQ(scan("c", "b", false, 10), V{});

  CL_ASSERT_OK_AND_ASSIGN(auto values, store->MultiGet(StoreFamily::kAudit, {"c", "x", "a"}));
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0], "c");
  EXPECT_FALSE(values[1].has_value());
  EXPECT_EQ(values[2], "a");
}

TEST_F(ProjectionStoreTest, DeleteRemovesAndReopenKeepsContent) {
  {
    std::unique_ptr<ProjectionStore> store = Open("store");
    StoreBatch batch;
    batch.Put(StoreFamily::kPlans, "keep", "1");
    batch.Put(StoreFamily::kPlans, "drop", "2");
    ASSERT_THAT(store->Commit(batch), IsOk());
    StoreBatch deletion;
    deletion.Delete(StoreFamily::kPlans, "drop");
    ASSERT_THAT(store->Commit(deletion), IsOk());
  }
  std::unique_ptr<ProjectionStore> store = Open("store");
  CL_ASSERT_OK_AND_ASSIGN(std::optional<std::string> kept, store->Get(StoreFamily::kPlans, "keep"));
  EXPECT_EQ(kept, "1");
  CL_ASSERT_OK_AND_ASSIGN(std::optional<std::string> dropped,
                          store->Get(StoreFamily::kPlans, "drop"));
  EXPECT_FALSE(dropped.has_value());
}

TEST_F(ProjectionStoreTest, RefusesAStoreOfAnotherSchemaVersion) {
  {
    std::unique_ptr<ProjectionStore> store = Open("store");
    careledger::v1::ProjectionSchema schema;
    schema.set_version(kProjectionSchemaVersion + 1);
    ASSERT_THAT(Put(store.get(), StoreFamily::kMeta, internal::kSchemaKey,
                    events::SerializeDeterministic(schema)),
                IsOk());
  }
  EXPECT_THAT(ProjectionStore::Open(dir_.Sub("store")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ProjectionStoreTest, SecondOpenOfTheSameStoreIsRefused) {
  std::unique_ptr<ProjectionStore> store = Open("store");
  EXPECT_THAT(ProjectionStore::Open(dir_.Sub("store")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ProjectionStoreTest, VersionsListInNumericOrderForOnePatientOnly) {
  std::unique_ptr<ProjectionStore> store = Open("store");
  StoreBatch batch;
  // 300 versions (past one byte) written out of order, and a patient whose
  // number extends this one's.
  for (std::uint64_t version = 300; version >= 1; --version) {
    careledger::v1::PublishedVersion published;
    published.set_nhs_number("999000001");
    published.set_version(version);
    batch.Put(StoreFamily::kVersions, internal::VersionKey("999000001", version),
              events::SerializeDeterministic(published));
  }
  careledger::v1::PublishedVersion longer;
  longer.set_nhs_number("9990000018");
  longer.set_version(1);
  batch.Put(StoreFamily::kVersions, internal::VersionKey("9990000018", 1),
            events::SerializeDeterministic(longer));
  ASSERT_THAT(store->Commit(batch), IsOk());

  PlanQueries queries(store.get());
  CL_ASSERT_OK_AND_ASSIGN(std::vector<careledger::v1::PublishedVersion> versions,
                          queries.ListVersions("999000001"));
  ASSERT_EQ(versions.size(), 300u);
  for (std::uint64_t i = 0; i < versions.size(); ++i) {
    EXPECT_EQ(versions[i].version(), i + 1);
    EXPECT_EQ(versions[i].nhs_number(), "999000001");
  }
  CL_ASSERT_OK_AND_ASSIGN(versions, queries.ListVersions("9990000018"));
  EXPECT_EQ(versions.size(), 1u);
}

TEST_F(ProjectionStoreTest, ProgressRoundTripsEveryKindOfStop) {
  std::unique_ptr<ProjectionStore> store = Open("store");
  std::vector<std::optional<events::FailureKind>> kinds = {std::nullopt};
  for (int k = 0; k <= static_cast<int>(events::FailureKind::kCheckpointMismatch); ++k) {
    kinds.push_back(static_cast<events::FailureKind>(k));
  }
  const auto count = static_cast<std::int32_t>(kinds.size());
  StoreBatch batch;
  PutPartitionCount(count, &batch);
  std::vector<PartitionProgress> written;
  for (std::int32_t p = 0; p < count; ++p) {
    PartitionProgress progress;
    progress.partition = p;
    progress.next_offset = 100 + p;
    progress.digest.Add(99 + p, events::Sha256(std::to_string(p)));
    progress.stop = PartitionStop{p, 100 + p, "patient/" + std::to_string(p), kinds[p],
                                  "why " + std::to_string(p)};
    PutProgress(progress, &batch);
    written.push_back(progress);
  }
  PutStreamHead("patient/1", events::StreamHead{7, events::Sha256("seven")}, &batch);
  ASSERT_THAT(store->Commit(batch), IsOk());

  CL_ASSERT_OK_AND_ASSIGN(std::vector<PartitionProgress> read, ReadProgress(*store, count));
  EXPECT_EQ(read, written);
  CL_ASSERT_OK_AND_ASSIGN(std::vector<std::int64_t> offsets, ReadOffsets(*store));
  ASSERT_EQ(offsets.size(), kinds.size());
  EXPECT_EQ(offsets[3], 103);
  CL_ASSERT_OK_AND_ASSIGN(std::vector<PartitionStop> stops, ReadStops(*store));
  EXPECT_EQ(stops.size(), kinds.size());
  EXPECT_EQ(stops[0].KindName(), kInconsistentEventKind);
  EXPECT_EQ(stops[1].KindName(), "malformed");
  CL_ASSERT_OK_AND_ASSIGN(events::StreamHead head, ReadStreamHead(*store, "patient/1"));
  EXPECT_EQ(head, (events::StreamHead{7, events::Sha256("seven")}));
  CL_ASSERT_OK_AND_ASSIGN(events::StreamHead none, ReadStreamHead(*store, "patient/2"));
  EXPECT_EQ(none, events::StreamHead{});
}

}  // namespace
}  // namespace careledger::projections
