// Proves that the device CA's certificates do what mutual TLS needs, in a
// real OpenSSL TLS 1.3 handshake over an in-memory BIO pair (no network):
// a server with IssueServer's certificate that trusts ca.crt accepts a
// device's client certificate, and DeviceIdOf on the verified peer
// certificate names the device; a client without a certificate connects
// (patients may come without a device) and presents none; a certificate of
// another data directory's CA, an expired one, and the server's own
// certificate used as a client's (not for client authentication) are
// refused in the handshake.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "auth/device_authority.h"
#include "auth/internal/keys.h"
#include "auth/internal/openssl_ptr.h"
#include "tests/support/test_support.h"

namespace careledger::auth {
namespace {

using internal::OpenSslPtr;

struct SslFree {
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(SSL* p) const { SSL_free(p); }
};

OpenSslPtr<X509> ParseCertificate(const std::string& pem) {
  OpenSslPtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return OpenSslPtr<X509>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// An SSL_CTX presenting `identity` (if any) and trusting `ca_pem`.
std::unique_ptr<SSL_CTX, SslFree> Context(bool server, const IssuedCertificate* identity,
                                          const std::string& ca_pem) {
  std::unique_ptr<SSL_CTX, SslFree> context(
      SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()));
  EXPECT_EQ(SSL_CTX_set_min_proto_version(context.get(), TLS1_3_VERSION), 1);
  if (identity != nullptr) {
    OpenSslPtr<X509> certificate = ParseCertificate(identity->certificate_pem);
    absl::StatusOr<internal::PkeyPtr> key = internal::PrivateKeyFromPem(identity->private_key_pem);
    EXPECT_TRUE(key.ok());
    EXPECT_EQ(SSL_CTX_use_certificate(context.get(), certificate.get()), 1);
    EXPECT_EQ(SSL_CTX_use_PrivateKey(context.get(), key->get()), 1);
  }
  OpenSslPtr<X509> ca = ParseCertificate(ca_pem);
  EXPECT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(context.get()), ca.get()), 1);
  // Ask for a client certificate without requiring one (auth/README.md).
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  return context;
}

struct Outcome {
  bool connected = false;
  // The server's verification of the client's certificate (X509_V_OK when
  // it had none to check or it verified).
  long server_verify_result = X509_V_OK;
  std::string device_id = "";  // from the server's verified peer certificate; "" if none
};

// One handshake between a server presenting `server_identity` and a client
// presenting `client_identity` (nullptr: none), both trusting `ca_pem`.
Outcome Handshake(const IssuedCertificate& server_identity,
                  const IssuedCertificate* client_identity, const std::string& server_ca_pem,
                  const std::string& client_ca_pem) {
  auto server_context = Context(true, &server_identity, server_ca_pem);
  auto client_context = Context(false, client_identity, client_ca_pem);
  std::unique_ptr<SSL, SslFree> server(SSL_new(server_context.get()));
  std::unique_ptr<SSL, SslFree> client(SSL_new(client_context.get()));
  SSL_set1_host(client.get(), "localhost");
  BIO* server_bio = nullptr;
  BIO* client_bio = nullptr;
  EXPECT_EQ(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0), 1);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());
  bool server_done = false;
  bool client_done = false;
  // TLS 1.3 with a client certificate needs a handful of flights; each
  // round moves both sides as far as they can go.
  for (int round = 0; round < 20 && !(server_done && client_done); ++round) {
    for (auto [ssl, done] :
         {std::pair{client.get(), &client_done}, std::pair{server.get(), &server_done}}) {
      if (*done) continue;
      const int result = SSL_do_handshake(ssl);
      if (result == 1) {
        *done = true;
        continue;
      }
      const int error = SSL_get_error(ssl, result);
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return {.connected = false, .server_verify_result = SSL_get_verify_result(server.get())};
      }
    }
  }
  // TLS 1.3: the client finishes before the server has checked its
  // certificate; a server-side refusal shows when the server finishes.
  Outcome outcome;
  outcome.connected = server_done && client_done;
  if (!outcome.connected) return outcome;
  X509* peer = SSL_get0_peer_certificate(server.get());
  if (peer != nullptr) {
    EXPECT_EQ(SSL_get_verify_result(server.get()), X509_V_OK);
    absl::StatusOr<std::string> id = DeviceAuthority::DeviceIdOf(peer);
    EXPECT_TRUE(id.ok()) << id.status();
    outcome.device_id = id.value_or("");
  }
  return outcome;
}

class MutualTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CL_ASSERT_OK_AND_ASSIGN(authority_, DeviceAuthority::OpenOrCreate(dir_.Sub("data")));
    CL_ASSERT_OK_AND_ASSIGN(server_, authority_->IssueServer());
  }

  careledger::testing::TempDir dir_;
  std::optional<DeviceAuthority> authority_;
  std::optional<IssuedCertificate> server_;
  const absl::Time now_ = absl::Now();
};

TEST_F(MutualTlsTest, DeviceCertificateIsAcceptedAndNamesTheDevice) {
  CL_ASSERT_OK_AND_ASSIGN(
      IssuedCertificate device,
      authority_->IssueDevice("amb-tablet-7", "RRU", now_ - absl::Hours(1), now_ + absl::Hours(1)));
  const Outcome outcome = Handshake(*server_, &device, authority_->ca_pem(), authority_->ca_pem());
  EXPECT_TRUE(outcome.connected);
  EXPECT_EQ(outcome.device_id, "amb-tablet-7");
}

TEST_F(MutualTlsTest, ClientWithoutCertificateConnectsAsNoDevice) {
  const Outcome outcome = Handshake(*server_, nullptr, authority_->ca_pem(), authority_->ca_pem());
  EXPECT_TRUE(outcome.connected);
  EXPECT_EQ(outcome.device_id, "");
}

TEST_F(MutualTlsTest, CertificateOfAnotherAuthorityIsRefused) {
  CL_ASSERT_OK_AND_ASSIGN(DeviceAuthority other, DeviceAuthority::OpenOrCreate(dir_.Sub("other")));
  CL_ASSERT_OK_AND_ASSIGN(
      IssuedCertificate foreign,
      other.IssueDevice("amb-tablet-7", "RRU", now_ - absl::Hours(1), now_ + absl::Hours(1)));
  EXPECT_FALSE(Handshake(*server_, &foreign, authority_->ca_pem(), authority_->ca_pem()).connected);
}

TEST_F(MutualTlsTest, ExpiredCertificateIsRefused) {
  CL_ASSERT_OK_AND_ASSIGN(IssuedCertificate expired,
                          authority_->IssueDevice("amb-tablet-7", "RRU", now_ - absl::Hours(48),
                                                  now_ - absl::Hours(24)));
  EXPECT_FALSE(Handshake(*server_, &expired, authority_->ca_pem(), authority_->ca_pem()).connected);
}

TEST_F(MutualTlsTest, ServerCertificateIsNoClientCertificate) {
  CL_ASSERT_OK_AND_ASSIGN(IssuedCertificate another_server, authority_->IssueServer());
  const Outcome outcome =
      Handshake(*server_, &another_server, authority_->ca_pem(), authority_->ca_pem());
  EXPECT_FALSE(outcome.connected);
  EXPECT_EQ(outcome.server_verify_result, X509_V_ERR_INVALID_PURPOSE);
}

}  // namespace
}  // namespace careledger::auth
