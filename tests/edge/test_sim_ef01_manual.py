"""The simulated fingerprint module against the R503 User Manual's packages, byte for byte.

Every vector is written out from the manual ("R503/R503-M22 Fingerprint Module User
Manual", Hangzhou Grow, V1.4.1, 2023.09): chapter IV "Data package format" for the framing
and chapter V "Module Instruction System" for each instruction's command package,
acknowledge package and confirmation codes (page numbers in the comments are the manual's
own); the manual's worked examples (AuraLedConfig, AutoEnroll, AutoIdentify) are copied
byte for byte. Nothing here
goes through a codec of ours: requests are literal bytes written to the pty and replies are
compared with literal bytes, ``??`` standing for a byte the manual leaves to the module
(a score, a random number, a version string).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
import random
import re

import pytest

from ezlock_edge.sim.fingerprint import FingerprintModule
from ezlock_edge.sim.lock import SimulatedLock
from ezlock_edge.sim.presence import Presentation
from ezlock_edge.sim.templates import TemplateLibrary

from .sim_support import HexPort as Port


def _checksum_ok(package: bytes) -> bool:
    """Chapter IV: the sum of identifier, length and content, in the last two bytes."""
    return sum(package[6:-2]) & 0xFFFF == int.from_bytes(package[-2:], "big")


@pytest.fixture
async def lock(tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(seed=3, state_dir=tmp_path / "state")
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
async def port(lock: SimulatedLock) -> AsyncIterator[Port]:
    port = await Port.open(lock.ports["fingerprint"], 57600)
    yield port
    port.close()


H = "EF 01 FF FF FF FF"  # header and the default module address, chapter IV
ACK_OK = f"{H} 07 00 03 00 00 0A"


async def test_power_on_byte_and_handshake(lock: SimulatedLock, port: Port) -> None:
    # p. 26 HandShake: "after the module is powered on, 0x55 will be automatically sent".
    await lock.restart_module("fingerprint")
    await port.expect("55")
    await port.exchange(f"{H} 01 00 03 40 00 44", ACK_OK)  # HandShake, 00: normal
    await port.exchange(f"{H} 01 00 03 36 00 3A", ACK_OK)  # p. 26 CheckSensor
    await port.exchange(f"{H} 01 00 03 30 00 34", ACK_OK)  # p. 25 Cancel
    # GetEcho (53H) is not in the R503 manual; R30x firmwares answer 55 and Adafruit's
    # library checks for it.
    await port.exchange(f"{H} 01 00 03 53 00 57", f"{H} 07 00 03 55 00 5F")


async def test_soft_reset_sends_55_again(port: Port) -> None:
    await port.exchange(f"{H} 01 00 03 3D 00 41", ACK_OK)  # p. 27 SoftRst
    await port.expect("55")  # p. 27: "After module reset, 0x55 will be ... sent"


async def test_password(lock: SimulatedLock, port: Port) -> None:
    # p. 11 VfyPwd with the default password 00000000: 00 correct password.
    await port.exchange(f"{H} 01 00 07 13 00 00 00 00 00 1B", ACK_OK)
    # p. 11 SetPwd 11223344, then a reset: the module insists on VfyPwd first
    # (p. 6 "Module password"), answering 21H "have to verify password".
    await port.exchange(f"{H} 01 00 07 12 11 22 33 44 00 C4", ACK_OK)
    await port.exchange(f"{H} 01 00 03 3D 00 41", ACK_OK)
    await port.expect("55")
    await port.exchange(f"{H} 01 00 03 01 00 05", f"{H} 07 00 03 21 00 2B")
    # A wrong password: 13H.
    await port.exchange(f"{H} 01 00 07 13 00 00 00 00 00 1B", f"{H} 07 00 03 13 00 1D")
    await port.exchange(f"{H} 01 00 07 13 11 22 33 44 00 C5", ACK_OK)
    await port.exchange(f"{H} 01 00 03 01 00 05", f"{H} 07 00 03 02 00 0C")


async def test_module_address(lock: SimulatedLock, port: Port) -> None:
    # p. 12 SetAdder 12345678: the acknowledge already carries the new address.
    await port.exchange(
        f"{H} 01 00 07 15 12 34 56 78 01 31", "EF 01 12 34 56 78 07 00 03 00 00 0A"
    )
    # A package for the old address is not for this module: never answered (chapter IV:
    # "at wrong adder value, module will reject to transfer"); the next one for the new
    # address is answered first.
    await port.send(f"{H} 01 00 03 40 00 44")
    await port.exchange(
        "EF 01 12 34 56 78 01 00 03 40 00 44", "EF 01 12 34 56 78 07 00 03 00 00 0A"
    )


async def test_system_parameters(port: Port) -> None:
    # p. 13 ReadSysPara: status 0000, identifier 0000, library 200 (00C8H, the R503's
    # storage capacity; the lock uses pages 0..49, L-22), security 3,
    # address FFFFFFFF, packet size code 2 (128 bytes), baud N = 6 (57600).
    await port.exchange(
        f"{H} 01 00 03 0F 00 13",
        f"{H} 07 00 13 00 00 00 00 00 00 C8 00 03 FF FF FF FF 00 02 00 06 04 E9",
    )
    # p. 6 "System status register": bit 2 (PWD) once the password is verified.
    await port.exchange(f"{H} 01 00 07 13 00 00 00 00 00 1B", ACK_OK)
    # p. 12 SetSysPara: parameter 6 (packet size) = 3; parameter 7 does not exist: 1AH.
    await port.exchange(f"{H} 01 00 05 0E 06 03 00 1D", ACK_OK)
    await port.exchange(f"{H} 01 00 05 0E 07 01 00 1C", f"{H} 07 00 03 1A 00 24")
    await port.exchange(
        f"{H} 01 00 03 0F 00 13",
        f"{H} 07 00 13 00 00 04 00 00 00 C8 00 03 FF FF FF FF 00 03 00 06 04 EE",
    )


async def test_capture_enroll_search_and_match(lock: SimulatedLock, port: Port) -> None:
    gen_img, img2tz_1 = f"{H} 01 00 03 01 00 05", f"{H} 01 00 04 02 01 00 08"
    await port.exchange(gen_img, f"{H} 07 00 03 02 00 0C")  # p. 17: 02H no finger
    await port.exchange(img2tz_1, f"{H} 07 00 03 15 00 1F")  # p. 19: 15H no image
    await lock.finger("ann-thumb")
    await port.exchange(gen_img, ACK_OK)
    await port.exchange(img2tz_1, ACK_OK)
    await lock.finger("ann-thumb")
    await port.exchange(gen_img, ACK_OK)
    await port.exchange(f"{H} 01 00 04 02 02 00 09", ACK_OK)  # Img2Tz buffer 2
    # p. 23 Match buffers 1 and 2: 00 and a score.
    match = await port.exchange(
        f"{H} 01 00 03 03 00 07", f"{H} 07 00 05 00 ?? ?? ?? ??"
    )
    assert _checksum_ok(match)
    await port.exchange(f"{H} 01 00 03 05 00 09", ACK_OK)  # p. 19 RegModel
    # p. 24 Search buffer 1, pages 0..49 before storing: 09H, page and score 0 (the
    # acknowledge keeps its length 7 on a miss).
    search = f"{H} 01 00 08 04 01 00 00 00 32 00 40"
    await port.exchange(search, f"{H} 07 00 07 09 00 00 00 00 00 17")
    await port.exchange(f"{H} 01 00 06 06 01 00 07 00 15", ACK_OK)  # p. 21 Store page 7
    hit = await port.exchange(search, f"{H} 07 00 07 00 00 07 ?? ?? ?? ??")
    assert _checksum_ok(hit)
    # HiSpeedSearch (1BH, R30x manuals; not in the R503 table): as Search.
    fast = await port.exchange(
        f"{H} 01 00 08 1B 01 00 00 00 32 00 57", f"{H} 07 00 07 00 00 07 ?? ?? ?? ??"
    )
    assert _checksum_ok(fast)
    # p. 13 TempleteNum: one template; p. 14 ReadIndexTable 0: bit 7 of byte 0.
    await port.exchange(f"{H} 01 00 03 1D 00 21", f"{H} 07 00 05 00 00 01 00 0D")
    await port.exchange(
        f"{H} 01 00 04 1F 00 00 24", f"{H} 07 00 23 00 80 {'00 ' * 31}00 AA"
    )
    # p. 22 LoadChar page 7 into buffer 2, then Match buffers 1 and 2 again: a match.
    await port.exchange(f"{H} 01 00 06 07 02 00 07 00 17", ACK_OK)
    await port.exchange(f"{H} 01 00 03 03 00 07", f"{H} 07 00 05 00 ?? ?? ?? ??")
    # LoadChar from an empty page: 0CH; beyond the library: 0BH.
    await port.exchange(f"{H} 01 00 06 07 02 00 08 00 18", f"{H} 07 00 03 0C 00 16")
    await port.exchange(f"{H} 01 00 06 07 02 00 C8 00 D8", f"{H} 07 00 03 0B 00 15")
    # p. 22 DeletChar page 7, 1 template; p. 23 Empty.
    await port.exchange(f"{H} 01 00 07 0C 00 07 00 01 00 1C", ACK_OK)
    await port.exchange(search, f"{H} 07 00 07 09 00 00 00 00 00 17")
    await port.exchange(f"{H} 01 00 03 0D 00 11", ACK_OK)


async def test_a_different_finger_does_not_match(
    lock: SimulatedLock, port: Port
) -> None:
    for finger, img2tz in (("ann", "02 01 00 08"), ("bob", "02 02 00 09")):
        await lock.finger(finger)
        await port.exchange(f"{H} 01 00 03 01 00 05", ACK_OK)
        await port.exchange(f"{H} 01 00 04 {img2tz}", ACK_OK)
    # p. 23 Match: 08H "templates of the two buffers aren't matching", score 0.
    await port.exchange(f"{H} 01 00 03 03 00 07", f"{H} 07 00 05 08 00 00 00 14")
    # p. 19 RegModel: 0AH "fail to combine the character files".
    await port.exchange(f"{H} 01 00 03 05 00 09", f"{H} 07 00 03 0A 00 14")


async def _data_packages(port: Port, total: int, size: int = 128) -> bytes:
    """Read the data packages (02H, last one 08H) that follow an acknowledge."""
    content = b""
    while len(content) < total:
        last = len(content) + size >= total
        length = f"{(size + 2) >> 8:02X} {(size + 2) & 0xFF:02X}"
        got = await port.expect(
            f"{H} {'08' if last else '02'} {length} {'?? ' * size}?? ??"
        )
        assert _checksum_ok(got)
        content += got[9:-2]
    return content


async def test_upload_and_download_a_template(lock: SimulatedLock, port: Port) -> None:
    await lock.finger("ann")
    await port.exchange(f"{H} 01 00 03 01 00 05", ACK_OK)
    await port.exchange(f"{H} 01 00 04 02 01 00 08", ACK_OK)
    # p. 20 UpChar buffer 1: the acknowledge, then the character file in data packages
    # of the set packet size (128 bytes, ReadSysPara's code 2).
    await port.exchange(f"{H} 01 00 04 08 01 00 0E", ACK_OK)
    template = await _data_packages(port, 512)
    # p. 20 DownChar into buffer 2: acknowledge, then the host sends the packages.
    await port.exchange(f"{H} 01 00 04 09 02 00 10", ACK_OK)
    for offset in range(0, 512, 128):
        identifier = 0x08 if offset + 128 >= 512 else 0x02
        body = bytes((identifier, 0x00, 0x82)) + template[offset : offset + 128]
        total = sum(body) & 0xFFFF
        await port.send(f"{H} {body.hex(' ')} {total >> 8:02X} {total & 0xFF:02X}")
    # The downloaded template matches the captured one.
    await port.exchange(f"{H} 01 00 03 03 00 07", f"{H} 07 00 05 00 ?? ?? ?? ??")
    # p. 20 UpChar of an empty buffer: 0DH.
    await port.exchange(f"{H} 01 00 04 08 03 00 10", f"{H} 07 00 03 0D 00 17")


async def test_upload_an_image(lock: SimulatedLock, port: Port) -> None:
    # p. 17 UpImage with nothing captured: 0FH.
    await port.exchange(f"{H} 01 00 03 0A 00 0E", f"{H} 07 00 03 0F 00 19")
    await lock.finger("ann")
    await port.exchange(f"{H} 01 00 03 01 00 05", ACK_OK)
    await port.exchange(f"{H} 01 00 03 0A 00 0E", ACK_OK)
    image = await _data_packages(port, 192 * 192 // 2)
    # p. 18 DownImage of that image, then Img2Tz from it: the same finger.
    await port.exchange(f"{H} 01 00 03 0B 00 0F", ACK_OK)
    for offset in range(0, len(image), 128):
        identifier = 0x08 if offset + 128 >= len(image) else 0x02
        body = bytes((identifier, 0x00, 0x82)) + image[offset : offset + 128]
        total = sum(body) & 0xFFFF
        await port.send(f"{H} {body.hex(' ')} {total >> 8:02X} {total & 0xFF:02X}")
    await port.exchange(f"{H} 01 00 04 02 01 00 08", ACK_OK)


async def test_notepad_random_code_versions_and_product_info(port: Port) -> None:
    # p. 33 WriteNotepad page 0 with 32 bytes 01, p. 34 ReadNotepad page 0.
    await port.exchange(f"{H} 01 00 24 18 00 {'01 ' * 32}00 5D", ACK_OK)
    await port.exchange(
        f"{H} 01 00 04 19 00 00 1E", f"{H} 07 00 23 00 {'01 ' * 32}00 4A"
    )
    # Page 16 does not exist: 1CH.
    await port.exchange(f"{H} 01 00 04 19 10 00 2E", f"{H} 07 00 03 1C 00 26")
    # p. 32 GetRandomCode (the manual's own checksum 0018H): 4 random bytes.
    code = await port.exchange(f"{H} 01 00 03 14 00 18", f"{H} 07 00 07 00 {'?? ' * 6}")
    assert _checksum_ok(code)
    # p. 15 GetAlgVer (39H), GetFwVer (3AH): 32-byte strings; p. 16 ReadProdInfo: the
    # package length 0031H, 46 bytes (the table's "50 bytes" counts 4 reserved ones the
    # length leaves out).
    for request in (f"{H} 01 00 03 39 00 3D", f"{H} 01 00 03 3A 00 3E"):
        got = await port.exchange(request, f"{H} 07 00 23 00 {'?? ' * 34}")
        assert _checksum_ok(got)
    info = await port.exchange(
        f"{H} 01 00 03 3C 00 40", f"{H} 07 00 31 00 {'?? ' * 48}"
    )
    assert _checksum_ok(info)
    assert info[10:26].rstrip(b"\0") == b"R503"  # PARAM_FPM_MODEL
    assert int.from_bytes(info[-4:-2], "big") == 200  # PARAM_TMPL_TOTAL
    # p. 33 ReadInfPage: acknowledge, then 512 bytes in data packages.
    await port.exchange(f"{H} 01 00 03 16 00 1A", ACK_OK)
    assert len(await _data_packages(port, 512)) == 512


async def test_aura_led(lock: SimulatedLock, port: Port) -> None:
    # p. 27 AuraLedConfig: breathing (01), speed 80, red (01), infinite (00).
    await port.exchange(f"{H} 01 00 07 35 01 80 01 00 00 BF", ACK_OK)
    assert lock._require(lock._fingerprint).led == (0x01, 0x80, 0x01, 0x00)
    # p. 28, the manual's example "Cyan breathing light", byte for byte.
    await port.exchange("EF01FFFFFFFF01000735015006000094", "EF01FFFFFFFF07000300000A")
    assert lock._require(lock._fingerprint).led == (0x01, 0x50, 0x06, 0x00)


async def test_get_image_ex(lock: SimulatedLock, port: Port) -> None:
    # p. 24 GetImageEx (28H, the manual's checksum 002CH): 02H no finger, 00 captured
    # (a simulated image is never of poor quality, 07H).
    await port.exchange(f"{H} 01 00 03 28 00 2C", f"{H} 07 00 03 02 00 0C")
    await lock.finger("ann")
    await port.exchange(f"{H} 01 00 03 28 00 2C", ACK_OK)
    await port.exchange(f"{H} 01 00 04 02 01 00 08", ACK_OK)


AUTO_ENROLL = "EF01FFFFFFFF01000831C8000101010105"
"""p. 29 "Example of AutoEnroll": first free page (C8), no cover, duplicates allowed,
every key step returned, finger must leave."""
AUTO_ENROLL_STEPS = (
    "EF01FFFFFFFF07000500010000 0D EF01FFFFFFFF07000500020000 0E",
    "EF01FFFFFFFF07000500030000 0F EF01FFFFFFFF07000500040000 10",
    "EF01FFFFFFFF07000500050000 11 EF01FFFFFFFF07000500060000 12",
    "EF01FFFFFFFF07000500070000 13 EF01FFFFFFFF07000500080000 14",
    "EF01FFFFFFFF07000500090000 15 EF01FFFFFFFF070005000A0000 16",
    "EF01FFFFFFFF070005000B0000 17 EF01FFFFFFFF070005000C0000 18",
)
"""The example's returns, two per image: collect image n (step 2n - 1), feature n."""
AUTO_ENROLL_END = (
    "EF01FFFFFFFF070005000D000019 EF01FFFFFFFF070005000E00001A"
    " EF01FFFFFFFF070005000F00001B"
)
"""Repeat fingerprint check (0D), merge (0E), storage template (0F) with the page."""
AUTO_IDENTIFY = "EF01FFFFFFFF010008320300C801010108"
"""p. 32 "Example of AutoIdentify": security 3, start 0, 200 pages, key steps, 1 try."""


async def _auto_enroll(lock: SimulatedLock, port: Port, finger: str) -> None:
    await port.send(AUTO_ENROLL)
    for returns in AUTO_ENROLL_STEPS:
        await lock.finger(finger)
        await port.expect(returns)


async def test_auto_enroll_as_the_manuals_example(
    lock: SimulatedLock, port: Port
) -> None:
    await _auto_enroll(lock, port, "ann")
    await port.expect(AUTO_ENROLL_END)  # stored in page 0, the first empty one
    await port.exchange(f"{H} 01 00 03 1D 00 21", f"{H} 07 00 05 00 00 01 00 0D")
    # The next automatic enrollment goes to page 1; its storage step names it.
    await _auto_enroll(lock, port, "bob")
    await port.expect(
        "EF01FFFFFFFF070005000D000019 EF01FFFFFFFF070005000E00001A"
        " EF01FFFFFFFF070005000F01001C"
    )


async def test_auto_identify_as_the_manuals_example(
    lock: SimulatedLock, port: Port
) -> None:
    await _auto_enroll(lock, port, "ann")
    await port.expect(AUTO_ENROLL_END)
    await port.send(AUTO_IDENTIFY)
    await lock.finger("ann")
    # Collect image (step 1), generate feature (2), search (3): page 0000 and a score
    # (the manual's example scored 003D).
    await port.expect("EF01FFFFFFFF0700080001000000000010")
    await port.expect("EF01FFFFFFFF0700080002000000000011")
    found = await port.expect("EF01FFFFFFFF07000800030000 ?? ?? ?? ??")
    assert _checksum_ok(found)
    # An unknown finger with one try allowed: 09H "failed to search" at the search step.
    await port.send(AUTO_IDENTIFY)
    await lock.finger("mallory")
    await port.expect("EF01FFFFFFFF0700080001000000000010")
    await port.expect("EF01FFFFFFFF0700080002000000000011")
    await port.expect("EF01FFFFFFFF070008 09 03 0000 0000 001B")


async def test_auto_commands_refuse_what_they_cannot_do(
    lock: SimulatedLock, port: Port
) -> None:
    # p. 37 AutoIdentify on an empty library: 24H; security level 0: 01H (6.4 "Level
    # parameter error, return 01"); a start beyond the library: 0BH (6.4).
    await port.exchange(AUTO_IDENTIFY, f"{H} 07 00 08 24 00 0000 0000 00 33")
    await port.exchange(
        f"{H} 01 00 08 32 00 00 C8 01 01 01 05", f"{H} 07 00 08 01 00 0000 0000 00 10"
    )
    await _auto_enroll(lock, port, "ann")
    await port.expect(AUTO_ENROLL_END)
    await port.exchange(
        f"{H} 01 00 08 32 03 C8 C8 01 01 01 D0", f"{H} 07 00 08 0B 00 0000 0000 00 1A"
    )
    # p. 30 AutoEnroll: page 0 is taken and "cover ID" not allowed (22H, 6.3); the same
    # finger again with duplicates refused (27H at the repeat fingerprint check); two
    # fingers in one template (0AH at merge). (Every page byte 00..C7 is in the R503's
    # library of 200, C8..FF means the first free one: 0BH is for smaller libraries.)
    await port.exchange(
        f"{H} 01 00 08 31 00 00 01 01 01 00 3D", f"{H} 07 00 05 22 00 00 00 2E"
    )
    await port.send(f"{H} 01 00 08 31 C8 00 00 01 01 01 04")
    for returns in AUTO_ENROLL_STEPS:
        await lock.finger("ann")
        await port.expect(returns)
    await port.expect(f"{H} 07 00 05 27 0D 00 00 40")
    await port.send(AUTO_ENROLL)
    for index, returns in enumerate(AUTO_ENROLL_STEPS):
        await lock.finger("bob" if index == 5 else "carol")
        await port.expect(returns)
    await port.expect(f"EF01FFFFFFFF070005000D000019 {H} 07 00 05 0A 0E 00 00 24")


async def test_auto_enroll_without_key_steps_returns_the_last_only(
    lock: SimulatedLock, port: Port
) -> None:
    # p. 30: "If the status of return key step is set to 0 ..., only returned the last
    # acknowledge packet": storage in page 5 (cover allowed, duplicates allowed).
    await port.send(f"{H} 01 00 08 31 05 01 01 00 00 00 41")
    for _ in AUTO_ENROLL_STEPS:
        await lock.finger("ann")
    await port.expect(f"{H} 07 00 05 00 0F 05 00 20")


async def test_a_waiting_finger_is_answered_within_the_command() -> None:
    # The module answers as soon as it has a command: an AutoEnroll whose six
    # presentations are already waiting and an AutoIdentify with the finger on the
    # reader are answered inside the call that hands it the command's bytes, not one
    # event-loop turn later; and the module hears the next command (not left busy).
    sent: list[bytes] = []
    module = FingerprintModule(TemplateLibrary(), random.Random(0), send=sent.append)
    for _ in AUTO_ENROLL_STEPS:
        module.presence.present(Presentation("ann"))
    module.receive(bytes.fromhex(AUTO_ENROLL))
    expected = "".join((*AUTO_ENROLL_STEPS, AUTO_ENROLL_END)).replace(" ", "")
    assert b"".join(sent).hex().upper() == expected
    sent.clear()
    module.presence.present(Presentation("ann"))
    module.receive(bytes.fromhex(AUTO_IDENTIFY))
    answers = b"".join(sent).hex().upper()
    assert answers.startswith(
        "EF01FFFFFFFF0700080001000000000010EF01FFFFFFFF0700080002000000000011"
        "EF01FFFFFFFF07000800030000"  # search: OK, page 0000, then a score
    )
    assert _checksum_ok(sent[-1])
    sent.clear()
    module.receive(bytes.fromhex(f"{H} 01 00 03 40 00 44"))  # HandShake
    assert sent == [bytes.fromhex(ACK_OK)]


async def test_auto_identify_times_out_and_cancel_stops_it(
    lock: SimulatedLock, port: Port
) -> None:
    module = lock._require(lock._fingerprint)
    await _auto_enroll(lock, port, "ann")
    await port.expect(AUTO_ENROLL_END)
    # No finger within the wait (10 s on the module; shortened here): 26H at "collect
    # image".
    module.auto_timeout = 0.05
    await port.exchange(AUTO_IDENTIFY, f"{H} 07 00 08 26 01 0000 0000 00 36")
    module.auto_timeout = 30.0
    # While it waits the module hears only Cancel (p. 25): the HandShake sent meanwhile
    # gets no answer, Cancel gets 00 and the identification sends nothing more.
    await port.send(AUTO_IDENTIFY)
    await port.send(f"{H} 01 00 03 40 00 44")
    await port.exchange(f"{H} 01 00 03 30 00 34", ACK_OK)
    await lock.finger("ann")
    await port.exchange(f"{H} 01 00 03 40 00 44", ACK_OK)


async def test_damaged_and_unsupported_packages(port: Port) -> None:
    # A package with a wrong checksum is not answered; the next good one is.
    await port.send(f"{H} 01 00 03 40 00 45")
    await port.exchange(f"{H} 01 00 03 40 00 44", ACK_OK)
    # Parameters of the wrong length: 01H "error when receiving package".
    await port.exchange(f"{H} 01 00 04 40 00 00 45", f"{H} 07 00 03 01 00 0B")
    # An instruction the module does not have (27H): 01H as well.
    await port.exchange(f"{H} 01 00 03 27 00 2B", f"{H} 07 00 03 01 00 0B")
    # AutoEnroll without its five parameters: 01H.
    await port.exchange(f"{H} 01 00 03 31 00 35", f"{H} 07 00 03 01 00 0B")


def test_every_instruction_the_module_answers_has_its_vector_here() -> None:
    """Each instruction of the module's set is sent above as a literal package."""
    source = Path(__file__).read_text().replace("{H}", H)
    packed = re.sub(r"\s+", "", source)
    sent = {
        int(code, 16)
        for code in re.findall(r"EF01FFFFFFFF01[0-9A-F]{4}([0-9A-F]{2})", packed)
    }
    instructions = FingerprintModule(TemplateLibrary(), random.Random(0), send=print)
    assert sorted(instructions.instructions - sent) == []
