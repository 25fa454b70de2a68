"""Form pieces of the access flows: selectors, and what they read and show.

Weekly schedules are edited with Home Assistant's object selector (a list of windows,
each days + from + until), validity with its date-time selector (Home Assistant's time
zone), and everything a form shows about a person or a visitor is rendered here in the
language Home Assistant speaks, from the integration's own translations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
import re
from typing import Any, Final

from homeassistant.components.frontend.storage import async_user_store
from homeassistant.components.http.const import KEY_HASS_USER
from homeassistant.core import HomeAssistant
from homeassistant.helpers.http import current_request
from homeassistant.helpers.selector import (
    DateTimeSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    ObjectSelector,
    ObjectSelectorConfig,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
    TimeSelector,
)
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)
from homeassistant.util import dt as dt_util

from .client import (
    CredentialType,
    Role,
    Schedule,
    ScheduleWindow,
    User,
    VisitorCredential,
    Weekday,
)
from .const import DOMAIN

FIELD_NAME: Final = "name"
FIELD_ROLE: Final = "role"
FIELD_VALID_FROM: Final = "valid_from"
FIELD_VALID_UNTIL: Final = "valid_until"
FIELD_SCHEDULE: Final = "schedule"
FIELD_USES: Final = "uses"
FIELD_MAX_USES: Final = "max_uses"
FIELD_CODE: Final = "code"
FIELD_PASSWORD: Final = "password"  # noqa: S105 (a field name)
FIELD_TYPE: Final = "type"
FIELD_CREDENTIAL: Final = "credential"
FIELD_ACTION: Final = "action"

USES_ONE: Final = "one"
USES_COUNT: Final = "count"
USES_UNLIMITED: Final = "unlimited"

NAME_SELECTOR: Final = TextSelector()
ROLE_SELECTOR: Final = SelectSelector(
    SelectSelectorConfig(
        options=[role.value for role in Role],
        translation_key="role",
        mode=SelectSelectorMode.LIST,
    )
)
DATETIME_SELECTOR: Final = DateTimeSelector()
USES_SELECTOR: Final = SelectSelector(
    SelectSelectorConfig(
        options=[USES_ONE, USES_COUNT, USES_UNLIMITED],
        translation_key="uses",
        mode=SelectSelectorMode.LIST,
    )
)
MAX_USES_SELECTOR: Final = NumberSelector(
    NumberSelectorConfig(min=2, max=100, step=1, mode=NumberSelectorMode.BOX)
)
SECRET_SELECTOR: Final = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD)
)
CODE_SELECTOR: Final = TextSelector(TextSelectorConfig(type=TextSelectorType.TEXT))
BIOMETRIC_SELECTOR: Final = SelectSelector(
    SelectSelectorConfig(
        options=[
            CredentialType.FINGERPRINT.value,
            CredentialType.FACE.value,
            CredentialType.PALM.value,
        ],
        translation_key="credential_type",
        mode=SelectSelectorMode.LIST,
    )
)


class ScheduleError(ValueError):
    """A window of the form cannot be a schedule window (``from`` equals ``until``)."""


def schedule_from_form(value: Sequence[Mapping[str, Any]] | None) -> Schedule:
    """Read the object selector's windows; ``until`` 00:00 means midnight."""
    windows: list[ScheduleWindow] = []
    for item in value or ():
        start, end = _hhmm(item["from"]), _hhmm(item["until"])
        if end == "00:00":
            end = "24:00"
        if start == end:
            raise ScheduleError(start)
        days = [Weekday(day) for day in item["days"]]
        windows.append(
            ScheduleWindow(
                days=tuple(day for day in Weekday if day in days), start=start, end=end
            )
        )
    return tuple(windows)


def schedule_to_form(schedule: Schedule) -> list[dict[str, Any]]:
    """Show a schedule in the object selector."""
    return [
        {
            "days": [day.value for day in window.days],
            "from": f"{window.start}:00",
            "until": "00:00:00" if window.end == "24:00" else f"{window.end}:00",
        }
        for window in schedule
    ]


def _hhmm(value: str) -> str:
    return str(value)[:5]


def time_from_form(value: str | None) -> datetime | None:
    """Read a date-time selector's value, which is in Home Assistant's time zone."""
    if not value:
        return None
    parsed = dt_util.parse_datetime(value)
    if parsed is None:
        raise ValueError(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt_util.get_default_time_zone())
    return parsed


def time_to_form(value: datetime | None) -> str | None:
    """Show a time in the date-time selector (Home Assistant's time zone)."""
    if value is None:
        return None
    return dt_util.as_local(value).strftime("%Y-%m-%d %H:%M:%S")


async def async_load_words(hass: HomeAssistant, language: str | None = None) -> str:
    """Load the integration's words in ``language`` (else HA's); return the language."""
    language = language or hass.config.language
    await async_get_translations(hass, language, "selector", {DOMAIN})
    return language


async def async_user_language(hass: HomeAssistant) -> str | None:
    """Return the language chosen in the profile of the user whose request runs this.

    A flow's text that the integration writes itself (a person's summary, the
    overview's tables) goes through its description placeholders, which the frontend
    does not translate; so it is written in the language of the request's user: the
    one their profile saved (the frontend keeps it in the user's data, key
    ``language``). ``None`` outside a user's request, or when they never chose one.
    """
    request = current_request.get()
    user = request.get(KEY_HASS_USER) if request is not None else None
    if user is None or "frontend" not in hass.config.components:
        return None
    store = await async_user_store(hass, user.id)
    chosen = store.data.get("language")
    language = chosen.get("language") if isinstance(chosen, Mapping) else None
    return language if isinstance(language, str) and language else None


class Words:
    """The integration's own words in Home Assistant's language, for descriptions."""

    def __init__(self, hass: HomeAssistant, language: str | None = None) -> None:
        """Read the cached selector translations (see :func:`async_load_words`)."""
        self._hass = hass
        self._words = async_get_cached_translations(
            hass, language or hass.config.language, "selector", DOMAIN
        )

    def option(self, selector: str, value: str) -> str:
        """Translate one option of one of the integration's selectors."""
        key = f"component.{DOMAIN}.selector.{selector}.options.{value}"
        return self._words.get(key, value)

    def when(self, value: datetime | None) -> str:
        """Show a time as people read it, in Home Assistant's zone; a dash for none."""
        if value is None:
            return "—"
        return dt_util.as_local(value).strftime("%Y-%m-%d %H:%M")

    def _line(self, label: str, start: datetime | None, end: datetime | None) -> str:
        return f"- {self.option('summary', label)}: {self._span(start, end)}"

    def schedule(self, schedule: Schedule) -> str:
        """Show ``Mon, Tue 08:00-17:00; Fri 22:00-02:00`` (always, when there is none)."""
        if not schedule:
            return self.option("summary", "always")
        return "; ".join(
            ", ".join(self.option("weekday", day.value) for day in window.days)
            + f" {window.start}-{window.end}"
            for window in schedule
        )

    def _credentials(self, user: User) -> list[str]:
        return [
            self.option("credential_type", credential.type.value)
            + (f" #{credential.slot}" if credential.slot is not None else "")
            + (f" ({self.option('summary', 'duress')})" if credential.duress else "")
            for credential in user.credentials
        ]

    def person(self, user: User) -> str:
        """Show a person's role, validity, schedule and credentials as Markdown lines."""
        credentials = self._credentials(user)
        return "\n".join(
            [
                f"- {self.option('summary', 'role')}: "
                + self.option("role", user.role.value),
                self._line("valid", user.valid_from, user.valid_until),
                f"- {self.option('summary', 'schedule')}: "
                + self.schedule(user.schedule),
                f"- {self.option('summary', 'credentials')}: "
                + (", ".join(credentials) or "—"),
            ]
        )

    def visitor(self, visitor: VisitorCredential) -> str:
        """Show a visitor code's status, dates, schedule and uses as Markdown lines."""
        lines = [
            f"- {self.option('summary', 'status')}: "
            + self.option("visitor_status", visitor.status.value),
            self._line("valid", visitor.valid_from, visitor.valid_until),
            f"- {self.option('summary', 'schedule')}: "
            + self.schedule(visitor.schedule),
        ]
        if visitor.uses is not None:
            lines.append(f"- {self.option('summary', 'uses')}: {self._uses(visitor)}")
        return "\n".join(lines)

    def _uses(self, visitor: VisitorCredential) -> str:
        """``1 / 3 (left: 2)``; a dash where uses are not counted."""
        if visitor.uses is None:
            return "—"
        remaining = visitor.remaining_uses
        return (
            f"{visitor.uses} / "
            + (
                str(visitor.max_uses)
                if visitor.max_uses is not None
                else self.option("uses", USES_UNLIMITED)
            )
            + (
                f" ({self.option('summary', 'remaining')}: {remaining})"
                if remaining is not None
                else ""
            )
        )

    def people_table(self, users: Iterable[User]) -> str:
        """Show every person as one row of a Markdown table (the overview)."""
        return _table(
            [
                self.option("summary", key)
                for key in ("name", "role", "valid", "schedule", "credentials")
            ],
            [
                [
                    user.name,
                    self.option("role", user.role.value),
                    self._span(user.valid_from, user.valid_until),
                    self.schedule(user.schedule),
                    ", ".join(self._credentials(user)) or "—",
                ]
                for user in sorted(users, key=lambda user: user.number)
            ],
        )

    def visitors_table(self, visitors: Iterable[VisitorCredential]) -> str:
        """Show every visitor code and key as one row of a Markdown table."""
        return _table(
            [
                self.option("summary", key)
                for key in ("name", "kind", "status", "valid", "schedule", "uses")
            ],
            [
                [
                    visitor.name,
                    self.option("summary", visitor.kind.value),
                    self.option("visitor_status", visitor.status.value),
                    self._span(visitor.valid_from, visitor.valid_until),
                    self.schedule(visitor.schedule),
                    self._uses(visitor),
                ]
                for visitor in sorted(
                    visitors, key=lambda v: (v.status.ended, v.valid_from, v.name)
                )
            ],
        )

    def _span(self, start: datetime | None, end: datetime | None) -> str:
        if start is None and end is None:
            return self.option("summary", "always")
        return f"{self.when(start)} → {self.when(end)}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    """Render a Markdown table; a dash alone when there is no row."""
    if not rows:
        return "—"
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join(
        "| " + " | ".join(_cell(value) for value in line) + " |" for line in lines
    )


def _cell(value: str) -> str:
    """Escape a value so that a name cannot break the table or become Markdown."""
    return _MARKDOWN.sub(r"\\\g<0>", value.replace("\n", " "))


_MARKDOWN: Final = re.compile(r"[\\`*_{}\[\]<>()|#!~]")


def schedule_selector(words: Words) -> ObjectSelector:
    """Edit a weekly schedule as a list of windows: days, from, until.

    The days carry their names in Home Assistant's language: the frontend translates
    the object selector's field names, but not the options of a select inside it.
    """
    days = [
        SelectOptionDict(value=day.value, label=words.option("weekday", day.value))
        for day in Weekday
    ]
    return ObjectSelector(
        ObjectSelectorConfig(
            multiple=True,
            translation_key="schedule",
            fields={
                "days": {
                    "required": True,
                    "selector": SelectSelector(
                        SelectSelectorConfig(options=days, multiple=True)
                    ),
                },
                "from": {"required": True, "selector": TimeSelector()},
                "until": {"required": True, "selector": TimeSelector()},
            },
        )
    )


def grouped(code: str) -> str:
    """``4821 3907``: a code grouped by four, easy to read out."""
    return " ".join(code[i : i + 4] for i in range(0, len(code), 4))
