"""The client is a library: it imports without Home Assistant, under any package name.

It is loaded here the way a published package would be (its folder as a top-level
package named ``ezlock_client``) in a fresh interpreter, and must parse a reply without
one ``homeassistant`` module loaded.
"""

from __future__ import annotations

import copy
from pathlib import Path
import re
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from custom_components.ezlock.client import (
    CredentialType,
    EventPage,
    EzlockProtocolError,
    LockInfo,
    LockState,
    VisitorCredential,
    VisitorKind,
    parse_event,
)

CLIENT = Path(__file__).parents[2] / "custom_components" / "ezlock" / "client"

STANDALONE = textwrap.dedent(
    """
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location(
        "ezlock_client", sys.argv[1] + "/__init__.py",
        submodule_search_locations=[sys.argv[1]],
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["ezlock_client"] = module
    spec.loader.exec_module(module)
    info = module.LockInfo.from_json({
        "serial": "S", "model": "M", "firmware": "1", "api_version": 1,
        "pairing_open": False, "tls_fingerprint": None,
    })
    module.ensure_supported(info)
    loaded = sorted(name for name in sys.modules if name.split(".")[0] == "homeassistant")
    print(module.__version__, loaded)
    """
)


def test_imports_without_home_assistant() -> None:
    """No module of the client imports Home Assistant, directly or not."""
    result = subprocess.run(
        [sys.executable, "-c", STANDALONE, str(CLIENT)],
        capture_output=True,
        text=True,
        check=True,
    )
    version, loaded = result.stdout.split(" ", 1)
    assert loaded.strip() == "[]"
    assert version
    assert (CLIENT / "py.typed").is_file()


def test_only_relative_imports() -> None:
    """Nothing names the folder it lives in, so it can move into a package unchanged."""
    for module in CLIENT.glob("*.py"):
        text = module.read_text()
        assert "custom_components" not in text, module.name
        assert "homeassistant" not in text.replace("Home Assistant", ""), module.name


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ([], "info: expected an object"),
        ({"serial": "S"}, "info.model: missing"),
        (
            {
                "serial": "S",
                "model": "M",
                "firmware": "1",
                "api_version": True,
                "pairing_open": False,
                "tls_fingerprint": None,
            },
            "info.api_version: expected an integer",
        ),
        (
            {
                "serial": "S",
                "model": "M",
                "firmware": "1",
                "api_version": 1,
                "pairing_open": "no",
                "tls_fingerprint": None,
            },
            "info.pairing_open: expected a boolean",
        ),
    ],
)
def test_malformed_reply_names_the_field(data: object, field: str) -> None:
    """A reply that breaks docs/api.md fails as a protocol error naming the field."""
    with pytest.raises(EzlockProtocolError, match=field.replace(".", r"\.")):
        LockInfo.from_json(data)


def test_malformed_nested_values() -> None:
    """Times need their offset, enums their documented values, lists their objects."""
    visitor = {
        "id": "tp_1",
        "name": "Cleaner",
        "valid_from": "2026-01-01T12:00:00",
        "valid_until": "2026-01-01T13:00:00+00:00",
        "max_uses": 1,
        "uses": 0,
        "created": "2026-01-01T12:00:00+00:00",
    }
    with pytest.raises(EzlockProtocolError, match="valid_from: expected a time with"):
        VisitorCredential.from_json(VisitorKind.TEMPORARY_PASSWORD, visitor)
    with pytest.raises(EzlockProtocolError, match="valid_from: expected an ISO"):
        VisitorCredential.from_json(
            VisitorKind.TEMPORARY_PASSWORD, visitor | {"valid_from": "noon"}
        )
    with pytest.raises(EzlockProtocolError, match=r"state\.\w+: missing"):
        LockState.from_json({})
    with pytest.raises(EzlockProtocolError, match=r"event\.time: expected a string"):
        parse_event({"seq": 1, "type": "doorbell", "time": 5})


STATE: dict[str, Any] = {
    "bolt": "locked",
    "door": "closed",
    "battery_percent": 100,
    "low_battery": False,
    "power_source": "battery",
    "tamper": False,
    "wifi_enabled": True,
    "wifi_rssi": -56,
    "bluetooth": "idle",
    "door_direction": "right",
    "lockout_active": False,
    "lockout_until": None,
    "pairing_open": False,
    "pairing_until": None,
    "away_mode": False,
    "muted": False,
    "volume": 2,
    "remote_unlock_enabled": True,
    "lockout_protection": True,
    "require_pin_for_remote": False,
    "countdown_lock_enabled": False,
    "countdown_lock_seconds": 30,
    "countdown_lock_at": None,
    "admin_exists": True,
    "devices": {
        "mcu": "connected",
        "fingerprint": "connected",
        "face": "connected",
        "palm": "connected",
    },
    "users": {"count": 1},
    "credentials": {
        "face": {"count": 0, "capacity": 50},
        "palm": {"count": 0, "capacity": 50},
        "fingerprint": {"count": 1, "capacity": 50},
        "password": {"count": 1, "capacity": 50},
    },
    "temporary_passwords": 0,
    "bluetooth_keys": 0,
    "last_operation": {
        "type": "locked",
        "method": None,
        "source": "remote",
        "user": None,
        "visitor": None,
        "time": "2026-12-02T00:53:49.121729+00:00",
    },
    "last_seq": 255,
    "camera": {
        "available": False,
        "reason": "not_configured",
        "viewers": 0,
        "width": 640,
        "height": 480,
        "fps": 5,
    },
}


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (
            ("credentials", "face", "count"),
            True,
            "state.credentials.face.count: expected an integer",
        ),
        (("camera", "width"), "640", "state.camera.width: expected an integer"),
        (("camera",), [], "state.camera: expected an object"),
        (
            ("last_operation", "time"),
            "noon",
            "state.last_operation.time: expected an ISO",
        ),
        (("devices", "mcu"), 1, "state.devices.mcu: expected a string"),
        (("muted",), 0, "state.muted: expected a boolean"),
    ],
)
def test_a_state_names_the_nested_field_it_refuses(
    path: tuple[str, ...], value: object, error: str
) -> None:
    """The path of a nested field is spelt out in full (it is built only for an error)."""
    assert LockState.from_json(STATE).credentials[CredentialType.FINGERPRINT].count == 1
    broken = copy.deepcopy(STATE)
    target = broken
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(EzlockProtocolError, match=re.escape(error)):
        LockState.from_json(broken)


def test_malformed_values_of_each_kind() -> None:
    """Counts below their floor, values outside an enum, a list that is not one."""
    info = {
        "serial": "S",
        "model": "M",
        "firmware": "1",
        "api_version": 1,
        "pairing_open": False,
        "tls_fingerprint": None,
    }
    LockInfo.from_json(info)
    with pytest.raises(
        EzlockProtocolError, match=r"event\.seq: expected an integer of"
    ):
        parse_event({"seq": 0, "type": "doorbell", "time": "2026-01-01T00:00:00Z"})
    with pytest.raises(EzlockProtocolError, match=r"event\.state: expected one of"):
        parse_event(
            {"seq": 1, "type": "door", "time": "2026-01-01T00:00:00Z", "state": "ajar"}
        )
    with pytest.raises(EzlockProtocolError, match=r"events\.events: expected a list"):
        EventPage.from_json({"events": {}, "last_seq": 0})


def test_malformed_slot_lists() -> None:
    """A slot list must be a list of integers from 0, never booleans."""
    event = {
        "seq": 1,
        "type": "templates_deleted",
        "time": "2026-01-01T00:00:00Z",
        "credential_type": "face",
    }
    with pytest.raises(EzlockProtocolError, match=r"event\.slots: expected a list"):
        parse_event(event | {"slots": 3})
    with pytest.raises(EzlockProtocolError, match=r"event\.slots\.1: expected an int"):
        parse_event(event | {"slots": [3, True]})
    with pytest.raises(EzlockProtocolError, match=r"event\.slots\.0: expected an int"):
        parse_event(event | {"slots": [-1]})


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"days": [], "from": "08:00", "until": "09:00"}, "days: expected a list"),
        (
            {"days": ["mon", "someday"], "from": "08:00", "until": "09:00"},
            "days: expected weekdays",
        ),
        ({"days": ["mon"], "from": "24:30", "until": "09:00"}, "from: expected a time"),
        ({"days": ["mon"], "from": "08:00", "until": "9:60"}, "until: expected a time"),
    ],
)
def test_malformed_schedule_window(window: dict[str, object], field: str) -> None:
    """A window needs weekdays and HH:MM times (24:00 is the day's end, nothing later)."""
    visitor = {
        "id": "tp_1",
        "name": "Cleaner",
        "valid_from": "2026-01-01T12:00:00+00:00",
        "valid_until": "2026-01-01T13:00:00+00:00",
        "max_uses": 1,
        "uses": 0,
        "created": "2026-01-01T12:00:00+00:00",
        "status": "active",
    }
    ends = {"days": ["sun"], "from": "22:00", "until": "24:00"}
    parsed = VisitorCredential.from_json(
        VisitorKind.TEMPORARY_PASSWORD, visitor | {"schedule": [ends]}
    )
    assert [window.as_json() for window in parsed.schedule] == [ends]
    with pytest.raises(EzlockProtocolError, match=rf"schedule\[0\]\.{field}"):
        VisitorCredential.from_json(
            VisitorKind.TEMPORARY_PASSWORD, visitor | {"schedule": [window]}
        )
