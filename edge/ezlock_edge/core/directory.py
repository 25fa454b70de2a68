"""Who may open the door: users and their credentials (L-20 to L-29, L-32).

Every change is one transaction together with the event that reports it. Passwords are
kept only as keyed hashes; biometrics only as the module's template slot (L-32).
Visitors (temporary passwords, Bluetooth keys) are ``visitors.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
import hmac
from typing import Any

from ezlock_edge.clock import Clock

from .errors import (
    CapacityFullError,
    CredentialNotFoundError,
    DuplicateCredentialError,
    InvalidRequestError,
    LastAdminError,
    NoAdminPinError,
    UserCredentialLimitError,
    UserNotFoundError,
)
from .events import EventLog
from .limits import USER_NUMBER
from .models import (
    CAPACITY,
    PER_USER_LIMIT,
    Credential,
    CredentialType,
    JsonDict,
    Role,
    User,
)
from .policy import check_password, match_entry
from .schedule import Schedule, parse_schedule
from .secrets import DeviceSecret, random_id
from .store import Store
from .validation import check_name, check_validity

_PASSWORD = "password"  # noqa: S105 -- a hash purpose label


@dataclass(frozen=True, slots=True)
class PasswordMatch:
    """A user's password found in a keypad entry (L-41)."""

    credential: Credential
    user: User


class Directory:
    """Users and their credentials, with their rules."""

    def __init__(
        self,
        store: Store,
        events: EventLog,
        clock: Clock,
        secret: DeviceSecret,
        zone: tzinfo,
    ) -> None:
        """Keep everything in ``store`` and report changes to ``events``.

        ``zone`` is the lock's time zone, in which weekly schedules are read.
        """
        self._store = store
        self._events = events
        self._clock = clock
        self._secret = secret
        self.zone = zone

    # users (L-20, L-21, L-26, L-27, L-28)

    @property
    def admin_exists(self) -> bool:
        """Return whether the lock has left its initial state (L-26)."""
        return self._store.count_admins() > 0

    def users(self) -> list[User]:
        """Return every user by number."""
        return self._store.list_users()

    def user_count(self) -> int:
        """Return how many users the lock has."""
        return self._store.count_users()

    def user(self, number: int) -> User:
        """Return user ``number`` or refuse with ``user_not_found``."""
        user = self._store.get_user(number)
        if user is None:
            raise UserNotFoundError(f"No user {number:03d}")
        return user

    def new_user(self, role: Role, name: str | None = None) -> User:
        """Return an unsaved user with the next free number (L-21)."""
        number = self._store.free_user_number()
        if number > USER_NUMBER.maximum:
            raise CapacityFullError("No free user number")
        return User(
            number=number,
            name=name or f"User {number:03d}",
            role=role,
            valid_from=None,
            valid_until=None,
            created=self._clock.now(),
        )

    def create_user(
        self,
        name: str,
        role: Role,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
        schedule: Schedule | None = None,
    ) -> User:
        """Add a user (without credentials yet)."""
        check_name(name)
        check_validity(valid_from, valid_until)
        user = replace(
            self.new_user(role, name),
            valid_from=valid_from,
            valid_until=valid_until,
            schedule=parse_schedule(schedule),
        )
        self._save_user(user)
        return user

    def update_user(
        self, number: int, changes: Mapping[str, Any], *, keep_admin_pin: bool = False
    ) -> User:
        """Change name, role, validity period or schedule; the last admin stays an admin.

        ``keep_admin_pin`` (the remote PIN is required): some valid admin keeps a
        password, or no client could send a PIN again (``no_admin_pin``).
        """
        user = self.user(number)
        unknown = set(changes) - {
            "name",
            "role",
            "valid_from",
            "valid_until",
            "schedule",
        }
        if unknown:
            raise InvalidRequestError(
                "Unknown user fields", dict.fromkeys(sorted(unknown), "unknown field")
            )
        changes = dict(changes)
        if "schedule" in changes:
            changes["schedule"] = parse_schedule(changes["schedule"])
        updated = replace(user, **changes)
        check_name(updated.name)
        check_validity(updated.valid_from, updated.valid_until)
        if (
            user.role is Role.ADMIN
            and updated.role is not Role.ADMIN
            and self._store.count_admins() == 1
        ):
            raise LastAdminError("The last admin cannot be demoted")
        if (
            self._can_open_menu(user)
            and not self._can_open_menu(updated)
            and not self._other_menu_admin(user.number)
        ):
            # L-27: a validity period that has ended (or not begun) locks the menu as
            # surely as deleting the admin would.
            raise LastAdminError(
                "The last admin who can open the menu must stay valid now"
            )
        if (
            "schedule" in changes
            and updated.schedule
            and updated.role is Role.ADMIN
            and not self._other_menu_admin(user.number, at_any_time=True)
        ):
            # L-27: a schedule limits when a person's credentials open the door and the
            # menu (L-20); the last admin must be able to open the menu at any time.
            raise LastAdminError(
                "The last admin who can open the menu at any time keeps no schedule"
            )
        if keep_admin_pin:
            self._keep_admin_pin(number, updated)
        with self._store.transaction():
            self._store.put_user(updated)
            self._events.append("user_updated", user=updated.ref)
        return updated

    def delete_user(
        self, number: int, *, keep_admin_pin: bool = False
    ) -> list[Credential]:
        """Delete a user and their credentials (L-27); return the deleted credentials."""
        user = self.user(number)
        if user.role is Role.ADMIN and self._store.count_admins() == 1:
            raise LastAdminError("The last admin cannot be deleted")
        if keep_admin_pin:
            self._keep_admin_pin(number, None)
        credentials = self._store.list_credentials(number)
        with self._store.transaction():
            for credential in credentials:
                self._events.append(
                    "credential_deleted", credential=credential.as_dict(user)
                )
            self._store.delete_user(number)
            self._events.append("user_deleted", user=user.ref)
        return credentials

    def _keep_admin_pin(
        self, number: int, instead: User | None, without: str | None = None
    ) -> None:
        """Refuse a change after which no valid admin has a password (the remote PIN).

        User ``number`` becomes ``instead`` (None: deleted); credential ``without``
        is gone.
        """
        now = self._clock.now()
        for credential in self._store.list_credentials(kind=CredentialType.PASSWORD):
            if credential.id == without:
                continue
            user = (
                instead
                if credential.user_number == number
                else self._store.get_user(credential.user_number)
            )
            if (
                user is not None
                and user.role is Role.ADMIN
                and user.refusal(now, self.zone) is None
            ):
                return
        raise NoAdminPinError(
            "The lock requires an admin's PIN: some admin must keep a password"
        )

    def _can_open_menu(self, user: User) -> bool:
        """Whether ``user`` is an admin whose dates admit now (a schedule may vary)."""
        return user.role is Role.ADMIN and user.refusal(
            self._clock.now(), self.zone
        ) not in {"not_yet_valid", "expired"}

    def _other_menu_admin(self, number: int, *, at_any_time: bool = False) -> bool:
        """Whether an admin other than ``number`` can open the menu with a credential.

        ``at_any_time``: one without a weekly schedule, so at every hour.
        """
        return any(
            other.number != number
            and self._can_open_menu(other)
            and not (at_any_time and other.schedule)
            and self._store.list_credentials(other.number)
            for other in self._store.list_users()
        )

    def _save_user(self, user: User) -> None:
        """Store a new user with its ``user_added`` event (joins the caller's commit)."""
        with self._store.transaction():
            self._store.put_user(user)
            self._events.append("user_added", user=user.ref)

    def _ensure_user(self, user: User) -> User:
        """Return the stored user, storing ``user`` first if it is new."""
        stored = self._store.get_user(user.number)
        if stored is None:
            self._save_user(user)
            return user
        return stored

    # credentials (L-22, L-23, L-24, L-25, L-29, L-32)

    def credentials(self, user_number: int | None = None) -> list[Credential]:
        """Return credentials, of one user if given."""
        if user_number is not None:
            self.user(user_number)
        return self._store.list_credentials(user_number)

    def credential(self, credential_id: str) -> Credential:
        """Return one credential or refuse with ``credential_not_found``."""
        credential = self._store.get_credential(credential_id)
        if credential is None:
            raise CredentialNotFoundError(f"No credential {credential_id}")
        return credential

    def describe(self, credential: Credential) -> JsonDict:
        """Return the API's view of a credential, with its user."""
        return credential.as_dict(self._store.get_user(credential.user_number))

    def count(self, kind: CredentialType) -> int:
        """Return how many credentials of ``kind`` the lock holds."""
        return self._store.count_credentials(kind)

    def check_room(self, user: User, kind: CredentialType, replacing: int = 0) -> None:
        """Refuse when the lock (L-22) or the user (L-23) is full for ``kind``."""
        if self._store.count_credentials(kind) - replacing >= CAPACITY[kind]:
            raise CapacityFullError(f"The lock holds {CAPACITY[kind]} {kind} already")
        held = self._store.count_credentials(kind, user.number) - replacing
        if held >= PER_USER_LIMIT[kind]:
            raise UserCredentialLimitError(
                f"User {user.number:03d} holds {PER_USER_LIMIT[kind]} {kind} already"
            )

    def credentials_of(self, kind: CredentialType) -> list[Credential]:
        """Return every credential of ``kind``."""
        return self._store.list_credentials(kind=kind)

    def free_fingerprint_slot(self, taken: Collection[int] = ()) -> int | None:
        """Return the lowest fingerprint slot no credential uses, nor ``taken`` holds.

        ``taken``: slots the module holds templates in (another host's are never
        overwritten). None when there is none left.
        """
        used = {c.slot for c in self.credentials_of(CredentialType.FINGERPRINT)}
        return next(
            (
                slot
                for slot in range(CAPACITY[CredentialType.FINGERPRINT])
                if slot not in used and slot not in taken
            ),
            None,
        )

    def set_password(self, user: User, password: str) -> Credential:
        """Give ``user`` a password (L-25), replacing theirs; store the user if new."""
        check_password(password)
        existing = self._store.list_credentials(user.number, CredentialType.PASSWORD)
        self.check_room(user, CredentialType.PASSWORD, replacing=len(existing))
        others = [
            (c.secret_hash or b"", c.id)
            for c in self._store.list_credentials(kind=CredentialType.PASSWORD)
            if c.user_number != user.number
        ]
        if match_entry(password, others, self._password_digest):
            # Refused, and recorded: a client probing for the lock's PINs this way
            # leaves a trace (and is slowed down by the API, issue #11.4).
            self._events.append(
                "credential_refused",
                user=user.ref,
                credential_type=CredentialType.PASSWORD.value,
                reason="duplicate",
            )
            raise DuplicateCredentialError("Another user has this password")
        credential = Credential(
            id=existing[0].id if existing else random_id("cr"),
            user_number=user.number,
            type=CredentialType.PASSWORD,
            slot=None,
            duress=existing[0].duress if existing else False,
            created=self._clock.now(),
            secret_hash=self._password_digest(password),
        )
        with self._store.transaction():
            stored_user = self._ensure_user(user)
            self._store.put_credential(credential)
            self._events.append(
                "credential_updated" if existing else "credential_added",
                credential=credential.as_dict(stored_user),
            )
        return credential

    def add_biometric(self, user: User, kind: CredentialType, slot: int) -> Credential:
        """Record an enrolled template slot for ``user``; store the user if new."""
        credential = Credential(
            id=random_id("cr"),
            user_number=user.number,
            type=kind,
            slot=slot,
            duress=False,
            created=self._clock.now(),
        )
        with self._store.transaction():
            stored_user = self._ensure_user(user)
            stale = self._store.credential_by_slot(kind, slot)
            if stale is not None:
                self._store.delete_credential(stale.id)
            self._store.put_credential(credential)
            self._events.append(
                "credential_added", credential=credential.as_dict(stored_user)
            )
        return credential

    def set_duress(self, credential_id: str, duress: bool) -> Credential:
        """Make a credential the duress one or not (L-29)."""
        credential = replace(self.credential(credential_id), duress=duress)
        with self._store.transaction():
            self._store.put_credential(credential)
            self._events.append(
                "credential_updated", credential=self.describe(credential)
            )
        return credential

    def delete_credential(
        self, credential_id: str, *, keep_admin_pin: bool = False
    ) -> Credential:
        """Delete one credential; the caller removes a biometric template from its module.

        L-27: not the only credential of the last admin who can open the menu.
        ``keep_admin_pin``: nor the last valid admin's password (see update_user).
        """
        credential = self.credential(credential_id)
        owner = self._store.get_user(credential.user_number)
        if (
            owner is not None
            and self._can_open_menu(owner)
            and len(self._store.list_credentials(owner.number)) == 1
            and not self._other_menu_admin(owner.number)
        ):
            raise LastAdminError("The last admin's only credential cannot be deleted")
        if keep_admin_pin and owner is not None:
            self._keep_admin_pin(owner.number, owner, without=credential_id)
        with self._store.transaction():
            self._events.append(
                "credential_deleted", credential=self.describe(credential)
            )
            self._store.delete_credential(credential_id)
        return credential

    # matching (L-40, L-41)

    def by_slot(
        self, kind: CredentialType, slot: int
    ) -> tuple[Credential, User] | None:
        """Return the credential and user behind a module's template slot."""
        credential = self._store.credential_by_slot(kind, slot)
        if credential is None:
            return None
        return credential, self.user(credential.user_number)

    def match_entry(self, entry: str) -> list[PasswordMatch]:
        """Return every user's password hidden in a keypad entry (L-41).

        The matcher sees only ``(hash, id)`` pairs, the same work for a match and a
        miss; the few rows that matched are read in full afterwards.
        """
        matches = []
        for credential_id in match_entry(
            entry, self._store.password_hashes(), self._password_digest
        ):
            credential = self._store.get_credential(credential_id)
            if credential is not None:
                matches.append(
                    PasswordMatch(credential, self.user(credential.user_number))
                )
        return matches

    def admin_with_password(self, password: str | None = None) -> User | None:
        """Return a valid admin whose password is exactly ``password`` (any, if None).

        Exact, not hidden in a longer entry (L-41 is for the keypad): a remote guess
        tests one PIN, not every substring of a long one.
        """
        now = self._clock.now()
        wanted = self._password_digest(password) if password is not None else None
        for credential in self._store.list_credentials(kind=CredentialType.PASSWORD):
            user = self._store.get_user(credential.user_number)
            if (
                user is None
                or user.role is not Role.ADMIN
                or user.refusal(now, self.zone) is not None
            ):
                continue
            if wanted is None or hmac.compare_digest(
                credential.secret_hash or b"", wanted
            ):
                return user
        return None

    def _password_digest(self, value: str) -> bytes:
        return self._secret.digest(_PASSWORD, value)
