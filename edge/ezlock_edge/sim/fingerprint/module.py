"""The module's firmware: EF01 packages in, each instruction handed to its handler.

The instructions themselves are grouped by the manual's kinds: :mod:`.system`,
:mod:`.processing`, :mod:`.automatic` and :mod:`.information`, over the memory of
:mod:`.state`. After power-on and after SoftRst the module sends ``55``.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
from pathlib import Path
import random

from ezlock_edge.clock import Clock
from ezlock_edge.protocol.receiver import FrameReceiver
from ezlock_edge.sim import ef01_wire
from ezlock_edge.sim.ef01_wire import Package
from ezlock_edge.sim.presence import FINGER_DWELL
from ezlock_edge.sim.templates import TemplateLibrary

from .automatic import AutomaticInstructions
from .codes import (
    DEFAULT_PASSWORD,
    MUST_VERIFY_PASSWORD,
    OK,
    PACKET_ERROR,
    PACKET_SIZES,
)
from .information import InformationInstructions
from .processing import ProcessingInstructions
from .state import Answer, Handler, MalformedError
from .system import SystemInstructions

_LOGGER = logging.getLogger(__name__)


class FingerprintModule(
    SystemInstructions,
    ProcessingInstructions,
    AutomaticInstructions,
    InformationInstructions,
):
    """The module's firmware: parses EF01 command packages, answers with acknowledges."""

    def __init__(
        self,
        library: TemplateLibrary,
        rng: random.Random,
        *,
        send: Callable[[bytes], object],
        state_path: Path | None = None,
        clock: Clock | None = None,
        dwell: float = FINGER_DWELL,
    ) -> None:
        """Serve ``library``; ``send`` writes to the UART; flash settings in ``state_path``.

        A finger rests on the reader for ``dwell`` seconds of ``clock``.
        """
        super().__init__(
            library, rng, send=send, state_path=state_path, clock=clock, dwell=dwell
        )
        self._receiver = FrameReceiver(ef01_wire.PackageParser(), self._package)
        self._handlers: dict[int, Handler] = {
            0x01: self._gen_img,
            0x02: self._img2tz,
            0x03: self._match,
            0x04: self._search,
            0x05: self._reg_model,
            0x06: self._store,
            0x07: self._load_char,
            0x08: self._up_char,
            0x09: self._down_char,
            0x0A: self._up_image,
            0x0B: self._down_image,
            0x0C: self._delete_char,
            0x0D: self._empty,
            0x0E: self._set_sys_para,
            0x0F: self._read_sys_para,
            0x12: self._set_pwd,
            0x13: self._vfy_pwd,
            0x14: self._get_random_code,
            0x15: self._set_address,
            0x16: self._read_inf_page,
            0x18: self._write_notepad,
            0x19: self._read_notepad,
            0x1B: self._search,  # HiSpeedSearch: same parameters and answer
            0x1D: self._template_num,
            0x1F: self._read_index_table,
            0x28: self._gen_img,  # GetImageEx: as GenImg (a simulated image is never poor)
            0x30: self._cancel,
            0x31: self._auto_enroll,
            0x32: self._auto_identify,
            0x35: self._aura_led_config,
            0x36: self._no_op,  # CheckSensor: the sensor is normal
            0x39: self._get_alg_ver,
            0x3A: self._get_fw_ver,
            0x3C: self._read_prod_info,
            0x3D: self._soft_reset,
            0x40: self._no_op,  # HandShake
            0x53: self._get_echo,
        }

    @property
    def instructions(self) -> frozenset[int]:
        """The instruction codes this module answers (others: 01)."""
        return frozenset(self._handlers)

    def start(self) -> None:
        """Power on: the module announces itself with ``55``."""
        self._send(ef01_wire.POWER_ON)

    def receive(self, data: bytes) -> None:
        """Take bytes from the host; every complete command package is answered."""
        self._receiver.feed(data)

    def stop(self) -> None:
        """Power off: RAM (image, char buffers, password check) is lost; flash stays."""
        self._receiver.reset()
        self._reset_ram()

    def _reset_ram(self) -> None:
        self._stop_auto()
        self._buffers.clear()
        self._image = None
        self._verified = False
        self._passed = False
        self._upload = None

    # -- packages --------------------------------------------------------------------

    def _package(self, received: Package) -> None:
        if received.address != self.settings.address:
            return  # for another module on the bus: never answered
        if received.identifier in (ef01_wire.DATA, ef01_wire.END_OF_DATA):
            self._data(received)
            return
        if received.identifier != ef01_wire.COMMAND or not received.content:
            return
        instruction, params = received.content[0], received.content[1:]
        if self._auto is not None and instruction != 0x30:
            return  # busy with AutoEnroll / AutoIdentify: only Cancel is heard
        self._upload = None  # a command ends any transfer the host abandoned
        handler = self._handlers.get(instruction)
        answer: Answer | None
        if handler is None:
            answer = PACKET_ERROR, b""
        elif self._locked() and instruction != 0x13:
            answer = MUST_VERIFY_PASSWORD, b""
        else:
            try:
                answer = handler(params)
            except MalformedError:
                _LOGGER.debug("fingerprint: instruction 0x%02X malformed", instruction)
                answer = PACKET_ERROR, b""
        if answer is None:
            return  # an automatic command: its run sends the acknowledges
        code, data = answer
        if not self._ack(code, data) and instruction == 0x01 and code == OK:
            self.presence.restore()  # GenImg's OK lost: the finger is still there
        if self._outgoing is not None:
            outgoing, self._outgoing = self._outgoing, None
            self._send_data(outgoing)
        if instruction == 0x3D and code == OK:
            self._reset_ram()
            self._send(ef01_wire.POWER_ON)

    def _locked(self) -> bool:
        return self.settings.password != DEFAULT_PASSWORD and not self._verified

    def _data(self, received: Package) -> None:
        upload = self._upload
        if upload is None:
            return  # data without DownChar / DownImage before it: ignored
        upload.data += received.content
        if received.identifier == ef01_wire.END_OF_DATA:
            self._upload = None
            upload.done(bytes(upload.data))

    def _send_data(self, data: bytes) -> None:
        """Send ``data`` after the acknowledge, in data packages of the set size."""
        size = PACKET_SIZES[self.settings.packet_size]
        chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            identifier = ef01_wire.END_OF_DATA if last else ef01_wire.DATA
            self._send(ef01_wire.package(self.settings.address, identifier, chunk))
