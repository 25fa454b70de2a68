"""The simulator's control actions and the JSON body each one takes.

One table serves the Python API's generic ``handle``, the HTTP surface and the CLI.
Bodies may carry every value as a string (``"true"``, ``"0.2"``, ``"1,2,confirm"``):
that is what ``ezlock-edge sim ACTION key=value`` sends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import voluptuous as vol

from ezlock_edge.vocabulary.mcu import Key

LINKS = ("mcu", "fingerprint", "face", "palm")
"""The four simulated UART links, named as in ``SimulatedLock.ports``."""
MODULE_LINKS = LINKS[1:]
"""The links of the three biometric modules."""
KEY_NAMES = tuple(key.label for key in Key)

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    raise vol.Invalid("expected true or false")


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise vol.Invalid("expected a number")
    try:
        return float(value)
    except (TypeError, ValueError) as err:
        raise vol.Invalid("expected a number") from err


def _key_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise vol.Invalid("expected a list of key names")
    return [vol.In(KEY_NAMES)(key) for key in value]


_IDENTITY = vol.All(str, vol.Length(min=1, max=64))

MAX_ADVANCE = 7 * 24 * 3600
"""Longest single move of a manual clock, in seconds (a week: visitor-code windows)."""


SIM_HTTP_PORT = 8766
"""Where ``ezlock-edge run`` serves the control surface and ``ezlock-edge sim`` looks."""


@dataclass(frozen=True, slots=True)
class Action:
    """One control action: its JSON body schema and what it does, in a line."""

    name: str
    summary: str
    fields: dict[Any, Any]  # voluptuous markers → validators
    schema: vol.Schema = field(init=False, repr=False, compare=False)
    """The body schema; unknown fields are refused."""

    def __post_init__(self) -> None:
        """Compile the schema once, not at every request of the control surface.

        Compiling took most of a small body's validation time (a benchmark's press).
        """
        object.__setattr__(
            self, "schema", vol.Schema(self.fields, extra=vol.PREVENT_EXTRA)
        )


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "keypad",
            "touch the keypad (waking it), press keys, then long-press `hold`",
            {
                vol.Optional("keys", default=list): _key_list,
                vol.Optional("hold"): vol.In(KEY_NAMES),
            },
        ),
        Action(
            "finger",
            "lay a finger on the fingerprint reader",
            {vol.Required("id"): _IDENTITY},
        ),
        Action(
            "face",
            "step in front of the lock (face module)",
            {
                vol.Required("id"): _IDENTITY,
                vol.Optional("spoof", default=False): _boolean,
            },
        ),
        Action(
            "palm",
            "hold a palm in front of the palm-vein module",
            {
                vol.Required("id"): _IDENTITY,
                vol.Optional("spoof", default=False): _boolean,
            },
        ),
        Action(
            "bluetooth",
            "a phone presents a Bluetooth key, to unlock (default) or to lock",
            {
                vol.Required("key"): vol.All(str, vol.Length(min=1, max=64)),
                vol.Optional("action", default="unlock"): vol.In(("unlock", "lock")),
            },
        ),
        Action(
            "mechanical_key",
            "turn the mechanical key",
            {vol.Optional("turn", default="unlock"): vol.In(("unlock", "lock"))},
        ),
        Action(
            "door",
            "open or close the door",
            {vol.Required("state"): vol.In(("open", "closed"))},
        ),
        Action(
            "set_button",
            "press the rear SET button (power_up: held while the battery goes in)",
            {vol.Required("press"): vol.In(("short", "long", "power_up"))},
        ),
        Action("lock_button", "press the rear electronic lock button", {}),
        Action(
            "tamper",
            "pry the front panel off (removed=false puts it back)",
            {vol.Optional("removed", default=True): _boolean},
        ),
        Action(
            "battery",
            "set the battery charge",
            {vol.Required("percent"): vol.All(_number, vol.Range(min=0, max=100))},
        ),
        Action(
            "emergency_power",
            "plug a power bank into the front USB-C port",
            {vol.Required("connected"): _boolean},
        ),
        Action(
            "jam",
            "make the next motor movement end jammed",
            {vol.Optional("next", default=True): _boolean},
        ),
        Action(
            "noise",
            "damage bytes on a link at `rate` (0..1)",
            {
                vol.Required("link"): vol.In(LINKS),
                vol.Required("rate"): vol.All(_number, vol.Range(min=0, max=1)),
            },
        ),
        Action("unplug", "unplug a link", {vol.Required("link"): vol.In(LINKS)}),
        Action("replug", "plug a link back", {vol.Required("link"): vol.In(LINKS)}),
        Action(
            "restart_module",
            "power-cycle a biometric module (it forgets RAM and announces itself)",
            {vol.Required("link"): vol.In(MODULE_LINKS)},
        ),
        Action(
            "replace_module",
            "take a biometric module out for a new, empty one (replug plugs it in)",
            {vol.Required("link"): vol.In(MODULE_LINKS)},
        ),
        Action(
            "clock",
            "read the lock's time; advance=SECONDS moves a manual clock forward",
            {
                vol.Optional("advance"): vol.All(
                    _number, vol.Range(min=0, max=MAX_ADVANCE)
                )
            },
        ),
        Action(
            "at_door",
            "someone comes to the door, in the camera's view (leave=true: walks away)",
            {
                vol.Optional("name", default="someone"): _IDENTITY,
                vol.Optional("leave", default=False): _boolean,
            },
        ),
        Action(
            "camera_cable",
            "pull the camera's cable (connected=false) or plug it back",
            {vol.Required("connected"): _boolean},
        ),
        Action("label", "read the sticker: serial number, verification code", {}),
        Action("panel", "look at the lock: LEDs, prompts, siren, bolt, door", {}),
    )
}

READ_ONLY_ACTIONS = frozenset({"label", "panel"})
"""Actions that only look (HTTP GET)."""
READABLE_ACTIONS = READ_ONLY_ACTIONS | {"clock"}
"""Actions a GET may run (with an empty body): ``clock`` only reads when asked so."""
