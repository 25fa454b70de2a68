"""Validated reading of the edge driver's JSON replies.

Every model parses through a :class:`Reader`, so a reply that breaks the documented
shape (a missing field, a string where a number belongs, ``true`` where an integer
belongs) raises one :class:`~.errors.EzlockProtocolError` that names the field, instead
of a ``KeyError`` or a wrong value deep inside the caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from enum import StrEnum
import functools
from typing import cast

from .errors import EzlockProtocolError

type JsonValue = (
    bool | int | float | str | list[JsonValue] | dict[str, JsonValue] | None
)
type JsonObject = dict[str, JsonValue]


@functools.cache
def _members(enum: type[StrEnum]) -> Mapping[str, StrEnum]:
    """Return ``enum``'s members by value (a dict lookup: every state push reads five)."""
    return {member.value: member for member in enum}


class Reader:
    """One JSON object of a reply, read field by field with its path for errors.

    Read at every message of the push stream: a field is one dict lookup and one type
    check, and a nested object's path is only spelt out for an error.
    """

    __slots__ = ("_data", "_key", "_parent", "_root")

    def __init__(self, data: object, path: str) -> None:
        """Refuse anything but an object with string keys."""
        if not isinstance(data, dict):
            raise EzlockProtocolError(f"{path}: expected an object")
        self._data = cast("JsonObject", data)
        self._root = path
        self._parent: Reader | None = None
        self._key = ""

    @property
    def path(self) -> str:
        """Where this object sits in the reply, for error messages."""
        if self._parent is None:
            return self._root
        return f"{self._parent.path}.{self._key}"

    @property
    def data(self) -> Mapping[str, JsonValue]:
        """The object as sent (a plain dict, so that ``dataclasses.asdict`` copies it)."""
        return self._data

    def _fail(self, key: str, expected: str) -> EzlockProtocolError:
        return EzlockProtocolError(f"{self.path}.{key}: expected {expected}")

    def _get(self, key: str) -> JsonValue:
        try:
            return self._data[key]
        except KeyError:
            raise EzlockProtocolError(f"{self.path}.{key}: missing") from None

    def text(self, key: str) -> str:
        """Read a string."""
        value = self._get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def optional_text(self, key: str) -> str | None:
        """Read a string or ``null`` (or nothing)."""
        return None if self._data.get(key) is None else self.text(key)

    def integer(self, key: str, minimum: int | None = None) -> int:
        """Read an integer (never a boolean), at least ``minimum`` if given."""
        value = self._get(key)
        if type(value) is not int:  # JSON's integers are ints, never a subclass
            raise self._fail(key, "an integer")
        if minimum is not None and value < minimum:
            raise self._fail(key, f"an integer of at least {minimum}")
        return value

    def optional_integer(self, key: str, minimum: int | None = None) -> int | None:
        """Read an integer or ``null`` (or nothing)."""
        return None if self._data.get(key) is None else self.integer(key, minimum)

    def integers(self, key: str, minimum: int | None = None) -> tuple[int, ...]:
        """Read a list of integers (never booleans), each at least ``minimum``."""
        value = self._get(key)
        if not isinstance(value, list):
            raise self._fail(key, "a list")
        items = {str(index): item for index, item in enumerate(value)}
        reader = Reader(items, f"{self.path}.{key}")
        return tuple(reader.integer(index, minimum) for index in items)

    def boolean(self, key: str) -> bool:
        """Read a boolean."""
        value = self._get(key)
        if value is not True and value is not False:
            raise self._fail(key, "a boolean")
        return value

    def time(self, key: str) -> datetime:
        """Read an ISO-8601 time with its UTC offset (docs/api.md, Transport)."""
        value = self.text(key)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self._fail(key, "an ISO-8601 time") from None
        if parsed.utcoffset() is None:
            raise self._fail(key, "a time with a UTC offset")
        return parsed

    def optional_time(self, key: str) -> datetime | None:
        """Read a time or ``null`` (or nothing)."""
        return None if self._data.get(key) is None else self.time(key)

    def choice[E: StrEnum](self, key: str, enum: type[E]) -> E:
        """Read one of the values of ``enum``."""
        value = self.text(key)
        member = _members(enum).get(value)
        if member is None:
            choices = ", ".join(member.value for member in enum)
            raise self._fail(key, f"one of {choices}")
        return cast("E", member)

    def child(self, key: str) -> Reader:
        """Read a nested object."""
        data = self._get(key)
        if not isinstance(data, dict):
            raise EzlockProtocolError(f"{self.path}.{key}: expected an object")
        child = Reader.__new__(Reader)
        child._data = data  # noqa: SLF001 -- a Reader of our own making
        child._parent = self  # noqa: SLF001
        child._key = key  # noqa: SLF001
        child._root = ""  # noqa: SLF001
        return child

    def optional_child(self, key: str) -> Reader | None:
        """Read a nested object or ``null`` (or nothing)."""
        return None if self._data.get(key) is None else self.child(key)

    def children(self, key: str) -> Iterator[Reader]:
        """Read each object of a list."""
        value = self._get(key)
        if not isinstance(value, list):
            raise self._fail(key, "a list")
        for index, item in enumerate(value):
            yield Reader(item, f"{self.path}.{key}[{index}]")

    def mapping(self, key: str) -> Mapping[str, JsonValue]:
        """Read a nested object as it is (free-form fields such as ``changes``)."""
        return self.child(key).data

    def text_mapping(self, key: str) -> Mapping[str, str]:
        """Read a nested object whose every value is a string."""
        child = self.child(key)
        return {name: child.text(name) for name in child.data}
