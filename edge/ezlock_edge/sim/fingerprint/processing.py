"""Fingerprint-processing instructions: capture, features, match, search, the library, transfers."""

from __future__ import annotations

import struct

from ezlock_edge.sim.templates import feature_of

from .codes import (
    BAD_LOCATION,
    CHAR_BUFFERS,
    DELETE_FAIL,
    ENROLL_MISMATCH,
    FEATURE_FAIL,
    MATCH_SCORES,
    NO_FINGER,
    NO_IMAGE,
    NO_MATCH,
    NOT_FOUND,
    OK,
    PACKET_ERROR,
    READ_TEMPLATE_FAIL,
    RECEIVE_FAIL,
    UPLOAD_IMAGE_FAIL,
    UPLOAD_TEMPLATE_FAIL,
)
from .images import char_file, image_of
from .state import Answer, ModuleState, Upload, unpack


class ProcessingInstructions(ModuleState):
    """GenImg, Img2Tz, RegModel, Match, Search, Store, LoadChar, DeletChar, Empty, Up/DownChar, Up/DownImage."""

    def _gen_img(self, params: bytes) -> Answer:
        unpack("", params)
        finger = self.presence.take()
        if finger is None:
            return NO_FINGER, b""
        self._image = image_of(feature_of(finger.identity))
        return OK, b""

    def _img2tz(self, params: bytes) -> Answer:
        (buffer,) = unpack("B", params)
        if self._image is None:
            return NO_IMAGE, b""
        if not 1 <= buffer <= CHAR_BUFFERS:
            return PACKET_ERROR, b""
        if buffer == 1:
            self._buffers.clear()  # a new capture sequence begins with buffer 1
        self._buffers[buffer] = self._image[:32]
        return OK, b""

    def _reg_model(self, params: bytes) -> Answer:
        unpack("", params)
        features = set(self._buffers.values())
        if len(self._buffers) < 2 or len(features) != 1:
            return ENROLL_MISMATCH, b""
        template = features.pop()
        self._buffers = dict.fromkeys(range(1, CHAR_BUFFERS + 1), template)
        return OK, b""

    def _match(self, params: bytes) -> Answer:
        unpack("", params)
        first, second = self._buffers.get(1), self._buffers.get(2)
        if first is None or first != second:
            return NO_MATCH, struct.pack(">H", 0)
        return OK, struct.pack(">H", self._rng.randint(*MATCH_SCORES))

    def _search(self, params: bytes) -> Answer:
        buffer, start, count = unpack("BHH", params)
        feature = self._buffers.get(buffer)
        page = None if feature is None else self.library.find(feature, start, count)
        self._passed = page is not None
        if page is None:
            return NOT_FOUND, struct.pack(">HH", 0, 0)
        return OK, struct.pack(">HH", page, self._rng.randint(*MATCH_SCORES))

    def _store(self, params: bytes) -> Answer:
        buffer, page = unpack("BH", params)
        if not 0 <= page < self.library.capacity:
            return BAD_LOCATION, b""
        if buffer not in self._buffers:
            return FEATURE_FAIL, b""
        self.library.store(page, self._buffers[buffer])
        return OK, b""

    def _load_char(self, params: bytes) -> Answer:
        buffer, page = unpack("BH", params)
        if not 0 <= page < self.library.capacity:
            return BAD_LOCATION, b""
        feature = self.library.template(page)
        if feature is None:
            return READ_TEMPLATE_FAIL, b""
        self._buffers[buffer] = feature
        return OK, b""

    def _delete_char(self, params: bytes) -> Answer:
        page, count = unpack("HH", params)
        if count < 1 or page + count > self.library.capacity:
            return DELETE_FAIL, b""
        self.library.delete(page, count)
        return OK, b""

    def _empty(self, params: bytes) -> Answer:
        unpack("", params)
        self.wipe()
        return OK, b""

    def _up_char(self, params: bytes) -> Answer:
        (buffer,) = unpack("B", params)
        feature = self._buffers.get(buffer)
        if feature is None:
            return UPLOAD_TEMPLATE_FAIL, b""
        return self._then_send(char_file(feature))

    def _down_char(self, params: bytes) -> Answer:
        (buffer,) = unpack("B", params)
        if not 1 <= buffer <= CHAR_BUFFERS:
            return RECEIVE_FAIL, b""

        def received(data: bytes) -> None:
            self._buffers[buffer] = data[:32].ljust(32, b"\0")

        self._upload = Upload(received)
        return OK, b""

    def _up_image(self, params: bytes) -> Answer:
        unpack("", params)
        if self._image is None:
            return UPLOAD_IMAGE_FAIL, b""
        return self._then_send(self._image)

    def _down_image(self, params: bytes) -> Answer:
        unpack("", params)

        def received(data: bytes) -> None:
            self._image = data.ljust(32, b"\0")

        self._upload = Upload(received)
        return OK, b""
