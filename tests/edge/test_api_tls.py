"""Issue #11.8: the API's TLS as an outside scanner sees it, against Mozilla's own profile.

sslyze (a well-kept TLS scanner) checks the running server against Mozilla's server-side
TLS guidelines, from the copy of Mozilla's JSON that sslyze ships. sslyze pins an older
`cryptography` than Home Assistant, so it runs in its own throw-away environment
(``uv run --isolated``), as an outsider would run it.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import re
import shutil
import sys

from ezlock_edge.api.tls import MOZILLA_INTERMEDIATE_CIPHERS
from ezlock_edge.clock import ManualClock

from .api_support import running_edge

SSLYZE = "sslyze==6.3.1"
SCAN_TIMEOUT = 300.0  # the first run downloads sslyze into uv's cache

# Runs inside sslyze's environment: scan, then Mozilla's "intermediate" check.
_SCAN = """
import json, sys
from sslyze import Scanner, ServerNetworkLocation, ServerScanRequest
from sslyze.mozilla_tls_profile.tls_config_checker import (
    SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER, MozillaTlsConfiguration,
    ServerNotCompliantWithTlsConfiguration, TlsConfigurationEnum,
    check_server_against_tls_configuration,
)
profile = MozillaTlsConfiguration.get(TlsConfigurationEnum.MOZILLA_INTERMEDIATE)
scanner = Scanner()
scanner.queue_scans([ServerScanRequest(
    server_location=ServerNetworkLocation("127.0.0.1", int(sys.argv[1])),
    scan_commands=SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
)])
result = next(iter(scanner.get_results()))
try:
    check_server_against_tls_configuration(result, profile)
    issues = {}
except ServerNotCompliantWithTlsConfiguration as err:
    issues = err.issues
raw = json.loads(MozillaTlsConfiguration._JSON_PROFILE_PATH.read_text())
print(json.dumps({"issues": issues, "version": raw["version"],
    "openssl_ciphers": raw["configurations"]["intermediate"]["ciphers"]["openssl"]}))
"""

# What a pinned, self-signed identity (docs/security.md) necessarily differs in: no CA
# signs it, and it lives as long as the lock (a new one would look like an impostor).
_BY_DESIGN = {"certificate_path_validation", "maximum_certificate_lifespan"}


async def _mozilla_check(port: int) -> dict[str, object]:
    uv = shutil.which("uv")
    assert uv is not None, "scripts/setup installs uv"
    process = await asyncio.create_subprocess_exec(
        uv,
        "run",
        "--quiet",
        "--isolated",
        "--no-project",
        "--python",
        sys.executable,
        "--with",
        SSLYZE,
        "python",
        "-c",
        _SCAN,
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(SCAN_TIMEOUT):
        out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    result: dict[str, object] = json.loads(out)
    return result


async def test_tls_is_mozilla_intermediate(tmp_path: Path) -> None:
    """AEAD suites with forward secrecy on TLS 1.2 and 1.3, nothing else."""
    async with running_edge(tmp_path, ManualClock()) as edge:
        result = await _mozilla_check(edge.port)
    issues = result["issues"]
    assert isinstance(issues, dict)
    # No CBC, no SHA-1 MAC, no TLS 1.0/1.1, no known TLS weakness.
    assert not {"ciphers", "ciphersuites", "tls_versions"} & set(issues), issues
    assert not [name for name in issues if name.startswith("tls_vulnerability")]
    # OpenSSL's default key-exchange groups add X448 and P-521 to the profile's three
    # (Python's ssl cannot set a group list); both are stronger, not weaker.
    extra_curves = set(re.findall(r"'([^']+)'", issues.get("tls_curves", "")))
    assert extra_curves <= {"X448", "secp521r1"}, issues
    assert set(issues) <= _BY_DESIGN | {"tls_curves"}, issues
    # The list the server sets is Mozilla's, word for word and in order.
    assert result["version"] == 5.7
    assert list(MOZILLA_INTERMEDIATE_CIPHERS) == result["openssl_ciphers"]
