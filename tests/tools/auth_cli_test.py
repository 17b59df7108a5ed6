#!/usr/bin/env python3
"""`careledger token` and `careledger directory issue-cert` end to end (issue
10, item 3; auth/README.md), on the embedded log with the sample directory:

  `token` prints one compact JWT from the data directory's development
  issuer, says on stderr that it is a development token, and carries the
  claims asked for; its ES256 signature verifies with Python's cryptography
  against the JWKS the issuer wrote (no careledger code involved); bad
  lifetimes and a missing --user are usage errors (exit 2); an issuer key
  others may read stops every command (exit 1), as a signing key does; a data directory
  never initialised gets no issuer (exit 1, nothing created).

  `issue-cert` writes a registered device's certificate, its private key
  (mode 0600) and the CA; the certificate names the device (CN and the URI
  SAN), is for client authentication, runs nine months from the licence
  date through that last day, and is signed by the CA. An unregistered
  device, a revoked one and one whose licence has run out are refused
  (exit 3) and get no files.

Needs python3-cryptography.
usage: auth_cli_test.py --careledger BIN
"""
import argparse
import base64
import datetime
import json
import os
import stat
import sys
import tempfile

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_checks import CareledgerCli, check, summary  # noqa: E402
from sample_plan import flags, today  # noqa: E402

AUDITOR = flags("auditor.cmc")


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def es256_verifies(token, jwks):
    """True when the token's ES256 signature verifies with its kid's key."""
    header_b64, payload_b64, signature_b64 = token.split(".")
    header = json.loads(b64url(header_b64))
    keys = [key for key in jwks["keys"] if key["kid"] == header.get("kid")]
    if header.get("alg") != "ES256" or len(keys) != 1:
        return False
    x, y = (int.from_bytes(b64url(keys[0][c]), "big") for c in ("x", "y"))
    public_key = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    raw = b64url(signature_b64)
    signature = utils.encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                           int.from_bytes(raw[32:], "big"))
    try:
        public_key.verify(signature, f"{header_b64}.{payload_b64}".encode(),
                          ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def check_token(ledger):
    result = ledger.run("token", "--user", "dr.patel", "--role", "clinician", "--lifetime", "30m")
    check(result.returncode == 0, f"token exits 0 ({result.returncode}: {result.stderr.strip()})")
    check("DEVELOPMENT" in result.stderr and "not for production" in result.stderr,
          "token says on stderr that it is a development token")
    token = result.stdout.strip()
    check(token.count(".") == 2 and "\n" not in token, "token prints one compact JWT")
    claims = json.loads(b64url(token.split(".")[1]))
    check(claims["sub"] == "dr.patel" and claims["role"] == "clinician"
          and claims["aud"] == "careledger"
          and claims["iss"] == "https://careledger.invalid/dev-issuer",
          "the token carries subject, role, audience and issuer")
    check(claims["exp"] - claims["nbf"] == 1800, "the token lives for the lifetime asked (30m)")
    jwks_path = os.path.join(ledger.data, "auth", "dev-issuer", "jwks.json")
    with open(jwks_path) as f:
        jwks = json.load(f)
    check(es256_verifies(token, jwks), "its ES256 signature verifies against the issuer's JWKS")
    key_path = os.path.join(ledger.data, "auth", "dev-issuer", "private-key.pem")
    check(stat.S_IMODE(os.stat(key_path).st_mode) == 0o600, "the issuer's private key is 0600")

    os.chmod(key_path, 0o644)
    result = ledger.run("token", "--user", "dr.patel")
    check(result.returncode == 1 and "UNPROTECTED PRIVATE KEY" in result.stderr
          and result.stdout == "", "an issuer key others may read is refused (exit 1), no token")
    os.chmod(key_path, 0o600)

    result = ledger.run("--json", "token", "--user", "patient.9990000018", "--nhs", "9990000018")
    document = json.loads(result.stdout)
    patient_claims = json.loads(b64url(document["token"].split(".")[1]))
    check(result.returncode == 0 and document["development"] is True
          and document["jwks"] == jwks_path and patient_claims["nhs_number"] == "9990000018"
          and "role" not in patient_claims,
          "token --json names the token, its JWKS and the NHS number claim")
    for args, what in ((["--user", "x", "--lifetime", "25h"], "a lifetime over 24h"),
                       (["--user", "x", "--lifetime", "soon"], "a lifetime that is no duration"),
                       (["--user", "x", "--lifetime", "-5m"], "a negative lifetime"),
                       ([], "no --user")):
        result = ledger.run("token", *args)
        check(result.returncode == 2 and result.stdout == "", f"token refuses {what} (exit 2)")
    elsewhere = CareledgerCli(ledger.binary, ledger.data + "-typo")
    result = elsewhere.run("token", "--user", "dr.patel")
    check(result.returncode == 1 and "init" in result.stderr and not os.path.exists(elsewhere.data),
          "token in a directory never initialised fails (exit 1) and creates nothing")


def validity(certificate, name):
    """not_valid_before/after as a naive UTC datetime, on old and new cryptography."""
    aware = getattr(certificate, name + "_utc", None)
    return aware.replace(tzinfo=None) if aware is not None else getattr(certificate, name)


def check_issue_cert(ledger, tmp):
    out = os.path.join(tmp, "certs")
    result = ledger.run("directory", "issue-cert", "--device", "dev-AMB001", "--out", out)
    check(result.returncode == 0, f"issue-cert exits 0 ({result.returncode}: {result.stderr})")
    crt, key, ca = (os.path.join(out, name) for name in ("dev-AMB001.crt", "dev-AMB001.key",
                                                          "ca.crt"))
    check(all(os.path.exists(path) for path in (crt, key, ca)), "it writes the cert, key and CA")
    check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "the device's private key is 0600")
    with open(crt, "rb") as f:
        certificate = x509.load_pem_x509_certificate(f.read())
    with open(ca, "rb") as f:
        authority = x509.load_pem_x509_certificate(f.read())
    try:
        authority.public_key().verify(certificate.signature, certificate.tbs_certificate_bytes,
                                      ec.ECDSA(certificate.signature_hash_algorithm))
        signed = certificate.issuer == authority.subject
    except InvalidSignature:
        signed = False
    check(signed, "the device certificate is signed by the CA")
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    cn = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value
    check(names.get_values_for_type(x509.UniformResourceIdentifier)
          == ["urn:careledger:device:dev-AMB001"] and cn == "dev-AMB001",
          "it names the device in its CN and URI SAN")
    usage = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    check(list(usage) == [x509.ExtendedKeyUsageOID.CLIENT_AUTH], "it is for client authentication")
    # `directory sample` issued every licence 30 days ago.
    licence = today() - datetime.timedelta(days=30)
    month = licence.month - 1 + 9
    year, month = licence.year + month // 12, month % 12 + 1
    for day in range(licence.day, 0, -1):  # clamped to the month's length
        try:
            last = datetime.date(year, month, day)
            break
        except ValueError:
            continue
    check(validity(certificate, "not_valid_before").date() == licence
          and validity(certificate, "not_valid_after") == datetime.datetime(last.year, last.month, last.day,
                                                               23, 59, 59),
          f"it runs from the licence date {licence} through {last}")

    with open(key, "rb") as f:
        first_key = f.read()
    result = ledger.run("directory", "issue-cert", "--device", "dev-AMB001", "--out", out)
    with open(key, "rb") as f:
        unchanged = f.read() == first_key
    check(result.returncode == 2 and unchanged,
          "issuing again into the same files is refused (exit 2) and changes nothing")
    result = ledger.run("directory", "issue-cert", "--device", "dev-AMB001", "--out", out,
                        "--force")
    with open(key, "rb") as f:
        replaced = f.read() != first_key
    check(result.returncode == 0 and replaced, "with --force the certificate and key are replaced")
    result = ledger.run("directory", "issue-cert", "--device", "dev-GP0001", "--out", out)
    check(result.returncode == 0 and os.path.exists(os.path.join(out, "dev-GP0001.crt")),
          "a second device shares the directory (its ca.crt is the same CA)")

    result = ledger.run("directory", "issue-cert", "--device", "dev-NOWHERE", "--out", out)
    check(result.returncode == 3 and "not registered" in result.stderr
          and not os.path.exists(os.path.join(out, "dev-NOWHERE.key")),
          "an unregistered device is refused (exit 3), no files")
    old = (today() - datetime.timedelta(days=300)).isoformat()
    result = ledger.run("directory", "device", "--device", "dev-OLD", "--org", "AMB001",
                        "--licence-date", old, *AUDITOR)
    check(result.returncode == 0, f"a device with a 300-day-old licence is recorded ({result.stderr})")
    result = ledger.run("directory", "issue-cert", "--device", "dev-OLD", "--out", out)
    check(result.returncode == 3 and "expired" in result.stderr
          and not os.path.exists(os.path.join(out, "dev-OLD.key")),
          "a device whose licence ran out is refused (exit 3), no files")
    result = ledger.run("directory", "device", "--device", "dev-NHS111", "--org", "NHS111",
                        "--licence-date", today().isoformat(), "--revoked", *AUDITOR)
    check(result.returncode == 0, f"dev-NHS111 is revoked ({result.stderr})")
    result = ledger.run("directory", "issue-cert", "--device", "dev-NHS111", "--out", out)
    check(result.returncode == 3 and "revoked" in result.stderr
          and not os.path.exists(os.path.join(out, "dev-NHS111.key")),
          "a revoked device is refused (exit 3), no files")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--careledger", required=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = CareledgerCli(args.careledger, os.path.join(tmp, "data"))
        for step in (["init"], ["directory", "sample"]):
            result = ledger.run(*step)
            if not check(result.returncode == 0, f"{' '.join(step)} ({result.stderr.strip()})"):
                return summary("auth command")
        check_token(ledger)
        check_issue_cert(ledger, tmp)
    return summary("auth command")


if __name__ == "__main__":
    sys.exit(main())
