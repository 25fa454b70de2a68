"""The automatic commands (manual pp. 28-32, 6.3, 6.4): AutoEnroll and AutoIdentify run on their own.

One command, then an acknowledge per key step as fingers are presented, until the last
step, a failure, a timeout (no finger for :data:`AUTO_TIMEOUT` seconds) or Cancel.
Meanwhile the module answers nothing but Cancel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import struct

from ezlock_edge.sim.templates import feature_of

from .codes import (
    ALREADY_EXISTS,
    AUTO_CAPTURES,
    AUTO_ID,
    BAD_LOCATION,
    ENROLL_MISMATCH,
    LIBRARY_EMPTY,
    LIBRARY_FULL,
    MATCH_SCORES,
    NOT_FOUND,
    OK,
    PACKET_ERROR,
    STEP_COLLECT,
    STEP_DUPLICATE_CHECK,
    STEP_FEATURE,
    STEP_MERGE,
    STEP_SEARCH,
    STEP_STORE,
    TEMPLATE_EMPTY,
    TIMEOUT,
)
from .images import image_of
from .state import Answer, ModuleState, unpack


class AutomaticInstructions(ModuleState):
    """Cancel, AutoEnroll, AutoIdentify, and the background run they share."""

    def _cancel(self, params: bytes) -> Answer:
        """Cancel (p. 25): stop a running AutoEnroll / AutoIdentify (it sends no more)."""
        unpack("", params)
        self._stop_auto()
        return OK, b""

    def _stop_auto(self) -> None:
        if self._auto is not None:
            self._auto.cancel()
            self._auto = None

    def _run_auto(self, work: Callable[[], Awaitable[None]]) -> None:
        async def run() -> None:
            try:
                await work()
            finally:
                if self._auto is asyncio.current_task():
                    self._auto = None

        # Started at once: a finger already on the reader is captured, searched and
        # answered before the command's bytes are even returned from, as the module
        # answers as soon as it has the command (no event-loop turn in between).
        task = asyncio.get_running_loop().create_task(run(), eager_start=True)
        self._auto = None if task.done() else task

    async def _next_feature(self) -> bytes | None:
        """Wait for the next finger (None after ``auto_timeout``), image and feature."""
        finger = await self.presence.within(self.auto_timeout)
        if finger is None:
            return None
        self._image = image_of(feature_of(finger.identity))
        return self._image[:32]

    def _auto_enroll(self, params: bytes) -> Answer | None:
        """AutoEnroll (p. 28): six images, duplicate check, merge, store; 5-byte acks."""
        location, cover, duplicates, steps, _leave = unpack("BBBBB", params)
        library = self.library

        def ack(code: int, step: int, location: int = 0) -> None:
            self._ack(code, bytes((step, location)))

        if location >= AUTO_ID:
            free = library.free_slot()
            if free is None:
                return LIBRARY_FULL, bytes((0, 0))
            page = free
        elif location >= library.capacity:
            return BAD_LOCATION, bytes((0, location))
        elif not cover and location in library.slots():
            # 6.3: a taken page without "cover ID" allowed: 22H.
            return TEMPLATE_EMPTY, bytes((0, location))
        else:
            page = location

        async def enroll() -> None:
            features: list[bytes] = []
            for capture in range(1, AUTO_CAPTURES + 1):
                feature = await self._next_feature()
                if feature is None:
                    ack(TIMEOUT, 2 * capture - 1)
                    return
                if steps:
                    ack(OK, 2 * capture - 1)
                self._buffers[capture] = feature
                features.append(feature)
                if steps:
                    ack(OK, 2 * capture)
            # Every capture here comes from its own presentation: the finger has
            # always left in between, so "ask the finger to leave" changes nothing.
            if not duplicates and library.find(features[0]) is not None:
                ack(ALREADY_EXISTS, STEP_DUPLICATE_CHECK)
                return
            if steps:
                ack(OK, STEP_DUPLICATE_CHECK)
            if len(set(features)) != 1:
                ack(ENROLL_MISMATCH, STEP_MERGE)
                return
            if steps:
                ack(OK, STEP_MERGE)
            library.store(page, features[0])
            ack(OK, STEP_STORE, page)

        self._run_auto(enroll)
        return None

    def _auto_identify(self, params: bytes) -> Answer | None:
        """AutoIdentify (p. 31): collect, feature, search; 8-byte acks."""
        level, start, count, steps, tries = unpack("BBBBB", params)
        library = self.library

        def ack(code: int, step: int, page: int = 0, score: int = 0) -> bool:
            return self._ack(code, struct.pack(">BHH", step, page, score))

        def result(code: int, page: int = 0, score: int = 0) -> None:
            if not ack(code, STEP_SEARCH, page, score):
                # The finger's result never reached the host: nothing reacted, so
                # the person keeps it on the reader for the next capture.
                self.presence.restore()

        nothing = struct.pack(">BHH", 0, 0, 0)
        if not 1 <= level <= 5:
            return PACKET_ERROR, nothing  # 6.4: "Level parameter error, return 01"
        if start >= library.capacity or count == 0:
            return BAD_LOCATION, nothing  # 6.4: "Position error, return 0B"
        if not library:
            return LIBRARY_EMPTY, nothing

        async def identify() -> None:
            failures = 0
            while True:
                feature = await self._next_feature()
                if feature is None:
                    ack(TIMEOUT, STEP_COLLECT)
                    return
                if steps:
                    ack(OK, STEP_COLLECT)
                    ack(OK, STEP_FEATURE)
                self._buffers[1] = feature
                page = library.find(feature, start, count)
                self._passed = page is not None
                if page is not None:
                    result(OK, page, self._rng.randint(*MATCH_SCORES))
                    return
                failures += 1
                if tries and failures >= tries:  # 0: search until a finger matches
                    result(NOT_FOUND)
                    return

        self._run_auto(identify)
        return None
