"""The edge driver's TLS identity: a self-signed certificate that clients pin.

There is no CA on a home LAN, so the certificate's SHA-256 fingerprint *is* the identity:
it is shown at pairing (``/api/v1/info``, zeroconf, ``ezlock-edge info``) and clients refuse
any other certificate afterwards. It is made once and kept, because a new one would look
exactly like an impersonation to every paired client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import hashlib
from pathlib import Path
import ssl

from ezlock_edge.files import private_dir, tighten, write_private

TLS_DIR = "tls"  # inside the data directory
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
_VALIDITY = timedelta(days=100 * 365)

# Mozilla's server-side TLS guidelines 5.7, "intermediate" configuration, its `openssl`
# cipher list as published in https://ssl-config.mozilla.org/guidelines/5.7.json: AEAD
# suites with forward secrecy only (no CBC, no SHA-1 MAC, no RSA key exchange). Python's
# ssl module cannot load that file, so the list is copied here and the test checks the
# running server with sslyze against sslyze's own copy of Mozilla's file. TLS 1.3 needs no
# list: OpenSSL offers exactly the three suites the guideline names.
MOZILLA_INTERMEDIATE_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256",
    "DHE-RSA-AES256-GCM-SHA384",
    "DHE-RSA-CHACHA20-POLY1305",
)


@dataclass(frozen=True, slots=True)
class TlsIdentity:
    """Where the certificate and key live, and the fingerprint clients pin."""

    cert_path: Path
    key_path: Path
    fingerprint: str  # SHA-256 of the DER certificate, 64 lowercase hex digits

    def server_context(self) -> ssl.SSLContext:
        """Build a server-side context presenting this certificate.

        TLS 1.2 and 1.3 with Mozilla's "intermediate" suites only (AEAD, forward
        secrecy); the key-exchange groups are OpenSSL's defaults (docs/security.md).
        """
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.set_ciphers(":".join(MOZILLA_INTERMEDIATE_CIPHERS))
        context.options |= ssl.OP_NO_COMPRESSION
        context.load_cert_chain(self.cert_path, self.key_path)
        return context


def certificate_fingerprint(cert_pem: bytes) -> str:
    """SHA-256 over the certificate's DER encoding, as clients compute it on the wire."""
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert_pem.decode())).hexdigest()


def load_or_create(directory: Path, common_name: str) -> TlsIdentity:
    """Load the identity from ``directory``, creating it on first start.

    Both files are ``0600`` before any byte of them exists on disk (and an existing
    directory or file is tightened), and the certificate is written last, so an
    interrupted first start leaves no certificate without its key (the next start simply
    creates both again).
    """
    private_dir(directory)
    cert_path = directory / CERT_FILE
    key_path = directory / KEY_FILE
    if not (cert_path.exists() and key_path.exists()):
        cert_pem, key_pem = _generate(common_name)
        write_private(key_path, key_pem)
        write_private(cert_path, cert_pem)
    tighten(key_path)
    tighten(cert_path)
    return TlsIdentity(
        cert_path=cert_path,
        key_path=key_path,
        fingerprint=certificate_fingerprint(cert_path.read_bytes()),
    )


def _generate(common_name: str) -> tuple[bytes, bytes]:
    # cryptography (about 16 MiB resident) only for the first start: a running lock
    # loads its certificate with the ssl module.
    from cryptography import x509  # noqa: PLC0415
    from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
    from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
    from cryptography.x509.oid import NameOID  # noqa: PLC0415

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem
