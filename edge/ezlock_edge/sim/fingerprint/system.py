"""System-related instructions: password, address, system parameters, the library's index."""

from __future__ import annotations

import struct

from .codes import BAD_REGISTER, BAUD_FACTORS, OK, PACKET_SIZES, WRONG_PASSWORD
from .state import Answer, ModuleState, unpack

# Status register (R503 manual, ReadSysPara): bit 0 Busy stays 0, the module answers
# each instruction only once it is done.
_STATUS_PASS = 1 << 1
_STATUS_PWD = 1 << 2
_STATUS_IMAGE = 1 << 3


class SystemInstructions(ModuleState):
    """VfyPwd, SetPwd, SetAdder, SetSysPara, ReadSysPara, TempleteNum, ReadIndexTable."""

    def _vfy_pwd(self, params: bytes) -> Answer:
        (password,) = unpack("I", params)
        self._verified = password == self.settings.password
        return (OK if self._verified else WRONG_PASSWORD), b""

    def _set_pwd(self, params: bytes) -> Answer:
        (password,) = unpack("I", params)
        self.settings.password = password
        self.settings.save()
        self._verified = True
        return OK, b""

    def _set_address(self, params: bytes) -> Answer:
        (address,) = unpack("I", params)
        self.settings.address = address  # the acknowledge already uses the new one
        self.settings.save()
        return OK, b""

    def _set_sys_para(self, params: bytes) -> Answer:
        number, value = unpack("BB", params)
        settings = self.settings
        if number == 4 and value in BAUD_FACTORS:
            settings.baud_factor = value
        elif number == 5 and 1 <= value <= 5:
            settings.security_level = value
        elif number == 6 and 0 <= value < len(PACKET_SIZES):
            settings.packet_size = value
        else:
            return BAD_REGISTER, b""
        settings.save()
        return OK, b""

    def _read_sys_para(self, params: bytes) -> Answer:
        unpack("", params)
        settings = self.settings
        status = (
            (_STATUS_PASS if self._passed else 0)
            | (_STATUS_PWD if self._verified else 0)
            | (_STATUS_IMAGE if self._image is not None else 0)
        )
        return OK, struct.pack(
            ">HHHHIHH",
            status,
            0x0000,  # system identifier code, fixed
            self.library.capacity,
            settings.security_level,
            settings.address,
            settings.packet_size,
            settings.baud_factor,
        )

    def _template_num(self, params: bytes) -> Answer:
        unpack("", params)
        return OK, struct.pack(">H", len(self.library))

    def _read_index_table(self, params: bytes) -> Answer:
        (index_page,) = unpack("B", params)
        bitmap = bytearray(32)
        for page in self.library.slots():
            bit = page - index_page * 256
            if 0 <= bit < 256:
                bitmap[bit // 8] |= 1 << (bit % 8)
        return OK, bytes(bitmap)
