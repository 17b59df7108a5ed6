// Proves that the device certificate authority keeps one private CA per data
// directory, and that what it issues is what mutual TLS needs: a device
// certificate verifies against the CA (X509_verify_cert, as a TLS client
// certificate) within its validity and not after it, names its device so
// DeviceIdOf finds it, and does not verify against another data directory's
// CA; a server certificate verifies for its host names and names no device;
// bad ids are refused; the licence period is the ledger's nine months.
#include "auth/device_authority.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <sys/stat.h>

#include "auth/internal/openssl_ptr.h"
#include "tests/support/test_support.h"

namespace careledger::auth {
namespace {

using ::careledger::testing::IsOk;
using ::careledger::testing::StatusIs;
using internal::OpenSslPtr;

OpenSslPtr<X509> Parse(const std::string& pem) {
  OpenSslPtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  OpenSslPtr<X509> certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  EXPECT_NE(certificate, nullptr);
  return certificate;
}

struct Check {
  absl::Time at = absl::InfinitePast();
  int purpose = X509_PURPOSE_SSL_CLIENT;
  std::string host = "";  // checked when set (a server certificate)
  std::string ip = "";
};

// X509_V_OK when `certificate_pem` verifies against `ca_pem` as `check` says;
// otherwise the X509_V_ERR_* code.
int Verify(const std::string& ca_pem, const std::string& certificate_pem, const Check& check) {
  OpenSslPtr<X509> ca = Parse(ca_pem);
  OpenSslPtr<X509> certificate = Parse(certificate_pem);
  OpenSslPtr<X509_STORE> store(X509_STORE_new());
  EXPECT_EQ(X509_STORE_add_cert(store.get(), ca.get()), 1);
  OpenSslPtr<X509_STORE_CTX> context(X509_STORE_CTX_new());
  EXPECT_EQ(X509_STORE_CTX_init(context.get(), store.get(), certificate.get(), nullptr), 1);
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(context.get());
  X509_VERIFY_PARAM_set_time(param, absl::ToTimeT(check.at));
  X509_VERIFY_PARAM_set_purpose(param, check.purpose);
  if (!check.host.empty()) X509_VERIFY_PARAM_set1_host(param, check.host.c_str(), 0);
  if (!check.ip.empty()) X509_VERIFY_PARAM_set1_ip_asc(param, check.ip.c_str());
  if (X509_verify_cert(context.get()) == 1) return X509_V_OK;
  return X509_STORE_CTX_get_error(context.get());
}

mode_t ModeOf(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777;
}

class DeviceAuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CL_ASSERT_OK_AND_ASSIGN(authority_, DeviceAuthority::OpenOrCreate(dir_.Sub("data")));
  }

  careledger::testing::TempDir dir_;
  std::optional<DeviceAuthority> authority_;
  const absl::Time now_ = absl::Now();
};

TEST_F(DeviceAuthorityTest, KeepsOnePrivateAuthorityPerDataDirectory) {
  EXPECT_EQ(authority_->ca_path(), dir_.Sub("data/auth/device-ca/ca.crt"));
  EXPECT_EQ(ModeOf(dir_.Sub("data/auth/device-ca")), 0700u);
  EXPECT_EQ(ModeOf(dir_.Sub("data/auth/device-ca/ca.key")), 0600u);
  EXPECT_EQ(ModeOf(authority_->ca_path()), 0600u);
  CL_ASSERT_OK_AND_ASSIGN(DeviceAuthority reopened,
                          DeviceAuthority::OpenOrCreate(dir_.Sub("data")));
  EXPECT_EQ(reopened.ca_pem(), authority_->ca_pem());
  // A certificate issued after reopening verifies against the first CA.
  CL_ASSERT_OK_AND_ASSIGN(IssuedCertificate issued,
                          reopened.IssueDevice("amb-tablet-7", "RRU", now_, now_ + absl::Hours(1)));
  EXPECT_EQ(Verify(authority_->ca_pem(), issued.certificate_pem, {.at = now_}), X509_V_OK);
}

TEST_F(DeviceAuthorityTest, DeviceCertificateVerifiesAndNamesItsDevice) {
  // A licence issued a month ago (the CA, made today, is valid from today).
  const absl::CivilDay issued_on =
      absl::ToCivilDay(now_ - absl::Hours(24 * 30), absl::UTCTimeZone());
  const LicencePeriod licence =
      LicencePeriodFrom(static_cast<int>(issued_on.year()), issued_on.month(), issued_on.day());
  CL_ASSERT_OK_AND_ASSIGN(
      IssuedCertificate issued,
      authority_->IssueDevice("amb-tablet-7", "RRU", licence.not_before, licence.not_after));
  EXPECT_EQ(issued.not_before, licence.not_before);
  EXPECT_EQ(issued.not_after, licence.not_after);
  EXPECT_FALSE(issued.serial_hex.empty());
  EXPECT_THAT(issued.private_key_pem, ::testing::HasSubstr("BEGIN PRIVATE KEY"));
  const absl::Time inside = now_;
  EXPECT_EQ(Verify(authority_->ca_pem(), issued.certificate_pem, {.at = inside}), X509_V_OK);
  OpenSslPtr<X509> certificate = Parse(issued.certificate_pem);
  EXPECT_THAT(DeviceAuthority::DeviceIdOf(certificate.get()),
              ::testing::Eq(absl::StatusOr<std::string>("amb-tablet-7")));
  // Not as a server: the certificate is for client authentication only.
  EXPECT_NE(Verify(authority_->ca_pem(), issued.certificate_pem,
                   {.at = inside, .purpose = X509_PURPOSE_SSL_SERVER}),
            X509_V_OK);
}

TEST_F(DeviceAuthorityTest, ExpiredOrNotYetValidCertificateFailsVerification) {
  CL_ASSERT_OK_AND_ASSIGN(IssuedCertificate issued,
                          authority_->IssueDevice("gp-laptop-2", "G85001", now_ - absl::Hours(48),
                                                  now_ - absl::Hours(24)));
  EXPECT_EQ(Verify(authority_->ca_pem(), issued.certificate_pem, {.at = now_}),
            X509_V_ERR_CERT_HAS_EXPIRED);
  CL_ASSERT_OK_AND_ASSIGN(IssuedCertificate future,
                          authority_->IssueDevice("gp-laptop-2", "G85001", now_ + absl::Hours(24),
                                                  now_ + absl::Hours(48)));
  EXPECT_EQ(Verify(authority_->ca_pem(), future.certificate_pem, {.at = now_}),
            X509_V_ERR_CERT_NOT_YET_VALID);
}

TEST_F(DeviceAuthorityTest, CertificateOfAnotherAuthorityFailsVerification) {
  CL_ASSERT_OK_AND_ASSIGN(DeviceAuthority other, DeviceAuthority::OpenOrCreate(dir_.Sub("other")));
  ASSERT_NE(other.ca_pem(), authority_->ca_pem());
  CL_ASSERT_OK_AND_ASSIGN(IssuedCertificate foreign,
                          other.IssueDevice("amb-tablet-7", "RRU", now_, now_ + absl::Hours(1)));
  const int error = Verify(authority_->ca_pem(), foreign.certificate_pem, {.at = now_});
  EXPECT_THAT(error, ::testing::AnyOf(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                                      X509_V_ERR_CERT_SIGNATURE_FAILURE));
}

TEST_F(DeviceAuthorityTest, ServerCertificateServesItsNamesAndNamesNoDevice) {
  CL_ASSERT_OK_AND_ASSIGN(IssuedCertificate server, authority_->IssueServer());
  const Check as_server{.at = now_, .purpose = X509_PURPOSE_SSL_SERVER};
  Check localhost = as_server;
  localhost.host = "localhost";
  EXPECT_EQ(Verify(authority_->ca_pem(), server.certificate_pem, localhost), X509_V_OK);
  Check loopback = as_server;
  loopback.ip = "127.0.0.1";
  EXPECT_EQ(Verify(authority_->ca_pem(), server.certificate_pem, loopback), X509_V_OK);
  Check elsewhere = as_server;
  elsewhere.host = "careledger.example";
  EXPECT_EQ(Verify(authority_->ca_pem(), server.certificate_pem, elsewhere),
            X509_V_ERR_HOSTNAME_MISMATCH);
  OpenSslPtr<X509> certificate = Parse(server.certificate_pem);
  EXPECT_THAT(DeviceAuthority::DeviceIdOf(certificate.get()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  // The CA certificate itself names no device either.
  OpenSslPtr<X509> ca = Parse(authority_->ca_pem());
  EXPECT_THAT(DeviceAuthority::DeviceIdOf(ca.get()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(DeviceAuthorityTest, RefusesBadRequests) {
  for (const char* id : {"", "tablet,URI:urn:careledger:device:other", "tab let", "tablet/7"}) {
    EXPECT_THAT(authority_->IssueDevice(id, "RRU", now_, now_ + absl::Hours(1)).status(),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << id;
  }
  EXPECT_THAT(authority_->IssueDevice("t", "RRU", now_, now_).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(authority_->IssueDevice("t", "", now_, now_ + absl::Hours(1)).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(authority_->IssueServer({}).status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(authority_->IssueServer({"bad,DNS:evil"}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(DeviceAuthority::DeviceIdOf(nullptr).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(LicencePeriodTest, NineMonthsThroughTheLastDay) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  LicencePeriod period = LicencePeriodFrom(2026, 3, 31);
  EXPECT_EQ(period.not_before, absl::FromCivil(absl::CivilSecond(2026, 3, 31, 0, 0, 0), utc));
  EXPECT_EQ(period.not_after, absl::FromCivil(absl::CivilSecond(2026, 12, 31, 23, 59, 59), utc));
  // The day of month is clamped as the ledger clamps it (ledger/dates.h).
  period = LicencePeriodFrom(2025, 5, 31);
  EXPECT_EQ(period.not_after, absl::FromCivil(absl::CivilSecond(2026, 2, 28, 23, 59, 59), utc));
}

}  // namespace
}  // namespace careledger::auth
