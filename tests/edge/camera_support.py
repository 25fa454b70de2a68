"""Reading the edge driver's MJPEG stream part by part (decoding: tests.support.pictures)."""

from __future__ import annotations

import aiohttp

BOUNDARY = b"--ezlock-frame"


class MjpegReader:
    """Reads an MJPEG response one part at a time."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        """Read ``response``'s body."""
        self.response = response
        self.parts: list[bytes] = []
        """Each part as received: boundary, headers, JPEG."""
        self.last: bytes | None = None
        """The JPEG of the last part read."""

    async def part(self) -> bytes | None:
        """Return the next frame's JPEG; None at the closing boundary.

        The edge sends the first frame twice (a browser shows a part once the next
        part's headers have come): the first call reads both parts and checks they
        are the same picture; both are in :attr:`parts`.
        """
        first = not self.parts
        jpeg = await self._read_part()
        if first and jpeg is not None:
            assert await self._read_part() == jpeg, "the first frame is sent twice"
        return jpeg

    async def _read_part(self) -> bytes | None:
        content = self.response.content
        line = await content.readline()
        if line == BOUNDARY + b"--\r\n":
            return None
        assert line == BOUNDARY + b"\r\n", line
        raw = [line]
        headers: dict[str, str] = {}
        while (line := await content.readline()) != b"\r\n":
            raw.append(line)
            name, value = line.decode().split(":", 1)
            headers[name.strip().lower()] = value.strip()
        assert headers["content-type"] == "image/jpeg"
        jpeg = await content.readexactly(int(headers["content-length"]))
        assert await content.readexactly(2) == b"\r\n"
        self.parts.append(b"".join(raw) + b"\r\n" + jpeg + b"\r\n")
        self.last = jpeg
        return jpeg
