"""A virtual R30x / R503-style fingerprint module speaking EF01 packets.

It answers the instructions the driver uses (``framing.ef01.Instruction``) the way a
real module does: GenImg reports NO_FINGER unless a finger is on the reader, Img2Tz
extracts the finger's feature into a char buffer, RegModel merges the buffers of one
enrollment (and fails if they hold different fingers), Store / Search / DeleteChar /
Empty / TemplateNum / ReadIndexTable work on 50 template pages.

The image buffer holds the last capture until the next successful GenImg (so a
retransmitted Img2Tz works). Img2Tz into char buffer 1 starts a new capture sequence
(buffers 2.. are cleared), so an enrollment fills buffers 1..N and RegModel merges
exactly those.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
import random

from ezlock_edge.framing.ef01 import (
    DEFAULT_ADDRESS,
    ConfirmationCode,
    DeleteParams,
    Ef01Packet,
    Ef01Parser,
    Instruction,
    PacketId,
    SearchParams,
    SearchResult,
    StoreParams,
    decode_u8,
    encode_index_table,
    encode_u16,
)
from ezlock_edge.framing.errors import DecodeError
from ezlock_edge.protocol.receiver import FrameReceiver

from .presence import FINGER_DWELL, Presence, Presentation
from .templates import TemplateLibrary, feature_of

_LOGGER = logging.getLogger(__name__)

CHAR_BUFFERS = 6
"""Char buffers for features (R503 has six: up to six captures per enrollment)."""
MATCH_SCORES = (60, 300)
"""Range of the scores a hit reports; drivers usually accept anything above 50."""

type _Answer = tuple[ConfirmationCode, bytes]


class FingerprintModule:
    """The module's firmware: parses EF01 commands, answers with ACK packets."""

    def __init__(
        self,
        library: TemplateLibrary,
        rng: random.Random,
        *,
        send: Callable[[bytes], None],
    ) -> None:
        """Serve ``library`` (50 pages); ``send`` writes to the UART."""
        self.library = library
        self.presence = Presence(FINGER_DWELL)
        self._rng = rng
        self._send = send
        self._receiver = FrameReceiver(Ef01Parser(), self._packet)
        self._image: Presentation | None = None
        self._buffers: dict[int, bytes] = {}
        self._handlers: dict[Instruction, Callable[[bytes], _Answer]] = {
            Instruction.GEN_IMG: self._gen_img,
            Instruction.IMG2TZ: self._img2tz,
            Instruction.SEARCH: self._search,
            Instruction.REG_MODEL: self._reg_model,
            Instruction.STORE: self._store,
            Instruction.DELETE_CHAR: self._delete_char,
            Instruction.EMPTY: self._empty,
            Instruction.TEMPLATE_NUM: self._template_num,
            Instruction.READ_INDEX_TABLE: self._read_index_table,
        }

    def receive(self, data: bytes) -> None:
        """Take bytes from the driver; every complete command packet is answered."""
        self._receiver.feed(data)

    def stop(self) -> None:
        """Power off: the image and char buffers (RAM) are lost; templates stay."""
        self._receiver.reset()
        self._buffers.clear()
        self._image = None

    def _packet(self, packet: Ef01Packet) -> None:
        if packet.address != DEFAULT_ADDRESS or packet.pid is not PacketId.COMMAND:
            return  # not for this module, or not a command: real modules ignore it
        try:
            code, body = self._handlers[packet.instruction](packet.body)
        except DecodeError as err:
            _LOGGER.debug("fingerprint: bad command: %s", err)
            code, body = ConfirmationCode.PACKET_ERROR, b""
        self._send(Ef01Packet.ack(code, body).encode())

    # -- instructions ------------------------------------------------------------------

    def _gen_img(self, params: bytes) -> _Answer:
        _no_params(params)
        finger = self.presence.take()
        if finger is None:
            return ConfirmationCode.NO_FINGER, b""
        self._image = finger
        return ConfirmationCode.OK, b""

    def _img2tz(self, params: bytes) -> _Answer:
        buffer = decode_u8(params)
        if not 1 <= buffer <= CHAR_BUFFERS:
            return ConfirmationCode.BAD_LOCATION, b""
        if self._image is None:
            return ConfirmationCode.IMAGE_MESSY, b""
        if buffer == 1:
            self._buffers.clear()
        self._buffers[buffer] = feature_of(self._image.identity)
        return ConfirmationCode.OK, b""

    def _reg_model(self, params: bytes) -> _Answer:
        _no_params(params)
        features = set(self._buffers.values())
        if len(self._buffers) < 2 or len(features) != 1:
            return ConfirmationCode.ENROLL_MISMATCH, b""
        template = features.pop()
        self._buffers = {1: template, 2: template}
        return ConfirmationCode.OK, b""

    def _store(self, params: bytes) -> _Answer:
        store = StoreParams.decode(params)
        if store.buffer not in self._buffers:
            return ConfirmationCode.FEATURE_FAIL, b""
        if not 0 <= store.page < self.library.capacity:
            return ConfirmationCode.BAD_LOCATION, b""
        self.library.store(store.page, self._buffers[store.buffer])
        return ConfirmationCode.OK, b""

    def _search(self, params: bytes) -> _Answer:
        search = SearchParams.decode(params)
        feature = self._buffers.get(search.buffer)
        if feature is None:
            return ConfirmationCode.FEATURE_FAIL, b""
        page = self.library.find(feature, search.start, search.count)
        if page is None:
            return ConfirmationCode.NOT_FOUND, b""
        score = self._rng.randint(*MATCH_SCORES)
        return ConfirmationCode.OK, SearchResult(page, score).encode()

    def _delete_char(self, params: bytes) -> _Answer:
        delete = DeleteParams.decode(params)
        if not 0 <= delete.page < self.library.capacity or delete.count < 1:
            return ConfirmationCode.BAD_LOCATION, b""
        self.library.delete(delete.page, delete.count)
        return ConfirmationCode.OK, b""

    def _empty(self, params: bytes) -> _Answer:
        _no_params(params)
        self.library.clear()
        return ConfirmationCode.OK, b""

    def _template_num(self, params: bytes) -> _Answer:
        _no_params(params)
        return ConfirmationCode.OK, encode_u16(len(self.library))

    def _read_index_table(self, params: bytes) -> _Answer:
        index_page = decode_u8(params)
        return ConfirmationCode.OK, encode_index_table(self.library.slots(), index_page)


def _no_params(params: bytes) -> None:
    if params:
        raise DecodeError(f"{len(params)} unexpected parameter bytes")
