#include "auth/device_authority.h"

#include <fmt/format.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "absl/time/civil_time.h"
#include "auth/internal/files.h"
#include "auth/internal/keys.h"
#include "auth/internal/openssl_ptr.h"
#include "events/format.h"
#include "ledger/access_rules.h"
#include "ledger/dates.h"

namespace careledger::auth {

using internal::OpenSslPtr;
using internal::PkeyPtr;

struct DeviceAuthority::State {
  std::string dir;
  PkeyPtr key;
  OpenSslPtr<X509> certificate;
  std::string certificate_pem;
};

namespace {

constexpr std::string_view kAuthorityDir = "auth/device-ca";
constexpr std::string_view kCaName = "careledger device certificate authority";
constexpr absl::Duration kCaValidity = absl::Hours(24 * 365 * 10);
constexpr std::size_t kMaxIdLength = 128;

absl::Status Failure(std::string_view what) {
  return absl::InternalError(fmt::format("{}: {}", what, internal::OpenSslError()));
}

bool IsIdCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

absl::Status CheckIdentifier(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return absl::InvalidArgumentError(
        fmt::format("a {} must have 1 to {} characters", what, kMaxIdLength));
  }
  for (char c : id) {
    if (!IsIdCharacter(c)) {
      return absl::InvalidArgumentError(fmt::format(
          "a {} for a certificate may hold only letters, digits, '.', '_' and '-'", what));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CertificateToPem(X509* certificate) {
  OpenSslPtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509(bio.get(), certificate) != 1) {
    return Failure("writing a certificate");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

absl::StatusOr<OpenSslPtr<X509>> CertificateFromPem(std::string_view pem) {
  OpenSslPtr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  OpenSslPtr<X509> certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)
                                   : nullptr);
  if (certificate == nullptr) {
    return absl::InvalidArgumentError("not a PEM certificate: " + internal::OpenSslError());
  }
  return certificate;
}

absl::Status AddExtension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  OpenSslPtr<X509_EXTENSION> extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (extension == nullptr || X509_add_ext(certificate, extension.get(), -1) != 1) {
    return Failure(fmt::format("certificate extension {}", value));
  }
  return absl::OkStatus();
}

absl::Status AddNameEntry(X509_NAME* name, const char* field, std::string_view value) {
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return Failure("certificate name");
  }
  return absl::OkStatus();
}

struct CertificateSpec {
  std::string common_name;
  std::string organisation;  // "" for none
  absl::Time not_before, not_after;
  // (nid, value) in X509V3 config syntax, e.g. {NID_key_usage, "critical,keyCertSign"}.
  std::vector<std::pair<int, std::string>> extensions;
};

// A certificate for `subject_key` signed by `issuer_key`; `issuer` is null
// for a self-signed one. Returns the certificate and its serial (hex).
absl::StatusOr<std::pair<OpenSslPtr<X509>, std::string>> MakeCertificate(
    const CertificateSpec& spec, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key) {
  OpenSslPtr<X509> certificate(X509_new());
  if (certificate == nullptr || X509_set_version(certificate.get(), X509_VERSION_3) != 1) {
    return Failure("new certificate");
  }
  // A random, positive 127-bit serial (RFC 5280 §4.1.2.2: at most 20 octets).
  OpenSslPtr<BIGNUM> serial(BN_new());
  if (serial == nullptr || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get())) == nullptr) {
    return Failure("certificate serial");
  }
  char* serial_hex = BN_bn2hex(serial.get());
  std::string serial_text = serial_hex == nullptr ? "" : serial_hex;
  OPENSSL_free(serial_hex);
  if (ASN1_TIME_set(X509_getm_notBefore(certificate.get()), absl::ToTimeT(spec.not_before)) ==
          nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(certificate.get()), absl::ToTimeT(spec.not_after)) ==
          nullptr ||
      X509_set_pubkey(certificate.get(), subject_key) != 1) {
    return Failure("certificate validity or key");
  }
  X509_NAME* subject = X509_get_subject_name(certificate.get());
  if (absl::Status named = AddNameEntry(subject, "CN", spec.common_name); !named.ok()) return named;
  if (!spec.organisation.empty()) {
    if (absl::Status named = AddNameEntry(subject, "O", spec.organisation); !named.ok()) {
      return named;
    }
  }
  X509* signer = issuer == nullptr ? certificate.get() : issuer;
  if (X509_set_issuer_name(certificate.get(), X509_get_subject_name(signer)) != 1) {
    return Failure("certificate issuer");
  }
  for (const auto& [nid, value] : spec.extensions) {
    if (absl::Status added = AddExtension(certificate.get(), signer, nid, value); !added.ok()) {
      return added;
    }
  }
  if (X509_sign(certificate.get(), issuer_key, EVP_sha256()) <= 0) {
    return Failure("signing a certificate");
  }
  return std::make_pair(std::move(certificate), std::move(serial_text));
}

absl::StatusOr<IssuedCertificate> Issue(const CertificateSpec& spec, X509* ca, EVP_PKEY* ca_key) {
  if (spec.not_after <= spec.not_before) {
    return absl::InvalidArgumentError("a certificate must end after it begins");
  }
  absl::StatusOr<PkeyPtr> key = internal::GenerateEcP256Key();
  if (!key.ok()) return key.status();
  auto made = MakeCertificate(spec, key->get(), ca, ca_key);
  if (!made.ok()) return made.status();
  IssuedCertificate issued;
  absl::StatusOr<std::string> certificate_pem = CertificateToPem(made->first.get());
  if (!certificate_pem.ok()) return certificate_pem.status();
  absl::StatusOr<std::string> key_pem = internal::PrivateKeyToPem(key->get());
  if (!key_pem.ok()) return key_pem.status();
  issued.certificate_pem = *std::move(certificate_pem);
  issued.private_key_pem = *std::move(key_pem);
  issued.not_before = absl::FromTimeT(absl::ToTimeT(spec.not_before));
  issued.not_after = absl::FromTimeT(absl::ToTimeT(spec.not_after));
  issued.serial_hex = std::move(made->second);
  return issued;
}

// The UTF-8 text of an ASN.1 string.
std::string Text(const ASN1_STRING* value) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                     static_cast<std::size_t>(ASN1_STRING_length(value)));
}

}  // namespace

absl::StatusOr<DeviceAuthority> DeviceAuthority::OpenOrCreate(const std::string& data_dir) {
  auto state = std::make_shared<State>();
  state->dir = fmt::format("{}/{}", data_dir, kAuthorityDir);
  if (absl::Status made = internal::CreatePrivateDir(state->dir); !made.ok()) return made;
  absl::StatusOr<PkeyPtr> key = internal::LoadOrCreateEcP256Key(state->dir + "/ca.key");
  if (!key.ok()) return key.status();
  state->key = *std::move(key);
  const std::string certificate_path = state->dir + "/ca.crt";
  absl::StatusOr<std::string> pem = internal::ReadWholeFile(certificate_path);
  if (absl::IsNotFound(pem.status())) {
    // New, or a crash came between the key and its certificate: certify the
    // key now (certificates it signed before still verify: same name, key).
    const absl::Time now = absl::Now();
    CertificateSpec spec{
        .common_name = std::string(kCaName),
        .organisation = "careledger",
        .not_before = now - absl::Hours(1),
        .not_after = now + kCaValidity,
        .extensions = {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                       {NID_key_usage, "critical,keyCertSign,cRLSign"},
                       {NID_subject_key_identifier, "hash"}},
    };
    auto made = MakeCertificate(spec, state->key.get(), nullptr, state->key.get());
    if (!made.ok()) return made.status();
    absl::StatusOr<std::string> new_pem = CertificateToPem(made->first.get());
    if (!new_pem.ok()) return new_pem.status();
    absl::Status stored = internal::CreateNewFile(certificate_path, *new_pem, 0600);
    if (!stored.ok() && !absl::IsAlreadyExists(stored)) return stored;
    pem = internal::ReadWholeFile(certificate_path);
  }
  if (!pem.ok()) return pem.status();
  absl::StatusOr<OpenSslPtr<X509>> certificate = CertificateFromPem(*pem);
  if (!certificate.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("{}: {}", certificate_path, certificate.status().message()));
  }
  if (X509_check_private_key(certificate->get(), state->key.get()) != 1) {
    internal::OpenSslError();
    return absl::InvalidArgumentError(
        fmt::format("{} does not belong to the key beside it", certificate_path));
  }
  state->certificate = *std::move(certificate);
  state->certificate_pem = *std::move(pem);
  return DeviceAuthority(std::move(state));
}

absl::StatusOr<IssuedCertificate> DeviceAuthority::IssueDevice(std::string_view device_id,
                                                               std::string_view organisation,
                                                               absl::Time not_before,
                                                               absl::Time not_after) const {
  if (absl::Status ok = CheckIdentifier("device id", device_id); !ok.ok()) return ok;
  if (absl::Status ok = CheckIdentifier("organisation", organisation); !ok.ok()) return ok;
  CertificateSpec spec{
      .common_name = std::string(device_id),
      .organisation = std::string(organisation),
      .not_before = not_before,
      .not_after = not_after,
      .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, "clientAuth"},
                     {NID_subject_alt_name, fmt::format("URI:{}{}", kDeviceUriPrefix, device_id)},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"}},
  };
  return Issue(spec, state_->certificate.get(), state_->key.get());
}

absl::StatusOr<IssuedCertificate> DeviceAuthority::IssueServer(
    std::vector<std::string> dns_names_and_ips, absl::Duration validity) const {
  if (dns_names_and_ips.empty()) {
    return absl::InvalidArgumentError("a server certificate needs at least one name");
  }
  std::string names;
  for (const std::string& name : dns_names_and_ips) {
    OpenSslPtr<ASN1_OCTET_STRING> ip(a2i_IPADDRESS(name.c_str()));
    internal::OpenSslError();  // a host name is no IP address: not an error
    const bool is_ip = ip != nullptr;
    if (!is_ip) {
      if (absl::Status ok = CheckIdentifier("server host name", name); !ok.ok()) return ok;
    }
    names += fmt::format("{}{}:{}", names.empty() ? "" : ",", is_ip ? "IP" : "DNS", name);
  }
  const absl::Time now = absl::Now();
  CertificateSpec spec{
      .common_name = dns_names_and_ips.front(),
      .organisation = "",
      .not_before = now - absl::Minutes(5),
      .not_after = now + validity,
      .extensions = {{NID_basic_constraints, "critical,CA:FALSE"},
                     {NID_key_usage, "critical,digitalSignature"},
                     {NID_ext_key_usage, "serverAuth"},
                     {NID_subject_alt_name, names},
                     {NID_subject_key_identifier, "hash"},
                     {NID_authority_key_identifier, "keyid:always"}},
  };
  return Issue(spec, state_->certificate.get(), state_->key.get());
}

std::string DeviceAuthority::ca_pem() const { return state_->certificate_pem; }

std::string DeviceAuthority::ca_path() const { return state_->dir + "/ca.crt"; }

absl::StatusOr<std::string> DeviceAuthority::DeviceIdOf(X509* peer_certificate) {
  if (peer_certificate == nullptr) return absl::InvalidArgumentError("no client certificate");
  OpenSslPtr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(peer_certificate, NID_subject_alt_name, nullptr, nullptr)));
  std::string device_id;
  int found = 0;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_URI) continue;
    const std::string uri = Text(name->d.uniformResourceIdentifier);
    if (!uri.starts_with(kDeviceUriPrefix)) continue;
    device_id = uri.substr(kDeviceUriPrefix.size());
    ++found;
  }
  if (found != 1) {
    return absl::InvalidArgumentError("the client certificate names no single careledger device");
  }
  X509_NAME* subject = X509_get_subject_name(peer_certificate);
  const int cn = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (cn < 0 || X509_NAME_get_index_by_NID(subject, NID_commonName, cn) >= 0 ||
      Text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, cn))) != device_id ||
      !CheckIdentifier("device id", device_id).ok()) {
    return absl::InvalidArgumentError("the client certificate's device names disagree");
  }
  return device_id;
}

LicencePeriod LicencePeriodFrom(int year, int month, int day) {
  const absl::CivilDay issued(year, month, day);
  // The ledger accepts the licence through the whole day nine months on
  // (ledger/access_rules.h); the certificate ends with that day.
  const absl::CivilDay last = ledger::AddMonths(issued, ledger::kLicenceValidMonths);
  return {absl::FromCivil(issued, absl::UTCTimeZone()),
          absl::FromCivil(last + 1, absl::UTCTimeZone()) - absl::Seconds(1)};
}

}  // namespace careledger::auth
