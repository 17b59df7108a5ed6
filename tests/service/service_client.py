"""What the service tests share: starting `careledger serve` on a free port
and stopping it, minting bearer tokens from the data directory's development
issuer and device certificates from its device CA (with python3-cryptography,
no careledger code), and HTTPS requests with the standard library.
"""
import base64
import datetime
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import uuid

sys.dont_write_bytecode = True


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Service:
    """A running `careledger serve` over one data directory."""

    def __init__(self, binary, data, *extra, global_args=(), env=None, stderr_path=None):
        """stderr_path: the service's stderr (its request log) goes to that
        file instead of a pipe, which a long run under load would fill;
        stop() then returns "" for it."""
        self.binary, self.data = binary, data
        self.stderr_path = stderr_path
        stderr = open(stderr_path, "w") if stderr_path else subprocess.PIPE
        self.process = subprocess.Popen(
            [binary, "--data", data, *global_args, "serve", "--listen", "127.0.0.1:0", *extra],
            stdout=subprocess.PIPE, stderr=stderr, text=True,
            env={**os.environ, **(env or {})})
        if stderr_path:
            stderr.close()  # the child holds its own descriptor
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            if stderr_path:
                with open(stderr_path) as f:
                    raise RuntimeError("serve did not start: " + f.read()[-2000:])
            raise RuntimeError("serve did not start: " + self.process.stderr.read()[-2000:])
        self.url = json.loads(line)["listening"]
        self.host, self.port = self.url.split("://")[1].rsplit(":", 1)
        self.port = int(self.port)
        self.ca = os.path.join(data, "auth", "device-ca", "ca.crt")

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Signals the service; (exit code, stderr)."""
        self.process.send_signal(sig)
        _, err = self.process.communicate(timeout=timeout)
        return self.process.returncode, err or ""

    def context(self, device=None):
        """A TLS context trusting the data directory's CA, presenting the
        device certificate files (cert, key) if given."""
        context = ssl.create_default_context(cafile=self.ca)
        if device:
            context.load_cert_chain(*device)
        return context

    def request(self, method, path, token=None, device=None, body=None, headers=None):
        """(status, headers dict, body bytes) over HTTPS."""
        connection = http.client.HTTPSConnection(self.host, self.port,
                                                 context=self.context(device), timeout=60)
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = "Bearer " + token
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data


class DevIssuer:
    """Mints ES256 tokens with the data directory's development issuer key."""

    ISSUER = "https://careledger.invalid/dev-issuer"

    def __init__(self, data):
        from cryptography.hazmat.primitives import serialization
        directory = os.path.join(data, "auth", "dev-issuer")
        with open(os.path.join(directory, "private-key.pem"), "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), password=None)
        with open(os.path.join(directory, "jwks.json")) as f:
            self.kid = json.load(f)["keys"][0]["kid"]

    def mint(self, subject, role=None, nhs_number=None, issuer=ISSUER, audience="careledger",
             lifetime=3600, not_before=None, key=None, kid=None):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, utils
        now = int(time.time()) if not_before is None else int(not_before)
        claims = {"iss": issuer, "sub": subject, "aud": audience, "iat": now, "nbf": now,
                  "exp": now + lifetime, "jti": str(uuid.uuid4())}
        if role:
            claims["role"] = role
        if nhs_number:
            claims["nhs_number"] = nhs_number
        header = {"alg": "ES256", "typ": "JWT", "kid": kid or self.kid}
        signing_input = (b64url(json.dumps(header).encode()) + "." +
                         b64url(json.dumps(claims).encode())).encode()
        der = (key or self.key).sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = utils.decode_dss_signature(der)
        return signing_input.decode() + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def device_certificate(data, device_id, organisation, out_dir, days=30, ca_dir=None,
                       expired=False):
    """Issues a client certificate as auth/device_authority.h describes
    (CN = device id, URI SAN urn:careledger:device:<id>, clientAuth) from the
    data directory's CA (or `ca_dir`'s ca.key/ca.crt); returns (cert, key).
    `expired`: valid from 10 days ago until yesterday."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    ca_dir = ca_dir or os.path.join(data, "auth", "device-ca")
    with open(os.path.join(ca_dir, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), password=None)
    with open(os.path.join(ca_dir, "ca.crt"), "rb") as f:
        ca = x509.load_pem_x509_certificate(f.read())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        now -= datetime.timedelta(days=days + 1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_id),
                                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)]))
        .issuer_name(ca.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(
            [x509.UniformResourceIdentifier("urn:careledger:device:" + device_id)]), False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .sign(ca_key, hashes.SHA256()))
    cert_path = os.path.join(out_dir, device_id + ".crt")
    key_path = os.path.join(out_dir, device_id + ".key")
    with open(cert_path, "wb") as f:
        f.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def self_signed_ca(out_dir):
    """A CA the service does not trust: ca.key and ca.crt in `out_dir`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not the careledger CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
                   .sign(key, hashes.SHA256()))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "ca.key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(os.path.join(out_dir, "ca.crt"), "wb") as f:
        f.write(certificate.public_bytes(serialization.Encoding.PEM))
    return key


class CountingCaller:
    """One caller of a running service whose every GET is answered with how
    many records it appended to the log: the checks of the audited routes
    (stats_checks.py, migration_checks.py) assert both at once."""

    def __init__(self, ledger, service, token, device):
        self.ledger, self.service = ledger, service
        self.token, self.device = token, device

    def get(self, path, token=None, device=None):
        """(status, body, records appended), as this caller unless told."""
        count = self.ledger.count()
        status, _, body = self.service.request("GET", path, token=token or self.token,
                                               device=device or self.device)
        return status, body, self.ledger.count() - count

    def recorded(self, access):
        """The access_recorded body of the record an answer's `access` names."""
        return (self.ledger.access_at(access.get("partition"), access.get("offset"))
                or {}).get("access_recorded", {})

    def documented(self, path):
        """True when the served OpenAPI document describes `path`."""
        status, _, body = self.service.request("GET", "/v1/openapi.json")
        return path in (json.loads(body).get("paths", {}) if status == 200 else {})


def cmc_auditor(ledger, service, issuer, tmp):
    """The CMC team's auditor (token and device CMC001) as a CountingCaller."""
    return CountingCaller(ledger, service, issuer.mint("auditor.cmc", role="auditor"),
                          device_certificate(ledger.data, "dev-CMC001", "CMC001", tmp))


def kafka_log_args(name):
    """The global flags for a fresh topic `careledger.<name>.<unique>` on the
    broker CARELEDGER_KAFKA_BOOTSTRAP names, or None, having printed FAIL,
    when it is not set: a Kafka test fails without its broker, never skips."""
    bootstrap = os.environ.get("CARELEDGER_KAFKA_BOOTSTRAP")
    if not bootstrap:
        print("FAIL: CARELEDGER_KAFKA_BOOTSTRAP is not set; start the broker with "
              "`export CARELEDGER_KAFKA_BOOTSTRAP=$(deploy/kafka/kafka.sh start)`")
        return None
    unique = f"{os.getpid()}.{datetime.datetime.now().strftime('%Y%m%d%H%M%S%f')}"
    print(f"Kafka at {bootstrap}, topic careledger.{name}.{unique}")
    return ["--log", f"kafka:{bootstrap}", "--topic", f"careledger.{name}.{unique}",
            "--writer-id", f"{name}-{unique}"]
