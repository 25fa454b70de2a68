"""``LockCore``: the one facade the API layer uses, over the lock's parts.

The parts are built and wired by ``LockAssembly`` (:mod:`.assembly`); each API route is
one method here that hands the request to the part it concerns:

- ``mechanism`` (bolt, door, battery, alarms, countdown), ``panel`` (voice, LEDs),
  ``settings`` (stored and pushed to the MCU);
- ``directory`` (users, credentials), ``visitors`` (temporary passwords, Bluetooth
  keys), ``templates`` (the credentials' module templates),
  ``access`` (the unlock decision), ``lockout``, ``pairing`` and ``clients``;
- ``keypad`` (the dialogue) with ``keypad_actions``, ``enroller``, ``identification``;
- ``mcu_events``, the one handler of what the MCU reports; ``state``, its announcer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
import logging
from types import EllipsisType
from typing import Any

from .assembly import LockAssembly
from .errors import (
    AdminRequiredError,
    DuplicateCredentialError,
    EnrollmentBusyError,
    InvalidRequestError,
    NoAdminPinError,
)
from .events import Event
from .limits import COUNTDOWN_SECONDS
from .models import (
    Client,
    ClientRole,
    Credential,
    CredentialType,
    Enrollment,
    JsonDict,
    Role,
    Settings,
    User,
    VisitorCredential,
    VisitorKind,
)
from .schedule import Schedule
from .state import StateCallback
from .templates import TemplateReport
from .validation import check_range, parse_enum

_LOGGER = logging.getLogger(__name__)

# Settings that decide who can open the door, and how easily.
SECURITY_SETTINGS = frozenset(
    {"remote_unlock_enabled", "lockout_protection", "require_pin_for_remote"}
)

type EventCallback = Callable[[Event], None]


class LockCore(LockAssembly):
    """The facade: every API route is one method here (docs/api.md)."""

    def subscribe(
        self, on_event: EventCallback, on_state: StateCallback
    ) -> Callable[[], None]:
        """Hear every new event and every state change; return the unsubscribe."""
        unsubscribe_events = self.events.subscribe(on_event)
        unsubscribe_state = self._state.subscribe(on_state)

        def unsubscribe() -> None:
            unsubscribe_events()
            unsubscribe_state()

        return unsubscribe

    # bolt (L-43, L-44, L-45)

    async def lock(self, source: str = "remote") -> None:
        """Throw the bolt; ``bolt`` events follow as it moves."""
        await self._mechanism.lock(source, refuse_if_moving=source == "remote")

    async def unlock_remote(self, client_id: str, pin: str | None = None) -> None:
        """Unlock from the app, only while remote unlock is enabled (L-43).

        ``pin``: an admin's password, needed when ``require_pin_for_remote`` is on.
        """
        self._require_admin()
        _LOGGER.info("Remote unlock by client %s", client_id)
        await self._access.remote(pin)

    @property
    def _pin_required(self) -> bool:
        """Whether remote changes need an admin's PIN, which some admin must keep."""
        return self._settings.current.require_pin_for_remote

    async def check_remote_pin(self, pin: str | None, action: str) -> None:
        """Refuse an admin change without a valid admin PIN, when the lock requires one.

        ``pin_required``, ``invalid_pin`` (counted towards the lockout, L-42) or
        ``locked_out``; ``action`` names the change in the ``remote_pin_failed`` event.
        """
        await self._access.check_remote_pin(pin, action)

    async def countdown_lock(self, seconds: int) -> datetime:
        """Lock ``seconds`` from now, once (L-45); return when."""
        check_range("seconds", seconds, COUNTDOWN_SECONDS)
        self._mechanism.start_countdown(seconds)
        return self._clock.now() + timedelta(seconds=seconds)

    # settings

    def get_settings(self) -> Settings:
        """Return the current settings."""
        return self._settings.current

    async def update_settings(self, **changes: Any) -> Settings:
        """Change some settings (validated), store them, and apply them to the lock.

        ``require_pin_for_remote`` is only switched on while some admin has a
        password: otherwise no admin change could ever be sent again.
        """
        if SECURITY_SETTINGS & set(changes):
            # L-26: before the first admin exists the lock is in its initial state and
            # nothing about who can open it may change (issue #11.8).
            self._require_admin()
        if (
            changes.get("require_pin_for_remote") is True
            and self._directory.admin_with_password() is None
        ):
            raise NoAdminPinError(
                "Give an admin a password first: the PIN is an admin's password"
            )
        return await self._settings.update(changes)

    # users (L-20 .. L-28)

    async def list_users(self) -> list[User]:
        """Return every user."""
        return self._directory.users()

    async def get_user(self, number: int) -> User:
        """Return one user (``user_not_found``)."""
        return self._directory.user(number)

    def describe_user(self, user: User) -> JsonDict:
        """Return the API's user object, with the user's credentials."""
        return user.as_dict(self._directory.credentials(user.number))

    async def create_user(
        self,
        name: str,
        role: Role | str = Role.USER,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        schedule: Schedule | None = None,
    ) -> User:
        """Add a user; credentials follow with a password or an enrollment."""
        self._require_admin()
        return self._directory.create_user(
            name, parse_enum(Role, role, "role"), valid_from, valid_until, schedule
        )

    async def update_user(self, number: int, **changes: Any) -> User:
        """Change name, role or validity period (``last_admin``, ``user_not_found``)."""
        if "role" in changes:
            changes["role"] = parse_enum(Role, changes["role"], "role")
        return self._directory.update_user(
            number, changes, keep_admin_pin=self._pin_required
        )

    async def delete_user(self, number: int) -> None:
        """Delete a user, their credentials and their templates (L-27)."""
        await self._templates.delete_user(number, keep_admin_pin=self._pin_required)

    # credentials (L-22 .. L-25, L-29, L-32)

    async def set_password(self, number: int, password: str) -> Credential:
        """Give a user a password (L-25: ``password_policy`` names the broken rule)."""
        self._require_admin()
        return self._directory.set_password(self._directory.user(number), password)

    async def list_credentials(self, user: int | None = None) -> list[Credential]:
        """Return every credential, or one user's."""
        return self._directory.credentials(user)

    def describe_credential(self, credential: Credential) -> JsonDict:
        """Return the API's credential object."""
        return self._directory.describe(credential)

    async def set_duress(self, credential_id: str, duress: bool) -> Credential:
        """Make a credential the duress one (L-29) or not."""
        return self._directory.set_duress(credential_id, duress)

    async def delete_credential(self, credential_id: str) -> None:
        """Delete a credential and its module template."""
        await self._templates.delete_credential(
            credential_id, keep_admin_pin=self._pin_required
        )

    # module templates (templates another host stored, templates a module lost)

    async def check_templates(self) -> list[TemplateReport]:
        """Read every biometric module now and compare it with the lock's credentials."""
        return await self._templates.reports()

    async def delete_templates(
        self, credential_type: CredentialType | str, slots: list[int]
    ) -> TemplateReport:
        """Delete templates no credential owns from a module (``template_in_use``).

        Refused while an enrollment runs (``enrollment_busy``): it may be storing one.
        """
        kind = parse_enum(CredentialType, credential_type, "credential_type")
        if self._enroller.busy:
            raise EnrollmentBusyError("An enrollment is running: try when it has ended")
        return await self._templates.delete_unknown(kind, slots)

    def describe_templates(self, report: TemplateReport) -> JsonDict:
        """Return the API's view of a module's templates."""
        return self._templates.describe(report)

    async def start_enrollment(
        self, number: int, credential_type: CredentialType | str
    ) -> Enrollment:
        """Start enrolling a finger, face or palm at the lock; events report progress."""
        self._require_admin()
        kind = parse_enum(CredentialType, credential_type, "type")
        if kind is CredentialType.PASSWORD:
            raise InvalidRequestError("Use the password route", {"type": "biometric"})
        user = self._directory.user(number)
        if self._keypad.busy:
            raise EnrollmentBusyError("Someone is using the lock's menu")
        return self._enroller.start(user, kind)

    async def cancel_enrollment(self, enrollment_id: str) -> None:
        """Stop a running enrollment; its ``enrollment`` event says ``cancelled``."""
        self._enroller.cancel(enrollment_id)

    # lockout (L-42)

    async def clear_lockout(self) -> None:
        """End the security lockout from the app."""
        self._access.clear_lockout()

    # visitors (L-30, L-31)

    async def list_visitors(self, kind: VisitorKind) -> list[VisitorCredential]:
        """Return every temporary password, or every Bluetooth key, ended ones too.

        Those that ended over the retention time ago are already forgotten (on time, by
        the visitors' own timer).
        """
        return self._visitors.of_kind(kind)

    async def create_visitor(
        self,
        kind: VisitorKind,
        name: str,
        valid_until: datetime,
        valid_from: datetime | None = None,
        max_uses: int | EllipsisType | None = ...,
        schedule: Schedule | None = None,
        code: str | None = None,
    ) -> tuple[VisitorCredential, str]:
        """Create a visitor code or key; the secret is returned now and never again.

        ``max_uses`` defaults to the kind's: one use for a temporary password (L-30).
        ``code`` is a temporary password the owner chose (L-25, no one's password).
        """
        self._require_admin()
        if code is not None and self._directory.match_entry(code):
            raise DuplicateCredentialError("This code is already in use")
        return self._visitors.create(
            kind, name, valid_until, valid_from, max_uses, schedule, code
        )

    def describe_visitor(self, visitor: VisitorCredential) -> JsonDict:
        """Return the API's view of a visitor code or key, with its status now."""
        return visitor.as_dict(self._clock.now(), self._visitors.zone)

    async def revoke_visitor(self, kind: VisitorKind, visitor_id: str) -> None:
        """Revoke a visitor code or key (kept, listed as revoked); forget an ended one."""
        self._visitors.revoke(kind, visitor_id)

    # pairing and clients (L-65)

    @property
    def pairing_open(self) -> bool:
        """Return whether a client may pair now."""
        return self._pairing.is_open

    @property
    def pairing_until(self) -> datetime | None:
        """Return when the open pairing window closes."""
        return self._pairing.until

    def consume_pairing(self, verification_code: str) -> None:
        """Spend the open window on a correct code (``pairing_closed``, ``invalid_verification_code``)."""
        self._pairing.consume(verification_code)

    def add_client(self, name: str, token_hash: str) -> Client:
        """Remember a client paired just now, by the hash of its token."""
        return self._clients.add(name, token_hash)

    def create_client(
        self, name: str, token_hash: str, role: ClientRole | str
    ) -> Client:
        """Add an ``operate`` client an admin made; its token is shown once (#11.2)."""
        return self._clients.create(
            name, token_hash, parse_enum(ClientRole, role, "role")
        )

    def list_clients(self) -> list[Client]:
        """Return every paired client."""
        return self._clients.list()

    def find_client(self, token_hash: str) -> Client | None:
        """Return the client a token hash belongs to."""
        return self._clients.find(token_hash)

    def touch_client(self, client_id: str) -> None:
        """Record that a client was seen now."""
        self._clients.touch(client_id)

    def revoke_client(self, client_id: str) -> None:
        """Forget a client; its token stops working at once."""
        self._clients.revoke(client_id)

    # helpers

    def _require_admin(self) -> None:
        if not self._directory.admin_exists:
            raise AdminRequiredError("Create the first admin at the lock first (L-26)")
