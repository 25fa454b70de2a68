"""The unlock decision (L-28, L-29, L-40 to L-43): who gets in, and the one event saying so.

Every attempt ends in exactly one ``unlocked`` or ``unlock_failed`` event naming the
method, the user, the credential and its slot. Failed face / palm / fingerprint /
password attempts feed the security lockout (L-42).
"""

from __future__ import annotations

from dataclasses import dataclass

from ezlock_edge.clock import Clock
from ezlock_edge.vocabulary.mcu import Prompt

from .directory import Directory
from .errors import (
    InvalidPinError,
    LockedOutError,
    LockOfflineError,
    PinRequiredError,
    RemoteUnlockDisabledError,
)
from .events import EventLog
from .lockout import Lockout
from .mechanism import Mechanism
from .models import (
    Credential,
    CredentialType,
    JsonDict,
    Role,
    Settings,
    UnlockMethod,
    User,
    VisitorCredential,
)
from .panel import Panel
from .settings import LockSettings
from .visitors import Visitors

_COUNTED = frozenset(
    {
        UnlockMethod.FACE,
        UnlockMethod.PALM,
        UnlockMethod.FINGERPRINT,
        UnlockMethod.PASSWORD,
    }
)


@dataclass(frozen=True, slots=True)
class Presented:
    """A credential shown at the lock, identified (or not) against the directory."""

    method: UnlockMethod
    user: User | None = None
    credential: Credential | None = None
    visitor: VisitorCredential | None = None
    duress: bool = False
    spoofed: bool = False  # the module's liveness check failed (a photo, a mask)

    def fields(self) -> JsonDict:
        """Return the event fields that say who and with what."""
        visitor = self.visitor
        credential_id = (
            self.credential.id if self.credential else visitor.id if visitor else None
        )
        return {
            "method": self.method.value,
            "user": self.user.ref if self.user else None,
            "visitor": visitor.ref if visitor else None,
            "credential_id": credential_id,
            "slot": self.credential.slot if self.credential else None,
        }


# What the lock says to a visitor it refuses: the manual's validity prompt when it is the
# wrong day or hour, a plain failure when the uses are spent or the code was revoked.
_VISITOR_PROMPTS = {
    "not_yet_valid": Prompt.NOT_IN_VALIDITY_PERIOD,
    "expired": Prompt.NOT_IN_VALIDITY_PERIOD,
    "outside_schedule": Prompt.NOT_IN_VALIDITY_PERIOD,
    "used_up": Prompt.FAILURE,
    "revoked": Prompt.FAILURE,
}


class UnlockDecision:
    """Decides each attempt, records it, and opens the door when it is granted."""

    def __init__(
        self,
        directory: Directory,
        visitors: Visitors,
        events: EventLog,
        lockout: Lockout,
        clock: Clock,
        mechanism: Mechanism,
        panel: Panel,
        settings: LockSettings,
    ) -> None:
        """Decide against ``directory``; open with ``mechanism``, speak on ``panel``."""
        self._directory = directory
        self._visitors = visitors
        self._events = events
        self._lockout = lockout
        self._clock = clock
        self._mechanism = mechanism
        self._panel = panel
        self._settings = settings
        settings.listen(self._settings_changed)

    def clear_lockout(self) -> None:
        """End the security lockout (L-42), from the app or by turning protection off."""
        if self._lockout.clear():
            self._events.append("alarm_cleared", alarm="lockout")

    # identification

    def by_slot(
        self, method: UnlockMethod, kind: CredentialType, slot: int | None
    ) -> Presented:
        """Identify a biometric match by its module slot (None: no match)."""
        found = self._directory.by_slot(kind, slot) if slot is not None else None
        if found is None:
            return Presented(method)
        credential, user = found
        return Presented(method, user, credential, duress=credential.duress)

    def by_entry(self, entry: str) -> Presented:
        """Identify a keypad entry (L-41); a duress password wins over any other.

        Several passwords and visitor codes may hide in one entry: a duress one comes
        first, then one that opens now, then the first found.
        """
        matches = [
            Presented(
                UnlockMethod.PASSWORD,
                match.user,
                match.credential,
                duress=match.credential.duress,
            )
            for match in self._directory.match_entry(entry)
        ] + [
            Presented(UnlockMethod.TEMPORARY_PASSWORD, visitor=visitor)
            for visitor in self._visitors.match_entry(entry)
        ]
        if not matches:
            return Presented(UnlockMethod.PASSWORD)
        now, zone = self._clock.now(), self._directory.zone

        def rank(match: Presented) -> tuple[bool, bool]:
            if match.visitor is not None:
                return (False, match.visitor.usable_at(now, zone))
            user = match.user
            return (match.duress, user is not None and user.refusal(now, zone) is None)

        return max(matches, key=rank)

    # decisions

    async def attempt(self, presented: Presented) -> bool:
        """Decide one attempt at the lock; return whether the door was opened."""
        if self._lockout.active:
            await self._refuse(
                presented, "locked_out", Prompt.SYSTEM_LOCKED, count=False
            )
            return False
        if presented.user is None and presented.visitor is None:
            reason = "liveness" if presented.spoofed else "no_match"
            await self._refuse(presented, reason, Prompt.FAILURE)
            return False
        if presented.user is not None and (
            refusal := presented.user.refusal(self._clock.now(), self._directory.zone)
        ):
            # L-28 (not_yet_valid, expired) and the weekly schedule (outside_schedule).
            await self._refuse(
                presented, refusal, Prompt.NOT_IN_VALIDITY_PERIOD, count=False
            )
            return False
        if presented.visitor is not None:
            return await self._visitor(presented.visitor, presented)
        return await self._open(presented)

    async def verify_admin(self, presented: Presented) -> bool:
        """L-20: only a valid admin enters the menu; wrong credentials count (L-42)."""
        if self._lockout.active:
            await self._panel.say(Prompt.SYSTEM_LOCKED)
            return False
        user = presented.user
        if (
            user is None
            or user.role is not Role.ADMIN
            or user.refusal(self._clock.now(), self._directory.zone) is not None
        ):
            if user is None:
                await self._count_failure()
            await self._panel.say(Prompt.FAILURE)
            return False
        self._lockout.reset_failures()
        return True

    async def bluetooth(self, key: str) -> bool:
        """Decide on a visitor Bluetooth key a phone presented (L-31)."""
        found = self._visitors.match_key(key)
        return await self.attempt(Presented(UnlockMethod.BLUETOOTH, visitor=found))

    async def bluetooth_lock(self, key: str) -> bool:
        """L-12, L-31: a visitor's Bluetooth key locks the door as well as it opens it.

        Only a key of ours, inside its dates and weekly schedule, locks; a refused one is
        a ``lock_failed`` event. Locking opens nothing, so a lockout does not stop it
        and it spends no use: the visitor who came in on a one-time key still locks
        behind them when leaving.
        """
        visitor = self._visitors.match_key(key)
        ref = visitor.ref if visitor is not None else None
        reason = (
            "no_match"
            if visitor is None
            else visitor.refusal(self._clock.now(), self._visitors.zone)
        )
        if reason is not None:
            self._events.append(
                "lock_failed", source="bluetooth", reason=reason, visitor=ref
            )
            await self._panel.say(_VISITOR_PROMPTS.get(reason, Prompt.FAILURE))
            return False
        try:
            await self._mechanism.lock("bluetooth", visitor=ref)
        except LockOfflineError:
            self._events.append(
                "lock_failed", source="bluetooth", reason="lock_offline", visitor=ref
            )
            return False
        return True

    async def remote(self, pin: str | None = None) -> None:
        """Remote unlock from the app, only while remote unlock is enabled (L-43).

        With ``require_pin_for_remote`` the app must also send an admin's PIN.
        """
        presented = Presented(UnlockMethod.REMOTE)
        if not self._settings.current.remote_unlock_enabled:
            self._events.append(
                "unlock_failed", reason="disabled", **presented.fields()
            )
            raise RemoteUnlockDisabledError("Remote unlock is disabled in the settings")
        if self._lockout.active:
            self._events.append(
                "unlock_failed", reason="locked_out", **presented.fields()
            )
            raise LockedOutError("The security lockout is active")
        if self._settings.current.require_pin_for_remote:
            await self._check_pin(pin, "unlock_failed", presented.fields())
        if not await self._open(presented, refuse_if_moving=True):
            raise LockOfflineError("The lock does not answer")

    async def check_remote_pin(self, pin: str | None, action: str) -> None:
        """Matter's RequirePINforRemoteOperation for an admin change made over the API.

        The PIN is a valid admin's password, checked here and counted like a wrong
        entry at the keypad (L-42): five wrong ones lock the lock out, remotely too.
        """
        if not self._settings.current.require_pin_for_remote:
            return
        if self._lockout.active:
            raise LockedOutError("The security lockout is active")
        await self._check_pin(pin, "remote_pin_failed", {"action": action})

    async def _check_pin(self, pin: str | None, event: str, fields: JsonDict) -> None:
        if pin is None:
            raise PinRequiredError("This lock requires an admin's PIN for this")
        if self._directory.admin_with_password(pin) is None:
            self._events.append(event, reason="wrong_pin", **fields)
            await self._count_failure()
            raise InvalidPinError("Wrong PIN")
        self._lockout.reset_failures()

    # outcomes

    async def _visitor(self, visitor: VisitorCredential, presented: Presented) -> bool:
        if refusal := visitor.refusal(self._clock.now(), self._visitors.zone):
            await self._refuse(
                presented, refusal, _VISITOR_PROMPTS[refusal], count=False
            )
            if (
                refusal == "revoked"
                and presented.method is UnlockMethod.TEMPORARY_PASSWORD
            ):
                # A code the owner took back counts towards the lockout (L-42) as a
                # code the lock never knew does.
                await self._count_failure()
            return False
        if not await self._open(presented):
            return False
        self._visitors.use(visitor)
        return True

    async def _open(
        self, presented: Presented, *, refuse_if_moving: bool = False
    ) -> bool:
        try:
            await self._mechanism.unlock(refuse_if_moving=refuse_if_moving)
        except LockOfflineError:
            self._events.append(
                "unlock_failed", reason="lock_offline", **presented.fields()
            )
            return False
        # One sync for the unlock and the bolt's reports that came with the MCU's
        # answer (their batch ends in the same loop turn): persisted, then announced.
        async with self._events.group_commit():
            self._lockout.reset_failures()
            self._events.append("unlocked", **presented.fields())
            if presented.duress:
                # L-29: silent: no prompt, no siren; only the event goes out.
                self._events.append("alarm", alarm="duress")
        await self._mechanism.after_unlock(presented.method)
        return True

    async def _refuse(
        self, presented: Presented, reason: str, prompt: Prompt, count: bool = True
    ) -> None:
        self._events.append("unlock_failed", reason=reason, **presented.fields())
        await self._panel.say(prompt)
        if count and presented.method in _COUNTED:
            await self._count_failure()

    def _settings_changed(self, previous: Settings, settings: Settings) -> None:
        if previous.lockout_protection and not settings.lockout_protection:
            self.clear_lockout()

    async def _count_failure(self) -> None:
        if self._settings.current.lockout_protection and self._lockout.record_failure():
            self._events.append("alarm", alarm="lockout")
            await self._panel.say(Prompt.SYSTEM_LOCKED)
