"""A real Home Assistant, in this process, with the ezlock integration from the tree."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
from dataclasses import dataclass
from pathlib import Path
import socket

from homeassistant import bootstrap, runner
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er

from .edge import EdgeProcess

REPO = Path(__file__).parents[1]


@contextlib.contextmanager
def _reserved_port() -> Iterator[int]:
    """Hold a free loopback port for Home Assistant's HTTP server until it binds it.

    Home Assistant's ``http`` takes a port number (1-65535), not a socket. A socket
    bound here with SO_REUSEADDR and never listening keeps the port from every other
    bind (port 0 or this number) while still letting Home Assistant's server, which
    binds with SO_REUSEADDR too, take it; a port picked, closed and handed over would
    be free for anyone meanwhile.
    """
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        yield port


@contextlib.asynccontextmanager
async def home_assistant(config_dir: Path) -> AsyncIterator[HomeAssistant]:
    """Boot Home Assistant on ``config_dir`` with nothing but what ezlock needs."""
    (config_dir / "custom_components").mkdir(parents=True, exist_ok=True)
    link = config_dir / "custom_components" / "ezlock"
    if not link.exists():
        link.symlink_to(REPO / "custom_components" / "ezlock")
    with _reserved_port() as port:
        (config_dir / "configuration.yaml").write_text(
            "homeassistant:\n  name: benchmark\n"
            f"http:\n  server_host: 127.0.0.1\n  server_port: {port}\n"
            "logger:\n  default: critical\n"
            "  logs:\n    custom_components.ezlock: warning\n"
        )
        hass = await bootstrap.async_setup_hass(
            runner.RuntimeConfig(config_dir=str(config_dir), skip_pip=True)
        )
    assert hass is not None
    await hass.async_start()
    try:
        yield hass
    finally:
        await hass.async_stop()


@dataclass
class PairedLock:
    """A lock as Home Assistant sees it: its config entry and entity ids."""

    edge: EdgeProcess
    entry: ConfigEntry
    lock_entity: str
    access_entity: str


async def add_lock(hass: HomeAssistant, edge: EdgeProcess) -> PairedLock:
    """Pair ``edge`` through the real config flow, as a person would."""
    flow = hass.config_entries.flow
    result = await flow.async_init("ezlock", context={"source": "user"})
    result = await flow.async_configure(
        result["flow_id"], {"host": edge.host, "port": edge.port}
    )
    await edge.sim("set_button", press="long")
    while result["type"] is FlowResultType.SHOW_PROGRESS:
        await asyncio.sleep(0.05)
        result = await flow.async_configure(result["flow_id"])
    if result["type"] is FlowResultType.SHOW_PROGRESS_DONE:
        result = await flow.async_configure(result["flow_id"])
    code = (await edge.label())["verification_code"]
    result = await flow.async_configure(result["flow_id"], {"verification_code": code})
    if result["type"] is not FlowResultType.CREATE_ENTRY:
        raise RuntimeError(f"pairing through the config flow failed: {result}")
    entry = result["result"]
    await hass.async_block_till_done()
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    lock_entity = next(e.entity_id for e in entities if e.domain == "lock")
    access_entity = next(
        e.entity_id
        for e in entities
        if e.domain == "event" and e.translation_key == "access"
    )
    return PairedLock(edge, entry, lock_entity, access_entity)
