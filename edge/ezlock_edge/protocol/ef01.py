"""The fingerprint module link: EF01 commands and their acknowledgements."""

from __future__ import annotations

import contextlib

from ezlock_edge.clock import Clock
from ezlock_edge.framing.ef01 import (
    DEFAULT_ADDRESS,
    DEFAULT_PASSWORD,
    ConfirmationCode,
    Ef01Packet,
    Ef01Parser,
    Instruction,
    PacketId,
)
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.transport import SerialPort
from ezlock_edge.vocabulary.errors import DeviceRejected

from .command import CommandLink

TIMEOUT = 1.0
"""Seconds to wait for an acknowledgement (GenImg takes the longest, well under this)."""
TRIES = 3


class Ef01Link:
    """Commands to one R30x / R503-style module at ``address``."""

    def __init__(
        self,
        port: SerialPort,
        *,
        clock: Clock | None = None,
        address: int = DEFAULT_ADDRESS,
        password: int = DEFAULT_PASSWORD,
        timeout: float = TIMEOUT,
        tries: int = TRIES,
    ) -> None:
        """Attach to ``port``: the module at ``address``, unlocked by ``password``.

        ``timeout`` is in seconds of ``clock`` (the port's by default).
        """
        # An ACK does not name its instruction: a late one is drained, not taken.
        self._link = CommandLink(
            port, Ef01Parser(), clock=clock or port.clock, drain_late=timeout
        )
        self._address = address
        self._password = password
        self._timeout = timeout
        self._tries = tries

    async def command(
        self,
        instruction: Instruction,
        params: bytes = b"",
        *,
        wait: tuple[float, Clock] | None = None,
        bare: bool = False,
    ) -> tuple[ConfirmationCode, bytes]:
        """Send a command; return the confirmation code and data of its ACK.

        ``wait``: for a command whose answer waits for a person (AutoIdentify), the
        seconds of that clock to wait for it, sent once (the module would not hear a
        repeat while it runs).

        ``bare``: a command answered by an ACK without data (Cancel), sent right after
        an AutoIdentify that went unanswered: its ACK cannot be AutoIdentify's late
        one (step, page and score, manual p. 31), so it goes at once, without a quiet
        second, and a bare OK says AutoIdentify sends nothing more. A bare refusal
        might be AutoIdentify's (01, a module without it): the next command then
        waits for a quiet line, as after any unanswered command.

        Every instruction the driver uses can safely be repeated, so a lost packet
        is simply sent again. Raises DeviceTimeout, DeviceDisconnected, or
        DeviceRejected for an ACK with an unknown confirmation code, or when the
        module refuses the configured password.

        A module whose password is set answers 21 ("have to verify password") to
        everything until VfyPwd succeeds, again after each power-on or SoftRst (its
        ``55`` power-on byte is not a package and is skipped by the parser): the
        password is then verified and the command sent once more.
        """
        code, body = await self._send(instruction, params, wait, bare)
        if code is not ConfirmationCode.MUST_VERIFY_PASSWORD:
            return code, body
        await self.verify_password()
        return await self._send(instruction, params, wait, bare)

    def exclusive(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Keep the module for this task's commands until the block ends."""
        return self._link.exclusive()

    async def verify_password(self) -> None:
        """VfyPwd with the configured password (R503 manual, VfyPwd)."""
        code, _ = await self._send(
            Instruction.VFY_PWD, self._password.to_bytes(4, "big")
        )
        if code is ConfirmationCode.WRONG_PASSWORD:
            raise DeviceRejected("fingerprint module refuses the configured password")
        if code is not ConfirmationCode.OK:
            raise DeviceRejected(f"fingerprint module: VfyPwd failed: {code.name}")

    async def _send(
        self,
        instruction: Instruction,
        params: bytes,
        wait: tuple[float, Clock] | None = None,
        bare: bool = False,
    ) -> tuple[ConfirmationCode, bytes]:
        packet = Ef01Packet(
            PacketId.COMMAND, bytes((instruction,)) + params, self._address
        )
        seconds, tries, clock = self._timeout, self._tries, None
        if wait is not None:
            (seconds, clock), tries = wait, 1
        ack = await self._link.transact(
            packet.encode(),
            self._is_bare_ack if bare else self._is_ack,
            seconds=seconds,
            tries=tries,
            what=instruction.name,
            clock=clock,
            settles=_is_bare_ok if bare else None,
        )
        try:
            return ack.code, ack.body
        except DecodeError as err:
            raise DeviceRejected(f"fingerprint module: {err}") from None

    def _is_ack(self, packet: Ef01Packet) -> bool:
        return (
            packet.pid is PacketId.ACK
            and packet.address == self._address
            and bool(packet.payload)
        )

    def _is_bare_ack(self, packet: Ef01Packet) -> bool:
        return self._is_ack(packet) and len(packet.payload) == 1


def _is_bare_ok(packet: Ef01Packet) -> bool:
    return packet.payload == bytes((ConfirmationCode.OK,))
