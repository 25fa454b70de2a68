"""The keypad and SET-button dialogue of the manual, as a state machine.

What a person does at the lock: type a password (with anti-peep digits) and confirm,
create the first admin (L-26), enter the menu with SET and an admin credential (L-20),
add admins and users with a face, palm, finger or password, delete users, hear the
system information (L-64), arm away mode (L-47), mute once (L-48), ring (L-49), lock
from outside (L-44), open the pairing window (L-65), confirm a factory reset (L-63).

Keypad buffers live only in memory and are never logged.
"""

from __future__ import annotations

import asyncio
from enum import Enum, auto
import logging
from typing import Protocol

from ezlock_edge.clock import Clock
from ezlock_edge.tasks import BackgroundTasks
from ezlock_edge.vocabulary.mcu import DoorDirection, Key, LedMode, Prompt, SetPress

from .directory import Directory
from .enrollment import Enroller, EnrollmentFailed
from .errors import (
    CapacityFullError,
    DuplicateCredentialError,
    LastAdminError,
    LockError,
    PasswordPolicyError,
    UserCredentialLimitError,
)
from .limits import PASSWORD_DIGITS
from .models import CredentialType, Role, User
from .panel import Panel
from .policy import ENTRY_MAX, check_password
from .unlock_decision import Presented, UnlockDecision

_LOGGER = logging.getLogger(__name__)

IDLE_SECONDS = 20.0  # L-03: the keypad goes dark after about 20 s without a touch
READ_OUT_LIMIT = 90.0  # L-64: longest the menu waits for the read-out to end
DIGITS = tuple(Key(d) for d in range(10))
_CHOICES = {
    Key.DIGIT_1: CredentialType.FACE,
    Key.DIGIT_2: CredentialType.PALM,
    Key.DIGIT_3: CredentialType.FINGERPRINT,
    Key.DIGIT_4: CredentialType.PASSWORD,
}
_DIRECTIONS = {Key.DIGIT_1: DoorDirection.RIGHT, Key.DIGIT_2: DoorDirection.LEFT}
_REFUSAL_PROMPTS: dict[type[LockError], Prompt] = {
    DuplicateCredentialError: Prompt.ALREADY_ENROLLED,
    CapacityFullError: Prompt.CAPACITY_FULL,
    UserCredentialLimitError: Prompt.CAPACITY_FULL,
}


class Mode(Enum):
    """Where in the dialogue the keypad is."""

    IDLE = auto()
    WELCOME = auto()  # initial state: door direction, then the first admin
    NEW_PASSWORD = auto()
    REPEAT_PASSWORD = auto()
    VERIFY_ADMIN = auto()
    MENU = auto()
    CHOOSE_CREDENTIAL = auto()
    ENROLLING = auto()
    DELETE_USER = auto()
    SYSTEM_INFO = auto()  # the lock reads its identity out (L-64)
    FACTORY_RESET = auto()


class KeypadHost(Protocol):
    """What the dialogue asks the rest of the lock to do (``KeypadActions``)."""

    async def lock_from_outside(self) -> None:
        """L-44: confirm with an empty entry locks the door."""

    async def arm_away(self) -> None:
        """L-47: the away key arms away mode."""

    async def mute_once(self) -> None:
        """L-48: holding 0 silences prompts until the next unlock from outside."""

    async def doorbell(self) -> None:
        """L-49: the doorbell key rings."""

    async def choose_door_direction(self, direction: DoorDirection) -> None:
        """L-46: set at installation."""

    async def delete_user(self, number: int) -> None:
        """L-27: delete a user and their templates."""

    async def open_pairing(self) -> None:
        """L-65: SET long press."""

    async def factory_reset(self) -> None:
        """L-63: wipe everything."""

    async def system_info(self, on: bool = True) -> None:
        """L-64: read out serial, firmware and verification code (or stop)."""


class Keypad:
    """One person's dialogue with the front keypad and the rear SET button."""

    def __init__(
        self,
        clock: Clock,
        access: UnlockDecision,
        directory: Directory,
        enroller: Enroller,
        panel: Panel,
        actions: KeypadHost,
    ) -> None:
        """Speak and light on ``panel``, act through ``actions``, decide through ``access``."""
        self._clock = clock
        self._access = access
        self._directory = directory
        self._enroller = enroller
        self._panel = panel
        self._actions = actions
        self._mode = Mode.IDLE
        self._buffer = ""
        self._first_entry = ""
        self._pending: User | None = None
        self._in_menu = False
        self._reading_since = 0.0  # when the system information read-out began
        self._timer: asyncio.Handle | None = None
        self._tasks = BackgroundTasks(_LOGGER)

    @property
    def mode(self) -> Mode:
        """Return where in the dialogue the keypad is."""
        return self._mode

    @property
    def busy(self) -> bool:
        """Return whether a menu dialogue holds the keypad and sensors."""
        return self._mode not in {Mode.IDLE, Mode.WELCOME}

    async def stop(self) -> None:
        """Forget the dialogue and cancel its background work."""
        self._cancel_timer()
        await self._tasks.cancel()
        self._reset()

    # inputs

    async def wake(self) -> None:
        """Handle a touch that lit the keypad up."""
        self._touch()
        if self._mode is Mode.IDLE and not self._directory.admin_exists:
            await self._welcome()

    async def sleep(self) -> None:
        """Drop whatever was half-typed when the keypad goes dark."""
        if self._mode is not Mode.ENROLLING:
            self._reset()

    async def set_button(self, press: SetPress) -> None:
        """SET on the rear panel (L-04)."""
        self._touch()
        if press is SetPress.LONG:
            await self._actions.open_pairing()
        elif press is SetPress.HELD_AT_POWER_UP:
            self._reset()
            self._mode = Mode.FACTORY_RESET
            await self._panel.say(Prompt.FACTORY_RESET_CONFIRM)
            await self._panel.show_keys([Key.CONFIRM])
        elif self._mode is not Mode.ENROLLING:
            self._reset()
            if not self._directory.admin_exists:
                await self._welcome()
            else:
                self._mode = Mode.VERIFY_ADMIN
                await self._panel.say(Prompt.VERIFY_ADMIN)
                await self._entry_keys()

    async def admin_presented(self, presented: Presented) -> None:
        """Use a face, palm or finger identified while the menu asks for an admin."""
        if self._mode is Mode.VERIFY_ADMIN:
            await self._verified(await self._access.verify_admin(presented))

    async def key(self, key: Key, long_press: bool = False) -> None:
        """Handle a key press (``long_press``: held until the keypad flashed)."""
        self._touch()
        if key is Key.DOORBELL:
            await self._actions.doorbell()
            return
        handler = {
            Mode.IDLE: self._idle_key,
            Mode.WELCOME: self._welcome_key,
            Mode.NEW_PASSWORD: self._new_password_key,
            Mode.REPEAT_PASSWORD: self._repeat_password_key,
            Mode.VERIFY_ADMIN: self._verify_key,
            Mode.MENU: self._menu_key,
            Mode.CHOOSE_CREDENTIAL: self._choose_key,
            Mode.ENROLLING: self._ignore_key,
            Mode.DELETE_USER: self._delete_key,
            Mode.SYSTEM_INFO: self._system_info_key,
            Mode.FACTORY_RESET: self._factory_reset_key,
        }[self._mode]
        await handler(key, long_press)

    # modes

    async def _idle_key(self, key: Key, long_press: bool) -> None:
        if not self._directory.admin_exists:
            await self._welcome()
            await self._welcome_key(key, long_press)
            return
        if key is Key.DIGIT_0 and long_press:
            self._buffer = ""
            await self._actions.mute_once()
        elif key.digit is not None:
            self._type(key, ENTRY_MAX + 1)
        elif key is Key.BACK:
            self._buffer = ""
        elif key is Key.AWAY:
            await self._actions.arm_away()
        elif key is Key.CONFIRM:
            entry, self._buffer = self._buffer, ""
            if entry:
                await self._access.attempt(self._access.by_entry(entry))
            else:
                await self._actions.lock_from_outside()

    async def _welcome(self) -> None:
        self._reset()
        self._mode = Mode.WELCOME
        await self._panel.say(Prompt.SET_DOOR_DIRECTION)
        await self._panel.say(Prompt.WELCOME_ADD_ADMIN)
        await self._panel.show_keys([Key.DIGIT_1, Key.DIGIT_2, Key.BACK, Key.CONFIRM])

    async def _welcome_key(self, key: Key, _long: bool) -> None:
        if key in _DIRECTIONS:
            await self._actions.choose_door_direction(_DIRECTIONS[key])
            await self._panel.say(Prompt.SUCCESS)
        elif key is Key.CONFIRM:
            await self._ask_password(self._directory.new_user(Role.ADMIN))
        elif key is Key.BACK:
            self._reset()
            await self._panel.dark()

    async def _ask_password(self, user: User) -> None:
        self._pending = user
        self._buffer = self._first_entry = ""
        self._mode = Mode.NEW_PASSWORD
        await self._panel.say(Prompt.ENTER_PASSWORD)
        await self._entry_keys()

    async def _new_password_key(self, key: Key, _long: bool) -> None:
        if key.digit is not None:
            await self._type_entry(key, PASSWORD_DIGITS.maximum + 1)
        elif key is Key.BACK:
            await self._step_back()
        elif key is Key.CONFIRM:
            entry, self._buffer = self._buffer, ""
            try:
                check_password(entry)
            except PasswordPolicyError as err:
                simple = err.rule in {"sequential", "repeated"}
                await self._panel.say(
                    Prompt.PASSWORD_TOO_SIMPLE if simple else Prompt.FAILURE
                )
                await self._panel.say(Prompt.ENTER_PASSWORD)
                await self._entry_keys()
                return
            self._first_entry = entry
            self._mode = Mode.REPEAT_PASSWORD
            await self._panel.say(Prompt.ENTER_PASSWORD_AGAIN)
            await self._entry_keys()

    async def _repeat_password_key(self, key: Key, _long: bool) -> None:
        if key.digit is not None:
            await self._type_entry(key, PASSWORD_DIGITS.maximum + 1)
        elif key is Key.BACK:
            await self._step_back()
        elif key is Key.CONFIRM:
            entry, self._buffer = self._buffer, ""
            first, self._first_entry = self._first_entry, ""
            assert self._pending is not None  # noqa: S101 -- set on entering the mode
            if entry != first:
                self._mode = Mode.NEW_PASSWORD
                await self._panel.say(Prompt.PASSWORD_MISMATCH)
                await self._panel.say(Prompt.ENTER_PASSWORD)
                await self._entry_keys()
                return
            try:
                self._directory.set_password(self._pending, entry)
            except LockError as err:
                await self._after_credential(
                    _REFUSAL_PROMPTS.get(type(err), Prompt.FAILURE)
                )
            else:
                await self._after_credential(Prompt.SUCCESS)

    async def _verify_key(self, key: Key, _long: bool) -> None:
        if key.digit is not None:
            await self._type_entry(key, ENTRY_MAX + 1)
        elif key is Key.BACK:
            self._reset()
            await self._panel.dark()
        elif key is Key.CONFIRM:
            entry, self._buffer = self._buffer, ""
            ok = await self._access.verify_admin(self._access.by_entry(entry))
            if not ok and self._mode is Mode.VERIFY_ADMIN:
                await self._entry_keys()
            await self._verified(ok)

    async def _verified(self, ok: bool) -> None:
        if ok:
            self._in_menu = True
            await self._menu()

    async def _menu(self) -> None:
        self._mode = Mode.MENU
        self._pending = None
        self._buffer = ""
        await self._panel.say(Prompt.MENU)
        await self._panel.show_keys(
            [Key.DIGIT_1, Key.DIGIT_2, Key.DIGIT_3, Key.BACK, Key.CONFIRM]
        )

    async def _menu_key(self, key: Key, _long: bool) -> None:
        if key in {Key.DIGIT_1, Key.DIGIT_2}:
            role = Role.ADMIN if key is Key.DIGIT_1 else Role.USER
            try:
                self._pending = self._directory.new_user(role)
            except CapacityFullError:
                await self._panel.say(Prompt.CAPACITY_FULL)
                return
            self._mode = Mode.CHOOSE_CREDENTIAL
            # L-21: "001 這三個數字會依序緩慢閃爍一次": the digits one after the other.
            await self._panel.show_number(f"{self._pending.number:03d}")
            await self._panel.say(Prompt.CHOOSE_CREDENTIAL)
            await self._panel.show_keys([*_CHOICES, Key.BACK])
        elif key is Key.DIGIT_3:
            self._mode = Mode.DELETE_USER
            await self._panel.say(Prompt.ENTER_USER_NUMBER)
        elif key is Key.CONFIRM:
            self._mode = Mode.SYSTEM_INFO
            self._reading_since = self._clock.monotonic()
            await self._actions.system_info()
        elif key is Key.BACK:
            self._reset()
            await self._panel.dark()

    async def _system_info_key(self, key: Key, _long: bool) -> None:
        """L-64: "按下「<」即可返回上一層": back stops the reading, back to the menu."""
        if key is Key.BACK:
            await self._menu()
            await self._actions.system_info(on=False)

    async def read_out_done(self) -> None:
        """L-64: "系統在完成廣播後會自動返回到上一層級": the menu again."""
        if self._mode is Mode.SYSTEM_INFO:
            self._touch()
            await self._menu()

    async def _choose_key(self, key: Key, _long: bool) -> None:
        assert self._pending is not None  # noqa: S101 -- set on entering the mode
        if key is Key.BACK:
            await self._menu()
        elif _CHOICES.get(key) is CredentialType.PASSWORD:
            await self._ask_password(self._pending)
        elif key in _CHOICES:
            self._mode = Mode.ENROLLING
            self._tasks.spawn(self._enroll(self._pending, _CHOICES[key]))

    async def _enroll(self, user: User, kind: CredentialType) -> None:
        try:
            await self._enroller.enroll(user, kind)
        except EnrollmentFailed as err:
            outcome = err.prompt
        except LockError as err:
            outcome = _REFUSAL_PROMPTS.get(type(err), Prompt.FAILURE)
        else:
            outcome = Prompt.SUCCESS
        self._touch()
        await self._after_credential(outcome)

    async def _ignore_key(self, _key: Key, _long: bool) -> None:
        """Keys do nothing while a module captures."""

    async def _delete_key(self, key: Key, _long: bool) -> None:
        if key.digit is not None:
            self._type(key, 3)
        elif key is Key.BACK:
            await self._menu()
        elif key is Key.CONFIRM and self._buffer:
            number, self._buffer = int(self._buffer), ""
            try:
                await self._actions.delete_user(number)
            except LastAdminError:
                # "您會看到用戶號碼逐一亮起，並伴隨著失敗的蜂鳴聲"
                await self._panel.show_number(f"{number:03d}")
                await self._panel.say(Prompt.CANNOT_DELETE_LAST_ADMIN)
            except LockError:
                # "您將看到使用者編號逐漸亮起，隨著出現故障聲"
                await self._panel.show_number(f"{number:03d}")
                await self._panel.say(Prompt.FAILURE)
            else:
                await self._panel.say(Prompt.USER_DELETED)
                await self._menu()

    async def _factory_reset_key(self, key: Key, _long: bool) -> None:
        self._reset()
        if key is Key.CONFIRM:
            await self._actions.factory_reset()
        await self._panel.dark()

    # helpers

    async def _after_credential(self, outcome: Prompt) -> None:
        """Leave the credential dialogue first, then say how it went.

        The state changes before anything is spoken, so whoever hears the outcome
        finds the keypad already back in the menu (or idle); a key pressed while the
        outcome is spoken (back: leave the menu) is not undone afterwards.
        """
        if self._in_menu and self._directory.admin_exists:
            self._mode = Mode.MENU
            await self._panel.say(outcome)
            if self._mode is Mode.MENU and self._in_menu:
                await self._menu()
        else:
            self._reset()
            await self._panel.say(outcome)
            await self._panel.dark()

    async def _step_back(self) -> None:
        if self._buffer:
            self._buffer = ""
            await self._entry_keys()
        elif self._in_menu:
            await self._menu()
        else:
            self._reset()
            await self._panel.dark()

    async def _entry_keys(self) -> None:
        """Light the keys for a password; ✓ waits for six digits (L-25)."""
        await self._panel.show_keys([*DIGITS, Key.BACK])

    async def _type_entry(self, key: Key, limit: int) -> None:
        """Type into a password entry: ✓ lights once six digits are in (L-25)."""
        before = len(self._buffer)
        self._type(key, limit)
        if before < PASSWORD_DIGITS.minimum <= len(self._buffer):
            await self._panel.light([Key.CONFIRM], LedMode.ON)

    def _type(self, key: Key, limit: int) -> None:
        if len(self._buffer) < limit:
            self._buffer += key.label

    def _reset(self) -> None:
        self._mode = Mode.IDLE
        self._buffer = self._first_entry = ""
        self._pending = None
        self._in_menu = False

    def _touch(self) -> None:
        self._cancel_timer()
        self._timer = self._clock.call_later(IDLE_SECONDS, self._idle)

    def _idle(self) -> None:
        self._timer = None
        if self._mode is Mode.ENROLLING:
            return
        if (
            self._mode is Mode.SYSTEM_INFO
            and self._clock.monotonic() - self._reading_since < READ_OUT_LIMIT
        ):
            self._touch()  # the voice is still reading: READ_OUT_DONE ends it
            return
        if self._mode is not Mode.IDLE:
            self._tasks.spawn(self._panel.dark())
        self._reset()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
