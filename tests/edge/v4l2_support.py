"""A V4L2 capture device inside the test process: the kernel's side of what linuxpy sends.

The development and CI machines have no camera and cannot load a kernel module
(v4l2loopback, CUSE), so the driver's V4L2 code would otherwise never run. Here linuxpy
runs unchanged against a device node that is a FIFO: opening it, ``select`` on it and
closing it are the real kernel's. Only the two calls a FIFO cannot answer go to
:class:`FakeV4l2Device`: ``ioctl`` (linuxpy's ``linuxpy.ioctl.fcntl``) and ``mmap``
of the device (``linuxpy.video.device.mmap``), each only for this device's descriptors.

They are answered as the V4L2 UAPI specifies (Linux, Documentation/userspace-api/media/
v4l: querycap, enum-fmt, g-fmt, g-parm, reqbufs, querybuf, qbuf, streamon, mmap; the
ioctl numbers and struct layouts of ``videodev2.h`` on 64-bit Linux), written from that
document, not from linuxpy: an ioctl number or struct size the kernel does not know is
refused with ENOTTY, a call out of order with the errno the kernel gives. A filled
buffer makes the node readable, as ``poll`` on a capture node does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import errno
import fcntl
import mmap
import os
from pathlib import Path
import struct
from types import SimpleNamespace
from typing import Any

import linuxpy.ioctl
import linuxpy.video.device
import pytest

# videodev2.h, as on 64-bit Linux: _IOR/_IOW/_IOWR('V', nr, type).
QUERYCAP = 0x80685600  # struct v4l2_capability, 104 bytes
ENUM_FMT = 0xC0405602  # struct v4l2_fmtdesc, 64
G_FMT = 0xC0D05604  # struct v4l2_format, 208
S_FMT = 0xC0D05605
REQBUFS = 0xC0145608  # struct v4l2_requestbuffers, 20
QUERYBUF = 0xC0585609  # struct v4l2_buffer, 88
QBUF = 0xC058560F
DQBUF = 0xC0585611
STREAMON = 0x40045612  # int
STREAMOFF = 0x40045613
G_PARM = 0xC0CC5615  # struct v4l2_streamparm, 204
S_PARM = 0xC0CC5616

BUF_TYPE_VIDEO_CAPTURE = 1
MEMORY_MMAP = 1
FIELD_NONE = 1
CAP_VIDEO_CAPTURE = 0x00000001
CAP_STREAMING = 0x04000000
CAP_DEVICE_CAPS = 0x80000000
CAP_TIMEPERFRAME = 0x1000
FMT_FLAG_COMPRESSED = 0x0001
BUF_FLAG_MAPPED = 0x0001
BUF_FLAG_QUEUED = 0x0002
BUF_FLAG_DONE = 0x0004
BUF_FLAG_TIMESTAMP_MONOTONIC = 0x2000
COLORSPACE_SRGB = 8
_PAGE = 4096


def fourcc(code: str) -> int:
    """``v4l2_fourcc(a, b, c, d)``: four characters, the first in the lowest byte."""
    a, b, c, d = code.encode()
    return a | b << 8 | c << 16 | d << 24


MJPEG = fourcc("MJPG")
YUYV = fourcc("YUYV")
GREY = fourcc("GREY")


@dataclass
class _Buffer:
    index: int
    data: bytearray
    used: int = 0
    sequence: int = 0
    queued: bool = False
    done: bool = False


class _Mapping:
    """What ``mmap`` of a buffer gives: its memory (slicing copies, as from a mapping)."""

    def __init__(self, device: FakeV4l2Device, buffer: _Buffer) -> None:
        self._device = device
        self._buffer = buffer
        device.mapped += 1

    def __getitem__(self, index: slice) -> bytes:
        return bytes(self._buffer.data[index])

    def __len__(self) -> int:
        return len(self._buffer.data)

    def close(self) -> None:
        self._device.mapped -= 1


class FakeV4l2Device:
    """A capture-only, streaming (MMAP) camera offering ``formats`` at ``sizes``.

    ``frames(width, height, pixelformat)`` makes each frame the camera delivers. While
    ``producing`` is False it delivers none (a stalled camera); :meth:`unplug` pulls
    it out (every call then fails with ENODEV). ``fps``: None for a camera whose frame
    rate cannot be set (S_PARM answers ENOTTY).
    """

    def __init__(
        self,
        path: Path,
        formats: tuple[int, ...],
        sizes: tuple[tuple[int, int], ...],
        frames: Callable[[int, int, int], bytes],
        *,
        fps: tuple[int, ...] | None = (5, 15, 30),
    ) -> None:
        """Create the device node at ``path`` (a FIFO); nothing answers until installed."""
        os.mkfifo(path)
        self.path = path
        self._node = os.stat(path).st_ino
        self._formats = formats
        self._sizes = sizes
        self._frames = frames
        self._rates = fps
        self.producing = True
        self.gone = False
        self.width, self.height = sizes[0]
        self.pixelformat = formats[0]
        self.fps = fps[-1] if fps else 30
        self.buffers: list[_Buffer] = []
        self.mapped = 0
        self.streaming = False
        self.calls: list[str] = []
        """The ioctls received, by name, in order."""
        self._done: deque[_Buffer] = deque()
        self._sequence = 0
        # The driver's own end of the node: a byte in the FIFO per filled buffer.
        self._signal = os.open(path, os.O_RDWR | os.O_NONBLOCK)

    # what the tests look at

    def opened(self) -> int:
        """Return how many descriptors of the node the process holds (besides ours)."""
        count = 0
        for entry in Path("/proc/self/fd").iterdir():
            with contextlib.suppress(OSError):
                if int(entry.name) != self._signal and self._ours(int(entry.name)):
                    count += 1
        return count

    def unplug(self) -> None:
        """Pull the camera out: the node reports an error (readable), every call ENODEV."""
        self.gone = True
        os.write(self._signal, b"!")

    def close(self) -> None:
        """Remove the node."""
        os.close(self._signal)
        self.path.unlink()

    # the kernel's side

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Answer linuxpy's ioctl and mmap calls on this node (others go to the kernel).

        ``monkeypatch`` puts linuxpy's own ``fcntl`` and ``mmap`` back after the test.
        """
        real_ioctl, real_mmap = fcntl.ioctl, mmap.mmap

        def ioctl(fd: Any, request: int, arg: Any = 0, *rest: Any) -> Any:
            number = fd if isinstance(fd, int) else fd.fileno()
            if not self._ours(number):
                return real_ioctl(fd, request, arg, *rest)
            self._ioctl(request & 0xFFFFFFFF, memoryview(arg).cast("B"))
            return 0

        def map_buffer(fd: int, length: int, *args: Any, **kwargs: Any) -> Any:
            if not self._ours(fd):
                return real_mmap(fd, length, *args, **kwargs)
            offset = kwargs.get("offset", args[-1] if args else 0)
            return self._mmap(length, offset)

        monkeypatch.setattr(linuxpy.ioctl, "fcntl", SimpleNamespace(ioctl=ioctl))
        monkeypatch.setattr(
            linuxpy.video.device, "mmap", SimpleNamespace(mmap=map_buffer)
        )

    def _ours(self, fd: int) -> bool:
        try:
            return os.fstat(fd).st_ino == self._node
        except OSError:
            return False

    def _ioctl(self, request: int, arg: memoryview) -> None:
        if len(arg) != (request >> 16) & 0x3FFF:
            raise OSError(errno.ENOTTY, "wrong argument size for this ioctl")
        handlers: dict[int, Callable[[memoryview], None]] = {
            QUERYCAP: self._querycap,
            ENUM_FMT: self._enum_fmt,
            G_FMT: self._g_fmt,
            S_FMT: self._s_fmt,
            REQBUFS: self._reqbufs,
            QUERYBUF: self._querybuf,
            QBUF: self._qbuf,
            DQBUF: self._dqbuf,
            STREAMON: self._streamon,
            STREAMOFF: self._streamoff,
            G_PARM: self._g_parm,
            S_PARM: self._s_parm,
        }
        handler = handlers.get(request)
        if handler is None:
            raise OSError(errno.ENOTTY, "Inappropriate ioctl for device")
        self.calls.append(handler.__name__.lstrip("_").upper())
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        handler(arg)

    def _querycap(self, arg: memoryview) -> None:
        caps = CAP_VIDEO_CAPTURE | CAP_STREAMING
        struct.pack_into(
            "<16s32s32sIII12x",
            arg,
            0,
            b"fakecam",
            b"Fake door camera",
            b"usb-0000:00:14.0-1",
            6 << 16 | 1,
            caps | CAP_DEVICE_CAPS,
            caps,
        )

    def _enum_fmt(self, arg: memoryview) -> None:
        index, kind = struct.unpack_from("<II", arg, 0)
        if kind != BUF_TYPE_VIDEO_CAPTURE or index >= len(self._formats):
            raise OSError(errno.EINVAL, "Invalid argument")
        pixelformat = self._formats[index]
        flags = FMT_FLAG_COMPRESSED if pixelformat == MJPEG else 0
        name = pixelformat.to_bytes(4, "little")
        struct.pack_into("<I32sI", arg, 8, flags, name, pixelformat)

    def _capture_type(self, arg: memoryview) -> None:
        if struct.unpack_from("<I", arg, 0)[0] != BUF_TYPE_VIDEO_CAPTURE:
            raise OSError(errno.EINVAL, "Invalid argument")

    def _g_fmt(self, arg: memoryview) -> None:
        self._capture_type(arg)
        size = self._image_size()
        line = self.width * 2 if self.pixelformat == YUYV else 0
        struct.pack_into(
            "<IIIIIIII",
            arg,
            8,  # struct v4l2_pix_format, in the union after the 4-byte type + padding
            self.width,
            self.height,
            self.pixelformat,
            FIELD_NONE,
            line,
            size,
            COLORSPACE_SRGB,
            0,
        )

    def _s_fmt(self, arg: memoryview) -> None:
        self._capture_type(arg)
        if self.buffers:
            raise OSError(errno.EBUSY, "Device or resource busy")
        width, height, pixelformat = struct.unpack_from("<III", arg, 8)
        # The driver picks what it has nearest to what was asked, and says so.
        self.pixelformat = (
            pixelformat if pixelformat in self._formats else self._formats[0]
        )
        self.width, self.height = min(
            self._sizes, key=lambda size: abs(size[0] - width) + abs(size[1] - height)
        )
        self._g_fmt(arg)

    def _image_size(self) -> int:
        if self.pixelformat == YUYV:
            return self.width * self.height * 2
        return self.width * self.height  # compressed: an upper bound per frame

    def _parm(self, arg: memoryview) -> None:
        capability = CAP_TIMEPERFRAME if self._rates else 0
        struct.pack_into("<IIII", arg, 4, capability, 0, 1, self.fps)

    def _g_parm(self, arg: memoryview) -> None:
        self._capture_type(arg)
        self._parm(arg)

    def _s_parm(self, arg: memoryview) -> None:
        self._capture_type(arg)
        if not self._rates:
            raise OSError(errno.ENOTTY, "Inappropriate ioctl for device")
        numerator, denominator = struct.unpack_from("<II", arg, 12)
        asked = denominator / numerator if numerator else self._rates[-1]
        self.fps = min(self._rates, key=lambda rate: abs(rate - asked))
        self._parm(arg)

    def _reqbufs(self, arg: memoryview) -> None:
        count, kind, memory = struct.unpack_from("<III", arg, 0)
        if kind != BUF_TYPE_VIDEO_CAPTURE or memory != MEMORY_MMAP:
            raise OSError(errno.EINVAL, "Invalid argument")
        if self.streaming or (count == 0 and self.mapped):
            raise OSError(errno.EBUSY, "Device or resource busy")
        count = min(count, 8)
        size = self._image_size()
        self.buffers = [_Buffer(index, bytearray(size)) for index in range(count)]
        self._done.clear()
        struct.pack_into("<I", arg, 0, count)

    def _buffer(self, arg: memoryview) -> _Buffer:
        index, kind = struct.unpack_from("<II", arg, 0)
        memory = struct.unpack_from("<I", arg, 60)[0]
        if kind != BUF_TYPE_VIDEO_CAPTURE or memory != MEMORY_MMAP:
            raise OSError(errno.EINVAL, "Invalid argument")
        if index >= len(self.buffers):
            raise OSError(errno.EINVAL, "Invalid argument")
        return self.buffers[int(index)]

    def _describe(self, arg: memoryview, buffer: _Buffer) -> None:
        flags = BUF_FLAG_MAPPED | BUF_FLAG_TIMESTAMP_MONOTONIC
        flags |= BUF_FLAG_QUEUED if buffer.queued else 0
        flags |= BUF_FLAG_DONE if buffer.done else 0
        struct.pack_into("<IIIII", arg, 0, buffer.index, 1, buffer.used, flags, 1)
        struct.pack_into("<qq", arg, 24, buffer.sequence, 0)  # timestamp
        struct.pack_into("<II", arg, 56, buffer.sequence, MEMORY_MMAP)
        struct.pack_into("<II", arg, 64, buffer.index * _PAGE * 1024, 0)  # m.offset
        struct.pack_into("<I", arg, 72, len(buffer.data))

    def _querybuf(self, arg: memoryview) -> None:
        self._describe(arg, self._buffer(arg))

    def _qbuf(self, arg: memoryview) -> None:
        buffer = self._buffer(arg)
        if buffer.queued or buffer.done:
            raise OSError(errno.EINVAL, "Invalid argument")
        buffer.queued = True
        self._describe(arg, buffer)
        self._fill()

    def _dqbuf(self, arg: memoryview) -> None:
        self._buffer(arg)  # type and memory checked; the index is the driver's answer
        if not self.streaming:
            raise OSError(errno.EINVAL, "Invalid argument")
        if not self._done:
            raise OSError(errno.EAGAIN, "Resource temporarily unavailable")
        buffer = self._done.popleft()
        os.read(self._signal, 1)
        buffer.done = False
        self._describe(arg, buffer)

    def _streamon(self, arg: memoryview) -> None:
        if struct.unpack_from("<i", arg, 0)[0] != BUF_TYPE_VIDEO_CAPTURE:
            raise OSError(errno.EINVAL, "Invalid argument")
        if not self.buffers:
            raise OSError(errno.EINVAL, "Invalid argument")
        self.streaming = True
        self._fill()

    def _streamoff(self, arg: memoryview) -> None:
        if struct.unpack_from("<i", arg, 0)[0] != BUF_TYPE_VIDEO_CAPTURE:
            raise OSError(errno.EINVAL, "Invalid argument")
        # Every buffer comes back dequeued, filled or not; the node is quiet again.
        self.streaming = False
        for buffer in self.buffers:
            buffer.queued = buffer.done = False
        while self._done:
            self._done.popleft()
            os.read(self._signal, 1)

    def deliver(self) -> None:
        """Let a stalled camera go on: fill the buffers that wait."""
        self.producing = True
        self._fill()

    def _fill(self) -> None:
        if not (self.streaming and self.producing):
            return
        for buffer in self.buffers:
            if not buffer.queued:
                continue
            frame = self._frames(self.width, self.height, self.pixelformat)
            assert len(frame) <= len(buffer.data), "frame larger than its buffer"
            self._sequence += 1
            buffer.data[: len(frame)] = frame
            buffer.used, buffer.sequence = len(frame), self._sequence
            buffer.queued, buffer.done = False, True
            self._done.append(buffer)
            os.write(self._signal, b"f")

    def _mmap(self, length: int, offset: int) -> _Mapping:
        for buffer in self.buffers:
            if buffer.index * _PAGE * 1024 == offset and len(buffer.data) == length:
                return _Mapping(self, buffer)
        raise OSError(errno.EINVAL, "Invalid argument")
