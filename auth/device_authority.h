// DeviceAuthority: careledger's device certificate authority. A device (the
// CMC "device licence", re-issued every nine months) proves itself to the
// service with a client certificate this authority issued; the device id is
// read from that verified certificate, never from a header. The same
// authority issues the service's own TLS server certificate, so a client
// trusts ca.crt for both directions.
//
// Layout, under <data>/auth/device-ca/ (the directory 0700):
//   ca.key   the CA's EC P-256 private key, PKCS#8, mode 0600
//   ca.crt   its self-signed certificate (CA:TRUE, pathlen 0, keyCertSign), 0600
// OpenOrCreate makes both on first use and reuses them after.
//
// Issued certificates (all EC P-256, signed with ECDSA-SHA256, random 128-bit
// serials): a device's has subject CN=<device id>, O=<organisation>, the URI
// SAN urn:careledger:device:<device id>, and extended key usage clientAuth; a
// server's has the DNS/IP SANs asked for and serverAuth. The authority keeps
// no list of issued certificates: whether a device may act is the
// directory's business (registered, not revoked, licence date), checked on
// every request (auth/caller.h).
//
// Thread safety: const methods may be called from any thread.
#ifndef CARELEDGER_AUTH_DEVICE_AUTHORITY_H_
#define CARELEDGER_AUTH_DEVICE_AUTHORITY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

// OpenSSL's certificate type; only DeviceIdOf takes one.
typedef struct x509_st X509;

namespace careledger::auth {

inline constexpr std::string_view kDeviceUriPrefix = "urn:careledger:device:";

struct IssuedCertificate {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8, unencrypted: store it 0600
  absl::Time not_before, not_after;
  std::string serial_hex;
};

class DeviceAuthority {
 public:
  // Opens the authority of `data_dir`, creating its key and certificate
  // when absent. INVALID_ARGUMENT when the stored key and certificate are
  // unreadable or do not belong together; INTERNAL for I/O failures.
  static absl::StatusOr<DeviceAuthority> OpenOrCreate(const std::string& data_dir);

  // A client certificate for `device_id` of `organisation`, valid from
  // `not_before` to `not_after`. INVALID_ARGUMENT for an empty or over-long
  // id or organisation, an id with characters outside [A-Za-z0-9._-], or
  // not_after <= not_before.
  absl::StatusOr<IssuedCertificate> IssueDevice(std::string_view device_id,
                                                std::string_view organisation,
                                                absl::Time not_before, absl::Time not_after) const;

  // A TLS server certificate for the given host names and IP addresses
  // (default: localhost and 127.0.0.1), valid from now for `validity`.
  absl::StatusOr<IssuedCertificate> IssueServer(
      std::vector<std::string> dns_names_and_ips = {"localhost", "127.0.0.1"},
      absl::Duration validity = absl::Hours(24 * 365)) const;

  // The CA certificate (PEM): what the TLS layer trusts for client
  // certificates, and what clients trust for the server.
  std::string ca_pem() const;
  std::string ca_path() const;

  // The device id of a certificate the TLS layer has already verified
  // against this CA: its single urn:careledger:device: URI SAN, which must
  // equal its subject CN. INVALID_ARGUMENT (safe to show) for a certificate
  // without one (a server certificate, say) or with several. Does not verify.
  static absl::StatusOr<std::string> DeviceIdOf(X509* peer_certificate);

 private:
  struct State;
  explicit DeviceAuthority(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

// The nine-month licence period of a device licence issued on `licence_day`
// (a UTC civil day, 00:00): [licence_day, licence_day + kLicenceValidMonths].
struct LicencePeriod {
  absl::Time not_before, not_after;
};
LicencePeriod LicencePeriodFrom(int year, int month, int day);

}  // namespace careledger::auth

#endif  // CARELEDGER_AUTH_DEVICE_AUTHORITY_H_
