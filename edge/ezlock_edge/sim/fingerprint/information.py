"""The other instructions: random code, information page, notepad, LED ring, versions, product info, reset, echo."""

from __future__ import annotations

import struct

from .codes import (
    ALGORITHM_VERSION,
    BAD_NOTEPAD_PAGE,
    CHAR_SIZE,
    FIRMWARE_VERSION,
    INFO_PAGE_SIZE,
    MODULE_OK,
    MODULE_TYPE,
    NOTEPAD_PAGE_SIZE,
    NOTEPAD_PAGES,
    OK,
)
from .state import Answer, MalformedError, ModuleState, unpack


class InformationInstructions(ModuleState):
    """GetRandomCode, ReadInfPage, Write/ReadNotepad, AuraLedConfig, GetAlgVer, GetFwVer, ReadProdInfo, SoftRst, GetEcho, and no-ops."""

    def _get_random_code(self, params: bytes) -> Answer:
        unpack("", params)
        return OK, self._rng.getrandbits(32).to_bytes(4, "big")

    def _read_inf_page(self, params: bytes) -> Answer:
        unpack("", params)
        return self._then_send(self._prod_info().ljust(INFO_PAGE_SIZE, b"\0"))

    def _write_notepad(self, params: bytes) -> Answer:
        if len(params) != 1 + NOTEPAD_PAGE_SIZE:
            raise MalformedError
        page = params[0]
        if page >= NOTEPAD_PAGES:
            return BAD_NOTEPAD_PAGE, b""
        self.settings.notepad[page] = params[1:]
        self.settings.save()
        return OK, b""

    def _read_notepad(self, params: bytes) -> Answer:
        (page,) = unpack("B", params)
        if page >= NOTEPAD_PAGES:
            return BAD_NOTEPAD_PAGE, b""
        return OK, self.settings.notepad.get(page, bytes(NOTEPAD_PAGE_SIZE))

    def _aura_led_config(self, params: bytes) -> Answer:
        control, speed, colour, times = unpack("BBBB", params)
        self.led = (control, speed, colour, times)
        return OK, b""

    def _get_alg_ver(self, params: bytes) -> Answer:
        unpack("", params)
        return OK, ALGORITHM_VERSION.encode().ljust(32, b"\0")

    def _get_fw_ver(self, params: bytes) -> Answer:
        unpack("", params)
        return OK, FIRMWARE_VERSION.encode().ljust(32, b"\0")

    def _read_prod_info(self, params: bytes) -> Answer:
        unpack("", params)
        return OK, self._prod_info()

    def _prod_info(self) -> bytes:
        """ReadProdInfo's 46 bytes (manual, ReadProdInfo table)."""
        return struct.pack(
            ">16s4s8sBB8sHHHH",
            MODULE_TYPE.encode(),
            b"SIM1",
            b"00000001",
            1,
            2,
            b"EZSIM192",
            192,
            192,
            CHAR_SIZE,
            self.library.capacity,
        )

    def _soft_reset(self, params: bytes) -> Answer:
        unpack("", params)
        return OK, b""  # RAM is cleared and 55 sent once the acknowledge is out

    def _get_echo(self, params: bytes) -> Answer:
        unpack("", params)
        return MODULE_OK, b""

    def _no_op(self, params: bytes) -> Answer:
        unpack("", params)
        return OK, b""
