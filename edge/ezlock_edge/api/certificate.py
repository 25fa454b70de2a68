"""Making the TLS identity: a new EC key and its self-signed certificate.

This is the only module of the driver that imports ``cryptography`` (about 13 MiB
resident). A module cannot be unloaded, so the daemon runs it in a child process
(``python -m ezlock_edge.api.certificate COMMON_NAME``: the key and then the
certificate, PEM, on stdout), and a lock's first start does not keep that memory until
its next restart (docs/performance.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_VALIDITY = timedelta(days=100 * 365)


def generate(common_name: str) -> tuple[bytes, bytes]:
    """Return a new certificate and its private key, both PEM."""
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


def main() -> None:
    """Write a new key and then its certificate to stdout (a pipe to the driver)."""
    cert_pem, key_pem = generate(sys.argv[1])
    sys.stdout.buffer.write(key_pem + cert_pem)


if __name__ == "__main__":
    main()
