// Proves key validity windows and rotation: a signature counts only if its
// key was valid at the event's recorded time.
#include "events/keyring.h"

#include <gtest/gtest.h>

#include "events/envelope.h"
#include "tests/support/event_factory.h"
#include "tests/support/test_support.h"

namespace careledger::events {
namespace {

using ::careledger::testing::FailsWith;
using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

VerifyingKey NewKey() {
  auto key = SigningKey::Generate();
  return *VerifyingKey::FromRaw(key->public_key());
}

TEST(KeyringTest, WindowIsInclusiveStartExclusiveEnd) {
  Keyring keyring;
  ASSERT_THAT(keyring.Add({"k1", NewKey(), kT0, kT0 + absl::Hours(1)}), IsOk());
  EXPECT_THAT(keyring.KeyAt("k1", kT0), IsOk());
  EXPECT_THAT(keyring.KeyAt("k1", kT0 + absl::Minutes(59)), IsOk());
  EXPECT_THAT(keyring.KeyAt("k1", kT0 - absl::Seconds(1)), FailsWith(FailureKind::kKeyNotValid));
  EXPECT_THAT(keyring.KeyAt("k1", kT0 + absl::Hours(1)), FailsWith(FailureKind::kKeyNotValid));
  EXPECT_THAT(keyring.KeyAt("k2", kT0), FailsWith(FailureKind::kUnknownKey));
}

TEST(KeyringTest, RejectsDuplicateIdsAndEmptyWindows) {
  Keyring keyring;
  ASSERT_THAT(keyring.Add({"k1", NewKey(), kT0}), IsOk());
  EXPECT_THAT(keyring.Add({"k1", NewKey(), kT0}), StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(keyring.Add({"k2", NewKey(), kT0, kT0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(keyring.Add({"", NewKey(), kT0}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyringTest, RotationKeepsHistoryVerifiableAndRefusesLateUseOfOldKey) {
  auto old_key = SigningKey::Generate();
  auto new_key = SigningKey::Generate();
  Keyring keyring;
  ASSERT_THAT(keyring.Add({"old", *VerifyingKey::FromRaw(old_key->public_key()), kT0}), IsOk());
  const absl::Time rotation = kT0 + absl::Hours(24);
  ASSERT_THAT(keyring.Retire("old", rotation), IsOk());
  ASSERT_THAT(keyring.Add({"new", *VerifyingKey::FromRaw(new_key->public_key()), rotation}),
              IsOk());

  careledger::testing::EventFactory before("old", *old_key);
  auto early = OpenRecord("s", before.Seal(before.NextEvent("s", rotation - absl::Minutes(1))));
  ASSERT_THAT(early, IsOk());
  EXPECT_THAT(VerifySignature(*early, keyring), IsOk()) << "history signed before rotation";

  auto late = OpenRecord("s", before.Seal(before.NextEvent("s", rotation + absl::Minutes(1))));
  ASSERT_THAT(late, IsOk());
  EXPECT_THAT(VerifySignature(*late, keyring), FailsWith(FailureKind::kKeyNotValid))
      << "a retired (expired) key must not sign new events";

  careledger::testing::EventFactory after("new", *new_key);
  auto fresh = OpenRecord("s", after.Seal(after.NextEvent("s", rotation + absl::Minutes(1))));
  ASSERT_THAT(fresh, IsOk());
  EXPECT_THAT(VerifySignature(*fresh, keyring), IsOk());
}

TEST(KeyringTest, RetireRejectsUnknownKeysAndBackdating) {
  Keyring keyring;
  ASSERT_THAT(keyring.Add({"k1", NewKey(), kT0}), IsOk());
  EXPECT_THAT(keyring.Retire("nope", kT0), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(keyring.Retire("k1", kT0 - absl::Hours(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(KeyringTest, JsonRoundTripKeepsKeysAndWindows) {
  Keyring keyring;
  ASSERT_THAT(keyring.Add({"k1", NewKey(), kT0, kT0 + absl::Hours(2)}), IsOk());
  ASSERT_THAT(keyring.Add({"k2", NewKey(), kT0 + absl::Hours(2)}), IsOk());
  auto json = keyring.ToJson();
  ASSERT_THAT(json, IsOk());
  EXPECT_NE(json->find("\"public_key\""), std::string::npos);
  auto parsed = Keyring::FromJson(*json);
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->entries().size(), 2u);
  EXPECT_EQ(parsed->entries()[0].key.raw(), keyring.entries()[0].key.raw());
  EXPECT_EQ(parsed->entries()[0].valid_until, kT0 + absl::Hours(2));
  EXPECT_EQ(parsed->entries()[1].valid_until, absl::InfiniteFuture());
}

TEST(KeyringTest, BadJsonIsRejectedWithAReason) {
  EXPECT_THAT(Keyring::FromJson("{"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Keyring::FromJson(R"({"keys":[{"key_id":"k","algorithm":"rsa"}]})"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      Keyring::FromJson(R"({"keys":[{"key_id":"k","algorithm":"ed25519","public_key":"AAAA"}]})"),
      StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SigningKeyTest, PemRoundTripSignsIdentically) {
  auto key = SigningKey::Generate();
  ASSERT_THAT(key, IsOk());
  auto pem = key->ToPem();
  ASSERT_THAT(pem, IsOk());
  auto reloaded = SigningKey::FromPem(*pem);
  ASSERT_THAT(reloaded, IsOk());
  EXPECT_EQ(reloaded->public_key(), key->public_key());
  // Ed25519 is deterministic: the same message gives the same signature.
  EXPECT_EQ(*reloaded->Sign("message"), *key->Sign("message"));
  EXPECT_THAT(SigningKey::FromPem("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace careledger::events
