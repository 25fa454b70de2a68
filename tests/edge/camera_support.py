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
        """Return the next part's JPEG; None at the closing boundary."""
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
