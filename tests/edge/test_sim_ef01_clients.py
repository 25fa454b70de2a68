"""Public fingerprint host libraries drive the simulated module over its pty.

Adafruit's CircuitPython library (``adafruit_fingerprint``) and ``pyfingerprint`` were
written from the R30x / R503 manuals by people who had the modules on their desks; they
run here unchanged, on CPython with pyserial, against the simulator's pseudo-terminal.
They block, so each runs in a worker thread while the simulator runs on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import adafruit_fingerprint
from pyfingerprint.pyfingerprint import PyFingerprint
import pytest
import serial

from ezlock_edge.sim.lock import SimulatedLock


@pytest.fixture
async def lock(tmp_path: Path) -> AsyncIterator[SimulatedLock]:
    lock = SimulatedLock(seed=4, state_dir=tmp_path / "state")
    await lock.start()
    yield lock
    await lock.stop()


def _adafruit(path: str) -> adafruit_fingerprint.Adafruit_Fingerprint:
    # Its constructor sends VfyPwd, then ReadSysPara, and fails unless both answer OK.
    return adafruit_fingerprint.Adafruit_Fingerprint(
        serial.Serial(path, 57600, timeout=2)
    )


async def test_adafruit_library_enrolls_finds_and_deletes(lock: SimulatedLock) -> None:
    sensor = await asyncio.to_thread(_adafruit, str(lock.ports["fingerprint"]))
    assert sensor.library_size == 200  # an R503's pages (the lock uses 50)
    assert sensor.device_address == b"\xff\xff\xff\xff"
    assert sensor.data_packet_size == 2
    assert await asyncio.to_thread(sensor.check_module)  # GetEcho answered 55

    async def capture(finger: str, slot: int) -> None:
        await lock.finger(finger)
        assert await asyncio.to_thread(sensor.get_image) == adafruit_fingerprint.OK
        assert (
            await asyncio.to_thread(sensor.image_2_tz, slot) == adafruit_fingerprint.OK
        )

    await capture("carol-index", 1)
    await capture("carol-index", 2)
    assert await asyncio.to_thread(sensor.compare_templates) == adafruit_fingerprint.OK
    assert await asyncio.to_thread(sensor.create_model) == adafruit_fingerprint.OK
    # A miss is read as a 16-byte acknowledge (length 7, page and score zero).
    assert (
        await asyncio.to_thread(sensor.finger_search) == adafruit_fingerprint.NOTFOUND
    )
    assert (sensor.finger_id, sensor.confidence) == (0, 0)
    assert await asyncio.to_thread(sensor.store_model, 3) == adafruit_fingerprint.OK
    assert await asyncio.to_thread(sensor.count_templates) == adafruit_fingerprint.OK
    assert sensor.template_count == 1
    assert await asyncio.to_thread(sensor.read_templates) == adafruit_fingerprint.OK
    assert sensor.templates == [3]

    await capture("carol-index", 1)
    assert await asyncio.to_thread(sensor.finger_search) == adafruit_fingerprint.OK
    assert sensor.finger_id == 3
    assert sensor.confidence > 50
    assert await asyncio.to_thread(sensor.finger_fast_search) == adafruit_fingerprint.OK
    assert sensor.finger_id == 3

    await capture("mallory", 1)
    assert (
        await asyncio.to_thread(sensor.finger_search) == adafruit_fingerprint.NOTFOUND
    )

    assert await asyncio.to_thread(sensor.set_led, 1, 1) == adafruit_fingerprint.OK
    assert await asyncio.to_thread(sensor.delete_model, 3) == adafruit_fingerprint.OK
    assert await asyncio.to_thread(sensor.count_templates) == adafruit_fingerprint.OK
    assert sensor.template_count == 0
    assert await asyncio.to_thread(sensor.empty_library) == adafruit_fingerprint.OK
    await asyncio.to_thread(sensor.close_uart)


async def test_adafruit_library_moves_a_template_between_modules(
    lock: SimulatedLock,
) -> None:
    sensor = await asyncio.to_thread(_adafruit, str(lock.ports["fingerprint"]))
    await lock.finger("dave")
    assert await asyncio.to_thread(sensor.get_image) == adafruit_fingerprint.OK
    assert await asyncio.to_thread(sensor.image_2_tz, 1) == adafruit_fingerprint.OK
    template = await asyncio.to_thread(sensor.get_fpdata, "char", 1)
    assert len(template) == 512
    # Downloaded into buffer 2, it matches the capture in buffer 1.
    assert await asyncio.to_thread(sensor.send_fpdata, template, "char", 2)
    assert await asyncio.to_thread(sensor.compare_templates) == adafruit_fingerprint.OK
    await asyncio.to_thread(sensor.close_uart)


async def test_adafruit_library_with_a_module_password(lock: SimulatedLock) -> None:
    path = str(lock.ports["fingerprint"])
    sensor = await asyncio.to_thread(PyFingerprint, path, 57600, 0xFFFFFFFF, 0)
    assert await asyncio.to_thread(sensor.verifyPassword)
    assert await asyncio.to_thread(sensor.setPassword, 0x01020304)
    del sensor
    await lock.restart_module("fingerprint")
    with pytest.raises(RuntimeError, match="Failed to find sensor"):
        await asyncio.to_thread(_adafruit, path)  # the default password is refused
    sensor2 = await asyncio.to_thread(
        lambda: adafruit_fingerprint.Adafruit_Fingerprint(
            serial.Serial(path, 57600, timeout=2), passwd=(1, 2, 3, 4)
        )
    )
    assert await asyncio.to_thread(sensor2.count_templates) == adafruit_fingerprint.OK
    await asyncio.to_thread(sensor2.close_uart)


async def test_pyfingerprint_enrolls_and_searches(lock: SimulatedLock) -> None:
    path = str(lock.ports["fingerprint"])
    sensor = await asyncio.to_thread(PyFingerprint, path, 57600, 0xFFFFFFFF, 0)
    assert await asyncio.to_thread(sensor.verifyPassword)
    assert await asyncio.to_thread(sensor.getStorageCapacity) == 200
    assert await asyncio.to_thread(sensor.getTemplateCount) == 0

    async def capture(finger: str, buffer: int) -> None:
        await lock.finger(finger)
        assert await asyncio.to_thread(sensor.readImage)
        await asyncio.to_thread(sensor.convertImage, buffer)

    assert not await asyncio.to_thread(sensor.readImage)  # no finger yet
    await capture("erin", 0x01)
    await capture("erin", 0x02)
    assert await asyncio.to_thread(sensor.compareCharacteristics) > 0
    await asyncio.to_thread(sensor.createTemplate)
    assert await asyncio.to_thread(sensor.searchTemplate) == (-1, -1)
    position = await asyncio.to_thread(sensor.storeTemplate)  # first free page
    assert position == 0
    assert (await asyncio.to_thread(sensor.getTemplateIndex, 0))[0] is True
    await capture("erin", 0x01)
    page, score = await asyncio.to_thread(sensor.searchTemplate)
    assert page == 0
    assert score > 50
    characteristics = await asyncio.to_thread(sensor.downloadCharacteristics, 0x01)
    assert len(characteristics) == 512
    assert await asyncio.to_thread(sensor.uploadCharacteristics, 0x02, characteristics)
    assert await asyncio.to_thread(sensor.loadTemplate, 0, 0x02)
    assert await asyncio.to_thread(sensor.compareCharacteristics) > 0
    assert isinstance(await asyncio.to_thread(sensor.generateRandomNumber), int)
    assert await asyncio.to_thread(sensor.deleteTemplate, 0)
    assert await asyncio.to_thread(sensor.clearDatabase)
    assert await asyncio.to_thread(sensor.getTemplateCount) == 0
