"""The edge driver's TLS identity: a self-signed certificate that clients pin.

There is no CA on a home LAN, so the certificate's SHA-256 fingerprint *is* the identity:
it is shown at pairing (``/api/v1/info``, zeroconf, ``ezlock-edge info``) and clients refuse
any other certificate afterwards. It is made once and kept, because a new one would look
exactly like an impersonation to every paired client.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
from pathlib import Path
import ssl
import subprocess
import sys

from ezlock_edge.files import private_dir, tighten, write_private

TLS_DIR = "tls"  # inside the data directory
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
_CERT_BEGIN = b"-----BEGIN CERTIFICATE-----"

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


class TlsIdentityError(OSError):
    """The TLS identity could not be created; the message says why."""


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


def load_or_create(
    directory: Path, common_name: str, *, separate_process: bool = False
) -> TlsIdentity:
    """Load the identity from ``directory``, creating it on first start.

    ``separate_process``: create it in a child process, so that ``cryptography`` never
    stays in this one's memory (the daemon; tests and embedders make it here, faster).

    Both files are ``0600`` before any byte of them exists on disk (and an existing
    directory or file is tightened), and the certificate is written last, so an
    interrupted first start leaves no certificate without its key (the next start simply
    creates both again).
    """
    private_dir(directory)
    cert_path = directory / CERT_FILE
    key_path = directory / KEY_FILE
    if not (cert_path.exists() and key_path.exists()):
        if separate_process:
            cert_pem, key_pem = _generate_in_child(common_name)
        else:
            from .certificate import generate  # noqa: PLC0415 -- see its docstring

            cert_pem, key_pem = generate(common_name)
        write_private(key_path, key_pem)
        write_private(cert_path, cert_pem)
    tighten(key_path)
    tighten(cert_path)
    return TlsIdentity(
        cert_path=cert_path,
        key_path=key_path,
        fingerprint=certificate_fingerprint(cert_path.read_bytes()),
    )


def _generate_in_child(common_name: str) -> tuple[bytes, bytes]:
    """Run :mod:`.certificate` in a child process; return its certificate and key."""
    done = subprocess.run(  # noqa: S603 -- this interpreter, our module, one argument
        [sys.executable, "-I", "-m", "ezlock_edge.api.certificate", common_name],
        capture_output=True,
        check=False,
    )
    key_pem, marker, cert_pem = done.stdout.partition(_CERT_BEGIN)
    if done.returncode or not marker or not key_pem:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        reason = said[-1] if said else f"exit status {done.returncode}"
        raise TlsIdentityError(f"could not create the TLS identity: {reason}")
    return marker + cert_pem, key_pem
