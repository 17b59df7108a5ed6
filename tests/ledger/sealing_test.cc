// Proves sealed bodies and erasure by crypto-shredding (docs/envelope.md
// "Sealed bodies", docs/governance.md "Erasure"), on real parts: AES-256-GCM
// through OpenSSL, the RocksDB data key store, the writer, its recovery, the
// log scan and the projector.
//
//   - a sealed body opens only under its key and at its own place (aad);
//   - the key store wraps keys under a private master key, refuses one others
//     may read, and after Destroy no SST/WAL file holds the wrapped key while
//     another patient's still does;
//   - the writer seals plan events (no clinical string in the log's bytes),
//     leaves access records in clear, and recovers from a sealed log;
//   - a log written before sealing (version 1) followed by sealed events
//     still verifies and projects, both patients whole;
//   - an erasure: only the CMC team, recorded before the key goes, refused
//     twice and for an unknown patient; then the erased patient projects as
//     erased (counted, never skipped) while the other stays whole, and the
//     whole log still verifies;
//   - a changed sealed body fails verification at its position.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "events/aes_gcm.h"
#include "events/envelope.h"
#include "events/failure.h"
#include "events/sealed_body.h"
#include "events/sha256.h"
#include "ledger/data_keys.h"
#include "ledger/log_scan.h"
#include "projections/erasure_purge.h"
#include "projections/plan_queries.h"
#include "projections/projection_store.h"
#include "projections/projector.h"
#include "tests/ledger/ledger_world.h"
#include "tests/support/test_support.h"

namespace careledger::testing {
namespace {

using careledger::v1::Event;

constexpr char kOther[] = "9990000026";  // a second patient

std::string Stream(const std::string& nhs) { return "patient/" + nhs; }

// Every file under `dir`, concatenated.
std::string AllBytes(const std::string& dir) {
  std::string bytes;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary | std::ios::ate);
    const std::streamsize size = in.tellg();
    if (size <= 0) continue;
    std::string chunk(static_cast<std::size_t>(size), '\0');
    in.seekg(0);
    in.read(chunk.data(), size);
    bytes += chunk;
  }
  return bytes;
}

// The stored (wrapped) value of `stream_id`'s key, read straight from RocksDB.
std::string StoredValue(const std::string& dir, const std::string& stream_id) {
  rocksdb::DB* db = nullptr;
  rocksdb::Options options;
  EXPECT_TRUE(rocksdb::DB::OpenForReadOnly(options, dir + "/store", &db).ok());
  std::string value;
  if (db != nullptr) {
    EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), ledger::DataKeyIndex(stream_id), &value).ok());
    delete db;
  }
  return value;
}

TEST(AesGcmTest, OpensOnlyWithTheSameKeyAndAad) {
  const events::AesKey key = events::RandomAesKey();
  CL_ASSERT_OK_AND_ASSIGN(events::GcmSealed sealed, events::AesGcmSeal(key, "DNACPR", "aad"));
  EXPECT_EQ(sealed.nonce.size(), events::kGcmNonceSize);
  EXPECT_EQ(sealed.ciphertext_and_tag.size(), 6 + events::kGcmTagSize);
  CL_ASSERT_OK_AND_ASSIGN(std::string plain,
                          events::AesGcmOpen(key, sealed.nonce, sealed.ciphertext_and_tag, "aad"));
  EXPECT_EQ(plain, "DNACPR");
  EXPECT_THAT(events::AesGcmOpen(key, sealed.nonce, sealed.ciphertext_and_tag, "other"),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(
      events::AesGcmOpen(events::RandomAesKey(), sealed.nonce, sealed.ciphertext_and_tag, "aad"),
      StatusIs(absl::StatusCode::kDataLoss));
  std::string changed = sealed.ciphertext_and_tag;
  changed[0] ^= 1;
  EXPECT_THAT(events::AesGcmOpen(key, sealed.nonce, changed, "aad"),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(SealedBodyTest, SealsTheWholeBodyAndKeepsOnlyTheClearFacts) {
  TempDir dir;
  CL_ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<ledger::DataKeyStore> keys,
      ledger::DataKeyStore::Open(dir.Sub("keys"), ledger::DataKeyMode::kCreate));
  CL_ASSERT_OK_AND_ASSIGN(events::AesKey key, keys->FindOrCreate(Stream(kOther)));
  Event event;
  event.set_stream_id(Stream(kOther));
  event.set_stream_seq(3);
  careledger::v1::Demographics* who =
      event.mutable_plan_section_updated()->mutable_value()->mutable_demographics();
  who->set_given_name("Winifred");
  who->set_address("7 Sealed Street");
  const Event whole = event;
  ASSERT_THAT(events::SealContent(key, &event), IsOk());
  EXPECT_TRUE(event.has_sealed_body());
  EXPECT_TRUE(event.plan_section_updated().value().has_demographics());  // which section: clear
  EXPECT_EQ(event.plan_section_updated().value().demographics().ByteSizeLong(), 0u);
  EXPECT_EQ(events::SerializeDeterministic(event).find("Winifred"), std::string::npos);

  // Moved to another place in the stream, it does not open (aad).
  Event moved = event;
  moved.set_stream_seq(4);
  EXPECT_THAT(events::OpenSealedContent(keys.get(), &moved),
              FailsWith(events::FailureKind::kMalformed));
  CL_ASSERT_OK_AND_ASSIGN(events::SealedContent opened,
                          events::OpenSealedContent(keys.get(), &event));
  EXPECT_EQ(opened, events::SealedContent::kOpened);
  EXPECT_EQ(events::SerializeDeterministic(event), events::SerializeDeterministic(whole));
  // Without a store a sealed event is an error, never silently empty.
  Event again = whole;
  ASSERT_THAT(events::SealContent(key, &again), IsOk());
  EXPECT_THAT(events::OpenSealedContent(nullptr, &again),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(DataKeyStoreTest, NewKeysAreSyncedTogetherAndKeptAcrossAReopen) {
  TempDir dir;
  const std::string path = dir.Sub("keys");
  events::AesKey made{};
  {
    CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::DataKeyStore> keys,
                            ledger::DataKeyStore::Open(path, ledger::DataKeyMode::kCreate));
    EXPECT_THAT(keys->SyncNewKeys(), IsOk()) << "nothing to sync is not an error";
    CL_ASSERT_OK_AND_ASSIGN(made, keys->FindOrCreate(Stream(tools::kSamplePatient)));
    ASSERT_THAT(keys->FindOrCreate(Stream(kOther)), IsOk());
    CL_ASSERT_OK_AND_ASSIGN(events::AesKey again,
                            keys->FindOrCreate(Stream(tools::kSamplePatient)));
    EXPECT_EQ(again, made) << "a patient has one key, made once";
    ASSERT_THAT(keys->SyncNewKeys(), IsOk());
    EXPECT_THAT(keys->SyncNewKeys(), IsOk());
  }
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::DataKeyStore> reopened,
                          ledger::DataKeyStore::Open(path, ledger::DataKeyMode::kOpen));
  CL_ASSERT_OK_AND_ASSIGN(std::optional<events::AesKey> found,
                          reopened->Find(Stream(tools::kSamplePatient)));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, made);
}

// A read replica beside the writer (docs/replicas.md): a read-only store
// opened while the owner runs finds the keys the owner makes afterwards,
// and never makes one itself.
TEST(DataKeyStoreTest, AReadOnlyStoreFindsKeysTheOwnerMadeAfterItOpened) {
  TempDir dir;
  const std::string path = dir.Sub("keys");
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::DataKeyStore> owner,
                          ledger::DataKeyStore::Open(path, ledger::DataKeyMode::kCreate));
  CL_ASSERT_OK_AND_ASSIGN(events::AesKey first, owner->FindOrCreate(Stream(kOther)));
  ASSERT_THAT(owner->SyncNewKeys(), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::DataKeyStore> reader,
                          ledger::DataKeyStore::Open(path, ledger::DataKeyMode::kReadOnly));
  CL_ASSERT_OK_AND_ASSIGN(std::optional<events::AesKey> found, reader->Find(Stream(kOther)));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(*found, first);

  CL_ASSERT_OK_AND_ASSIGN(events::AesKey later, owner->FindOrCreate(Stream(tools::kSamplePatient)));
  ASSERT_THAT(owner->SyncNewKeys(), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(found, reader->Find(Stream(tools::kSamplePatient)));
  ASSERT_TRUE(found.has_value()) << "made by the owner after the reader opened";
  EXPECT_EQ(*found, later);
  EXPECT_THAT(reader->Find(Stream("9434765919")), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(reader->FindOrCreate(Stream("9434765919")),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(DataKeyStoreTest, WrapsUnderAPrivateMasterKeyAndDestroysForGood) {
  TempDir dir;
  const std::string path = dir.Sub("keys");
  std::string erased_value;
  std::string kept_value;
  {
    CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::DataKeyStore> keys,
                            ledger::DataKeyStore::Open(path, ledger::DataKeyMode::kCreate));
    EXPECT_THAT(keys->Find(Stream("9990000042")), StatusIs(absl::StatusCode::kNotFound));
    ASSERT_THAT(keys->FindOrCreate(Stream(tools::kSamplePatient)), IsOk());
    ASSERT_THAT(keys->FindOrCreate(Stream(kOther)), IsOk());
  }
  struct stat info {};
  ASSERT_EQ(::stat((path + "/master.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_THAT(ledger::DataKeyStore::Open(path, ledger::DataKeyMode::kCreate),
              StatusIs(absl::StatusCode::kAlreadyExists));
  erased_value = StoredValue(path, Stream(tools::kSamplePatient));
  kept_value = StoredValue(path, Stream(kOther));
  ASSERT_EQ(erased_value.size(), 1 + 12 + 32 + 16u);
  // The store names no patient.
  EXPECT_EQ(AllBytes(path + "/store").find(tools::kSamplePatient), std::string::npos);

  CL_ASSERT_OK_AND_ASSIGN(std::unique_ptr<ledger::DataKeyStore> keys,
                          ledger::DataKeyStore::Open(path, ledger::DataKeyMode::kOpen));
  CL_ASSERT_OK_AND_ASSIGN(std::optional<events::AesKey> before,
                          keys->Find(Stream(tools::kSamplePatient)));
  ASSERT_TRUE(before.has_value());
  ASSERT_THAT(keys->Destroy(Stream(tools::kSamplePatient), DefaultNow()), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(std::optional<events::AesKey> after,
                          keys->Find(Stream(tools::kSamplePatient)));
  EXPECT_FALSE(after.has_value());
  EXPECT_THAT(keys->FindOrCreate(Stream(tools::kSamplePatient)),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(keys->Destroy(Stream(tools::kSamplePatient), DefaultNow()),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(keys->Destroy(Stream("9990000034"), DefaultNow()),
              StatusIs(absl::StatusCode::kNotFound));
  CL_ASSERT_OK_AND_ASSIGN(std::optional<absl::Time> when,
                          keys->DestroyedAt(Stream(tools::kSamplePatient)));
  EXPECT_EQ(when, DefaultNow());
  keys.reset();
  const std::string files = AllBytes(path);
  EXPECT_EQ(files.find(erased_value), std::string::npos) << "the destroyed key's bytes remain";
  EXPECT_NE(files.find(kept_value), std::string::npos) << "another patient's key is gone";

  // A master key others may read is refused.
  ASSERT_EQ(::chmod((path + "/master.key").c_str(), 0644), 0);
  EXPECT_THAT(ledger::DataKeyStore::Open(path, ledger::DataKeyMode::kOpen),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

class SealingWorldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto keys = ledger::DataKeyStore::Open(dir_.Sub("data-keys"), ledger::DataKeyMode::kCreate);
    ASSERT_THAT(keys, IsOk());
    keys_ = std::shared_ptr<ledger::DataKeyStore>(*std::move(keys));
  }

  // Projects the whole log into a fresh store named `name`.
  absl::StatusOr<projections::ProjectionReport> Project(
      const std::string& name, std::unique_ptr<projections::ProjectionStore>* out) {
    auto store = projections::ProjectionStore::Open(dir_.Sub(name));
    if (!store.ok()) return store.status();
    auto reader = world_.log().OpenReader();
    if (!reader.ok()) return reader.status();
    projections::ProjectorOptions options;
    options.verify_threads = 1;
    options.data_keys = keys_.get();
    projections::Projector projector(reader->get(), store->get(), &world_.signer().keyring,
                                     options);
    absl::StatusOr<projections::ProjectionReport> report = projector.CatchUp();
    *out = *std::move(store);
    return report;
  }

  ledger::ScanReport Scan() {
    auto reader = world_.log().OpenReader();
    EXPECT_THAT(reader, IsOk());
    absl::StatusOr<ledger::ScanReport> scan =
        ledger::ScanLog(**reader, &world_.signer().keyring, 1, nullptr);
    EXPECT_THAT(scan, IsOk());
    return scan.ok() ? *scan : ledger::ScanReport();
  }

  careledger::v1::Command Erase(const careledger::v1::Actor& actor, const std::string& nhs,
                                const std::string& override_reason) {
    careledger::v1::Command command = LedgerWorld::As(actor);
    command.mutable_erase_patient()->set_nhs_number(nhs);
    command.mutable_erase_patient()->set_reason("consent withdrawn");
    command.mutable_erase_patient()->set_retention_override(override_reason);
    return command;
  }

  TempDir dir_;
  LedgerWorld world_;
  std::shared_ptr<ledger::DataKeyStore> keys_;
};

TEST_F(SealingWorldTest, OldLogThenSealedEventsVerifyProjectAndEraseOnePatient) {
  const tools::SampleActors& who = world_.actors();
  // Version 1: the sample patient's plan, in clear.
  world_.PublishSamplePlan();
  world_.Apply(LedgerWorld::Note(who.ambulance, "clear note ALPHA-41", tools::kSamplePatient));
  // Version 2 from here: both patients' new events sealed.
  world_.UseDataKeys(keys_);
  world_.PublishSamplePlan(kOther);
  world_.Apply(LedgerWorld::Note(who.ambulance, "sealed note BRAVO-77", kOther));
  world_.Apply(LedgerWorld::Note(who.ambulance, "sealed note CHARLIE-93", tools::kSamplePatient));
  world_.Apply(LedgerWorld::View(who.ambulance, careledger::v1::PLAN_VIEW_PUBLISHED, "", kOther));

  std::string log_bytes;
  for (const events::LogRecord& record : world_.log().Records()) log_bytes += record.value;
  EXPECT_NE(log_bytes.find("ALPHA-41"), std::string::npos);  // version 1: in clear
  EXPECT_EQ(log_bytes.find("BRAVO-77"), std::string::npos);
  EXPECT_EQ(log_bytes.find("CHARLIE-93"), std::string::npos);
  int sealed = 0;
  for (const Event& event : world_.StreamEvents(Stream(kOther))) {
    EXPECT_TRUE(event.has_sealed_body()) << event.ShortDebugString();
    sealed += event.has_sealed_body();
  }
  EXPECT_GT(sealed, 3);
  for (const Event& event : world_.Events()) {
    if (event.has_access_recorded()) {
      EXPECT_FALSE(event.has_sealed_body());
    }
  }

  // A restart recovers from the sealed log (the fold needs the content:
  // the next approval's hash is computed from it).
  world_.Restart();
  world_.Apply(
      LedgerWorld::Update(who.gp, tools::CompletePlanSections(kOther, world_.today())[0], kOther));
  world_.Apply(LedgerWorld::Approve(who.gp, kOther));

  std::unique_ptr<projections::ProjectionStore> store;
  CL_ASSERT_OK_AND_ASSIGN(projections::ProjectionReport report, Project("before", &store));
  EXPECT_TRUE(report.stops.empty());
  EXPECT_EQ(report.records_erased, 0u);
  projections::PlanQueries queries(store.get());
  CL_ASSERT_OK_AND_ASSIGN(careledger::v1::PlanRecord other, queries.GetPlan(kOther));
  EXPECT_EQ(other.state().published().demographics().given_name(), "Margaret");
  EXPECT_EQ(other.state().published_version(), 2u);
  CL_ASSERT_OK_AND_ASSIGN(careledger::v1::PlanRecord first, queries.GetPlan(tools::kSamplePatient));
  ASSERT_EQ(first.state().notes_size(), 2);
  EXPECT_EQ(first.state().notes(1).text(), "sealed note CHARLIE-93");

  // Erasure: not by a clinician; not of an unknown patient; the CMC team
  // needs an override while the plan is open (no retention period began).
  world_.Reject(Erase(who.gp, kOther, "erasure ordered"), "only the CMC team");
  world_.Reject(Erase(who.auditor, "9990000034", "erasure ordered"), "no record of patient");
  world_.Reject(Erase(who.auditor, kOther, ""), "retention period has not begun");
  world_.Apply(Erase(who.auditor, kOther, "right-to-erasure decision 12"));
  world_.Reject(Erase(who.auditor, kOther, "again"), "already erased");
  const std::vector<Event> stream = world_.StreamEvents(Stream(kOther));
  ASSERT_TRUE(stream.back().has_patient_erased());
  EXPECT_FALSE(stream.back().has_sealed_body());
  EXPECT_EQ(stream.back().patient_erased().retention_override(), "right-to-erasure decision 12");
  world_.Reject(LedgerWorld::Note(who.ambulance, "after", kOther), "erased");

  // The projection that showed the content, resumed as a running service's
  // projector would be, before the key is destroyed: applying the erasure
  // purges the patient's content out of every file of the store
  // (projections/erasure_purge.h), and leaves the other patient's.
  store.reset();
  std::unique_ptr<projections::ProjectionStore> live;
  CL_ASSERT_OK_AND_ASSIGN(report, Project("before", &live));
  EXPECT_TRUE(report.stops.empty());
  EXPECT_EQ(AllBytes(dir_.Sub("before")).find("BRAVO-77"), std::string::npos);
  EXPECT_NE(AllBytes(dir_.Sub("before")).find("CHARLIE-93"), std::string::npos);
  CL_ASSERT_OK_AND_ASSIGN(careledger::v1::PlanRecord purged,
                          projections::PlanQueries(live.get()).GetPlan(kOther));
  EXPECT_EQ(purged.state().lifecycle(), careledger::v1::PLAN_LIFECYCLE_ERASED);
  EXPECT_EQ(purged.state().notes(0).text(), "");

  ASSERT_THAT(keys_->Destroy(Stream(kOther), DefaultNow()), IsOk());

  // Everything still verifies; the erased patient projects as erased.
  const ledger::ScanReport scan = Scan();
  EXPECT_TRUE(scan.stops.empty()) << scan.stops.front().Describe();
  CL_ASSERT_OK_AND_ASSIGN(report, Project("after", &store));
  EXPECT_TRUE(report.stops.empty()) << report.stops.front().reason;
  EXPECT_EQ(report.records_erased, static_cast<std::uint64_t>(stream.size() - 1));
  projections::PlanQueries after(store.get());
  CL_ASSERT_OK_AND_ASSIGN(other, after.GetPlan(kOther));
  EXPECT_EQ(other.state().lifecycle(), careledger::v1::PLAN_LIFECYCLE_ERASED);
  EXPECT_TRUE(other.state().content_erased());
  EXPECT_EQ(other.state().published_version(), 2u);  // the facts stay
  EXPECT_EQ(other.state().version_hashes_size(), 2);
  EXPECT_EQ(other.state().published().ByteSizeLong(), 0u);
  EXPECT_EQ(other.state().notes(0).text(), "");
  EXPECT_EQ(other.state().notes(0).by().user_id(), who.ambulance.user_id());
  EXPECT_EQ(AllBytes(dir_.Sub("after")).find("BRAVO-77"), std::string::npos);
  CL_ASSERT_OK_AND_ASSIGN(first, after.GetPlan(tools::kSamplePatient));
  EXPECT_EQ(first.state().notes(1).text(), "sealed note CHARLIE-93");
  EXPECT_NE(AllBytes(dir_.Sub("after")).find("CHARLIE-93"), std::string::npos);

  // The purged live projection is byte for byte the rebuild.
  CL_ASSERT_OK_AND_ASSIGN(events::Hash rebuilt, store->Fingerprint());
  CL_ASSERT_OK_AND_ASSIGN(events::Hash purged_live, live->Fingerprint());
  EXPECT_EQ(events::HashHex(purged_live), events::HashHex(rebuilt))
      << "the live projection purged of the erased patient differs from a rebuild";
  // A purge a crash interrupted (its marker still there) runs again on the
  // next start, changes nothing more and removes the marker.
  projections::StoreBatch marker;
  projections::MarkErasure(kOther, &marker);
  ASSERT_THAT(live->Commit(marker), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(events::Hash marked, live->Fingerprint());
  EXPECT_NE(events::HashHex(marked), events::HashHex(rebuilt));
  ASSERT_THAT(projections::PurgeErasedContent(live.get()), IsOk());
  CL_ASSERT_OK_AND_ASSIGN(purged_live, live->Fingerprint());
  EXPECT_EQ(events::HashHex(purged_live), events::HashHex(rebuilt));

  // The writer recovers the erased stream too (and refuses to touch it).
  world_.Restart();
  world_.Reject(LedgerWorld::Note(who.ambulance, "after restart", kOther), "erased");
  world_.Apply(LedgerWorld::Note(who.ambulance, "still fine", tools::kSamplePatient));
}

TEST_F(SealingWorldTest, AChangedSealedBodyFailsVerificationAtItsPosition) {
  world_.UseDataKeys(keys_);
  world_.PublishSamplePlan();
  std::vector<events::LogRecord> records = world_.log().Records();
  std::size_t target = records.size();
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto opened = events::OpenRecord(records[i].key, records[i].value);
    if (opened.ok() && opened->event.has_sealed_body()) target = i;
  }
  ASSERT_LT(target, records.size());
  // Flip one byte of the ciphertext inside the stored value.
  auto opened = events::OpenRecord(records[target].key, records[target].value);
  ASSERT_THAT(opened, IsOk());
  const std::string& ciphertext = opened->event.sealed_body().ciphertext();
  const std::size_t at = records[target].value.find(ciphertext);
  ASSERT_NE(at, std::string::npos);
  records[target].value[at + 3] ^= 0x20;

  MemoryLog tampered(world_.log().partition_count());
  auto writer = tampered.OpenWriter("tamper");
  ASSERT_THAT(writer, IsOk());
  std::vector<ledger::AppendRecord> appends;
  for (const events::LogRecord& record : records) {
    appends.push_back({record.partition, record.key, record.value});
  }
  ASSERT_THAT((*writer)->Append(appends), IsOk());
  auto reader = tampered.OpenReader();
  ASSERT_THAT(reader, IsOk());
  CL_ASSERT_OK_AND_ASSIGN(ledger::ScanReport scan,
                          ledger::ScanLog(**reader, &world_.signer().keyring, 1, nullptr));
  ASSERT_EQ(scan.stops.size(), 1u);
  EXPECT_EQ(scan.stops[0].partition, records[target].partition);
  EXPECT_EQ(scan.stops[0].offset, records[target].offset);
  EXPECT_EQ(events::FailureKindOf(scan.stops[0].reason), events::FailureKind::kBadSignature);
}

}  // namespace
}  // namespace careledger::testing
