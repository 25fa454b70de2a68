"""Zeroconf advertisement, so Home Assistant finds the lock without typing an address.

The TXT record is a hint, never a credential: anyone on the LAN can advertise anything,
so clients take the certificate pin over the API at pairing, not from here.
"""

from __future__ import annotations

from dataclasses import dataclass
import ipaddress
import logging
import socket
from typing import TYPE_CHECKING

import ifaddr

if TYPE_CHECKING:
    # zeroconf (about 8 MiB) is imported when a lock starts advertising, not before:
    # --no-zeroconf, the tests and the embedded driver never load it.
    from zeroconf import ServiceInfo
    from zeroconf.asyncio import AsyncZeroconf

from .version import API_VERSION

_LOGGER = logging.getLogger(__name__)

WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::"})  # noqa: S104 - names, not binds
"""Bind addresses that mean every interface (the daemon's ``host`` setting)."""

SERVICE_TYPE = "_ezlock._tcp.local."


@dataclass(frozen=True, slots=True)
class Advertisement:
    """What the lock tells the LAN about itself."""

    serial: str
    model: str
    firmware: str
    port: int
    fingerprint: str | None  # None on plain HTTP
    api_version: int = API_VERSION
    name: str | None = None  # the place the lock is known by, if one was set

    @property
    def instance_name(self) -> str:
        """Return the service instance name, unique per lock."""
        return f"ezlock-{self.serial}.{SERVICE_TYPE}"

    def properties(self) -> dict[str, str]:
        """Return the TXT record: ``serial``, ``model``, ``fw``, ``api``, ``fp``, ``name``."""
        txt = {
            "serial": self.serial,
            "model": self.model,
            "fw": self.firmware,
            "api": str(self.api_version),
        }
        if self.name is not None:
            txt["name"] = self.name
        if self.fingerprint is not None:
            txt["fp"] = self.fingerprint
        return txt

    def service_info(self, addresses: list[str]) -> ServiceInfo:
        """Build the zeroconf record for ``addresses``."""
        from zeroconf import ServiceInfo  # noqa: PLC0415 -- see the imports

        return ServiceInfo(
            SERVICE_TYPE,
            self.instance_name,
            port=self.port,
            properties=self.properties(),
            server=f"ezlock-{self.serial.lower()}.local.",
            parsed_addresses=addresses,
        )


def advertised_addresses(host: str) -> list[str]:
    """Return the addresses to announce for a server bound to ``host``.

    A wildcard bind is reachable on every non-loopback interface address.
    """
    if host not in WILDCARD_HOSTS:
        return [host]
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if isinstance(ip.ip, str) and host != "::":
                address = ipaddress.ip_address(ip.ip)
            elif isinstance(ip.ip, tuple) and host == "::":
                address = ipaddress.ip_address(ip.ip[0])
            else:
                continue
            if not (address.is_loopback or address.is_link_local):
                found.append(str(address))
    return found or [socket.gethostbyname(socket.gethostname())]


class Advertiser:
    """Registers the service on start and withdraws it on stop."""

    def __init__(self, advertisement: Advertisement, host: str) -> None:
        """Prepare to advertise ``advertisement`` for a server bound to ``host``."""
        self._info = advertisement.service_info(advertised_addresses(host))
        self._zeroconf: AsyncZeroconf | None = None

    async def start(self) -> None:
        """Announce the service (renaming it if another lock holds the name)."""
        from zeroconf.asyncio import AsyncZeroconf  # noqa: PLC0415 -- see the imports

        self._zeroconf = AsyncZeroconf()
        await self._zeroconf.async_register_service(self._info, allow_name_change=True)
        _LOGGER.info(
            "Advertising %s on %s", self._info.name, self._info.parsed_addresses()
        )

    async def stop(self) -> None:
        """Withdraw the service and close the responder."""
        if self._zeroconf is None:
            return
        await self._zeroconf.async_unregister_all_services()
        await self._zeroconf.async_close()
        self._zeroconf = None
