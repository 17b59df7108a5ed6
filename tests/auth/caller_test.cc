// Proves how ResolveCaller turns verified credentials into the actor of a
// request, against a real directory projection (ProjectionDirectory over a
// projected log): staff get role and organisation from the directory and
// need a registered, unrevoked, current device of their organisation;
// patients and proxies are bound to their NHS number and need no device;
// and each refusal names its cause: unknown user, a role the directory does
// not give, a role that does not act through the service, a device that is
// missing, unregistered, revoked, another organisation's or past its
// licence, a myCMC token without or with another NHS number, a patient
// token for a staff user. RefusedActor names what is known of a refused one.
#include "auth/caller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "auth/projection_directory.h"
#include "ledger/dates.h"
#include "tests/projections/projection_fixture.h"

namespace careledger::auth {
namespace {

using ::careledger::testing::IsOk;
using careledger::v1::Role;
using ::testing::HasSubstr;

constexpr std::string_view kAddress = "10.20.30.40";

careledger::v1::User MakeUser(const std::string& id, Role role, const std::string& organisation,
                              const std::string& nhs_number = "") {
  careledger::v1::User user;
  user.set_user_id(id);
  user.set_name(id);
  user.set_role(role);
  user.set_organisation(organisation);
  user.set_nhs_number(nhs_number);
  user.set_status(careledger::v1::USER_STATUS_ACTIVE);
  return user;
}

TokenClaims Claims(const std::string& subject, const std::string& role_claim = "",
                   const std::string& nhs_number = "") {
  TokenClaims claims;
  claims.subject = subject;
  claims.role_claim = role_claim;
  claims.nhs_number = nhs_number;
  return claims;
}

class ResolveCallerTest : public projections::ProjectionTest {
 protected:
  void SetUp() override {
    ProjectionTest::SetUp();
    now_ = clock_ + absl::Hours(1);
    patient_nhs_ = projections::SyntheticNhsNumber(0);
    ActAs("cmc-team-1", careledger::v1::ROLE_AUDITOR, "CMC");
    RecordUser(MakeUser("dr-a", careledger::v1::ROLE_CLINICIAN, "RYJ"));
    RecordUser(MakeUser("patient-1", careledger::v1::ROLE_PATIENT, "", patient_nhs_));
    RecordUser(MakeUser("proxy-1", careledger::v1::ROLE_PROXY_VIEWER, ""));
    RecordUser(MakeUser("operator", careledger::v1::ROLE_SYSTEM, ""));
    const absl::CivilDay today = ledger::Today(now_);
    RecordDevice(MakeDevice("tablet-ok", "RYJ", today - 30));
    RecordDevice(MakeDevice("tablet-revoked", "RYJ", today - 30, /*revoked=*/true));
    RecordDevice(MakeDevice("tablet-other", "G85001", today - 30));
    RecordDevice(MakeDevice("tablet-old", "RYJ", ledger::AddMonths(today, -9) - 1));
    RecordDevice(MakeDevice("tablet-last-day", "RYJ", ledger::AddMonths(today, -9)));
    CL_ASSERT_OK_AND_ASSIGN(store_, projections::ProjectionStore::Open(dir_.Sub("projection")));
    ASSERT_THAT(Project(store_.get()), IsOk());
    directory_.emplace(store_.get());
  }

  static careledger::v1::Device MakeDevice(const std::string& id, const std::string& organisation,
                                           absl::CivilDay licence_day, bool revoked = false) {
    careledger::v1::Device device;
    device.set_device_id(id);
    device.set_organisation(organisation);
    *device.mutable_licence_issued_on() = ledger::FromCivilDay(licence_day);
    device.set_revoked(revoked);
    return device;
  }

  absl::StatusOr<Caller> Resolve(const TokenClaims& claims, std::string_view device) {
    return ResolveCaller(claims, device, kAddress, *directory_, now_);
  }

  // The refusal's message; fails the test unless it is PERMISSION_DENIED.
  std::string Refusal(const TokenClaims& claims, std::string_view device) {
    absl::StatusOr<Caller> caller = Resolve(claims, device);
    EXPECT_EQ(caller.status().code(), absl::StatusCode::kPermissionDenied) << caller.status();
    return std::string(caller.status().message());
  }

  absl::Time now_;
  std::string patient_nhs_;
  std::unique_ptr<projections::ProjectionStore> store_;
  std::optional<ProjectionDirectory> directory_;
};

TEST_F(ResolveCallerTest, StaffActorComesFromTheDirectoryAndTheCertificate) {
  for (const char* role_claim : {"", "clinician", "ROLE_CLINICIAN", "Clinician"}) {
    CL_ASSERT_OK_AND_ASSIGN(Caller caller, Resolve(Claims("dr-a", role_claim), "tablet-ok"));
    EXPECT_EQ(caller.kind, Caller::Kind::kStaff);
    EXPECT_EQ(caller.actor.user_id(), "dr-a");
    EXPECT_EQ(caller.actor.role(), careledger::v1::ROLE_CLINICIAN);
    EXPECT_EQ(caller.actor.organisation(), "RYJ");
    EXPECT_EQ(caller.actor.device_id(), "tablet-ok");
    EXPECT_EQ(caller.actor.network_address(), kAddress);
    EXPECT_EQ(caller.actor.purpose(), "");
    EXPECT_EQ(caller.patient_nhs_number, "");
  }
  // The licence holds through its last day.
  EXPECT_THAT(Resolve(Claims("dr-a"), "tablet-last-day"), IsOk());
}

TEST_F(ResolveCallerTest, PatientIsBoundToTheirNhsNumberWithOrWithoutDevice) {
  CL_ASSERT_OK_AND_ASSIGN(Caller caller, Resolve(Claims("patient-1", "patient", patient_nhs_), ""));
  EXPECT_EQ(caller.kind, Caller::Kind::kPatient);
  EXPECT_EQ(caller.actor.role(), careledger::v1::ROLE_PATIENT);
  EXPECT_EQ(caller.actor.organisation(), "");
  EXPECT_EQ(caller.actor.device_id(), "");
  EXPECT_EQ(caller.patient_nhs_number, patient_nhs_);
  CL_ASSERT_OK_AND_ASSIGN(Caller with_device,
                          Resolve(Claims("patient-1", "", patient_nhs_), "tablet-ok"));
  EXPECT_EQ(with_device.actor.device_id(), "tablet-ok");
  // A proxy viewer: the plan names whom they may see, not the token.
  CL_ASSERT_OK_AND_ASSIGN(Caller proxy,
                          Resolve(Claims("proxy-1", "proxy-viewer", "9434765919"), ""));
  EXPECT_EQ(proxy.kind, Caller::Kind::kPatient);
  EXPECT_EQ(proxy.actor.role(), careledger::v1::ROLE_PROXY_VIEWER);
  EXPECT_EQ(proxy.patient_nhs_number, "");
}

TEST_F(ResolveCallerTest, RefusesAUserNotInTheDirectory) {
  EXPECT_EQ(Refusal(Claims("dr-nobody"), "tablet-ok"), "user not in the directory");
}

TEST_F(ResolveCallerTest, RefusesARoleTheDirectoryDoesNotGive) {
  EXPECT_EQ(Refusal(Claims("dr-a", "auditor"), "tablet-ok"),
            "the token selects a role the directory does not give this user");
  EXPECT_EQ(Refusal(Claims("dr-a", "555254242106"), "tablet-ok"),
            "the token's role claim names no careledger role");
  EXPECT_EQ(Refusal(Claims("dr-a", "system"), "tablet-ok"),
            "the token's role claim names no careledger role");
  EXPECT_EQ(Refusal(Claims("operator"), "tablet-ok"),
            "this user's role does not act through the service");
}

TEST_F(ResolveCallerTest, RefusesStaffWithoutACurrentDeviceOfTheirOrganisation) {
  EXPECT_THAT(Refusal(Claims("dr-a"), ""), HasSubstr("no client certificate"));
  EXPECT_EQ(Refusal(Claims("dr-a"), "tablet-unknown"), "device tablet-unknown is not registered");
  EXPECT_EQ(Refusal(Claims("dr-a"), "tablet-revoked"), "device tablet-revoked is revoked");
  EXPECT_EQ(Refusal(Claims("dr-a"), "tablet-other"),
            "device tablet-other is registered to G85001, not to the user's organisation RYJ");
  EXPECT_EQ(Refusal(Claims("dr-a"), "tablet-old"),
            "device tablet-old's licence is older than 9 months and must be re-issued");
}

TEST_F(ResolveCallerTest, RefusesMismatchedNhsNumbers) {
  EXPECT_EQ(Refusal(Claims("patient-1", "patient"), ""), "a myCMC token must carry the NHS number");
  EXPECT_EQ(Refusal(Claims("patient-1", "", projections::SyntheticNhsNumber(1)), ""),
            "the token's NHS number is not this user's");
  EXPECT_EQ(Refusal(Claims("dr-a", "", patient_nhs_), "tablet-ok"),
            "a token carrying an NHS number is a patient's, and this user is staff");
}

TEST_F(ResolveCallerTest, RefusedActorNamesWhatIsKnown) {
  careledger::v1::Actor known = RefusedActor(Claims("dr-a"), "tablet-other", kAddress, *directory_);
  EXPECT_EQ(known.user_id(), "dr-a");
  EXPECT_EQ(known.role(), careledger::v1::ROLE_CLINICIAN);
  EXPECT_EQ(known.organisation(), "RYJ");
  EXPECT_EQ(known.device_id(), "tablet-other");
  EXPECT_EQ(known.network_address(), kAddress);
  careledger::v1::Actor unknown = RefusedActor(Claims("dr-nobody"), "", kAddress, *directory_);
  EXPECT_EQ(unknown.user_id(), "dr-nobody");
  EXPECT_EQ(unknown.role(), careledger::v1::ROLE_UNSPECIFIED);
  EXPECT_EQ(unknown.organisation(), "");
}

TEST(RoleFromClaimTest, AcceptsCareledgerRoleNamesOnly) {
  EXPECT_EQ(RoleFromClaim("urgent-care"), careledger::v1::ROLE_URGENT_CARE);
  EXPECT_EQ(RoleFromClaim("URGENT_CARE"), careledger::v1::ROLE_URGENT_CARE);
  EXPECT_EQ(RoleFromClaim("role_proxy_viewer"), careledger::v1::ROLE_PROXY_VIEWER);
  EXPECT_EQ(RoleFromClaim("auditor"), careledger::v1::ROLE_AUDITOR);
  EXPECT_EQ(RoleFromClaim("cmc-team"), careledger::v1::ROLE_AUDITOR);
  EXPECT_EQ(RoleFromClaim("system"), std::nullopt);
  EXPECT_EQ(RoleFromClaim("unspecified"), std::nullopt);
  EXPECT_EQ(RoleFromClaim(""), std::nullopt);
  EXPECT_EQ(RoleFromClaim("R8000"), std::nullopt);
}

}  // namespace
}  // namespace careledger::auth
