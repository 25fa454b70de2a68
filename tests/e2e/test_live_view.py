"""The live view's first frame in a real browser, from the camera's first capture alone.

Chromium shows a part of a ``multipart/x-mixed-replace`` image only once the next part's
headers have come (it shows frame n-1: issues.chromium.org/issues/41199053), so a
stream that sends each frame once shows its first picture only with the second capture,
and none if that one is late. Here the edge driver runs on a stopped clock: its camera
captures one frame and then waits for the clock, which never moves. The picture must
appear in Chromium all the same (the edge sends the first frame twice). A page on
loopback shows the stream in an ``<img>``, its server adding the token on the way as
Home Assistant's camera proxy does.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
from aiohttp import web
import pytest

from ezlock_edge.app import EdgeApp, EdgeOptions
from ezlock_edge.clock import ManualClock
from tests.support.lock import create_first_admin, open_pairing, sim_of

from .cdp import Page

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

PAGE = '<!doctype html><img id="live" src="/stream" alt="the door">'


async def test_the_first_capture_shows_in_the_browser(
    page: Page, tmp_path: Path
) -> None:
    """L-13: one capture, and the browser shows the door."""
    edge = EdgeApp(
        EdgeOptions(
            data_dir=tmp_path / "edge",
            clock=ManualClock(),  # never moved: one capture, then the camera waits
            tls=False,
            motor_travel=0.0,
            simulate=True,
        )
    )
    await edge.start()
    try:
        sim = sim_of(edge)
        await create_first_admin(sim)
        code = await open_pairing(edge)
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{edge.url}/api/v1/pair",
                json={"client_name": "browser test", "verification_code": code},
            ) as paired:
                assert paired.status == 201, await paired.text()
                token = (await paired.json())["token"]

            async def show(_: web.Request) -> web.Response:
                return web.Response(text=PAGE, content_type="text/html")

            async def stream(request: web.Request) -> web.StreamResponse:
                async with session.get(
                    f"{edge.url}/api/v1/camera/stream",
                    headers={"Authorization": f"Bearer {token}"},
                ) as upstream:
                    response = web.StreamResponse(
                        headers={"Content-Type": upstream.headers["Content-Type"]}
                    )
                    await response.prepare(request)
                    async for chunk in upstream.content.iter_any():
                        await response.write(chunk)
                    return response

            app = web.Application()
            app.router.add_get("/", show)
            app.router.add_get("/stream", stream)
            runner = web.AppRunner(app, shutdown_timeout=0)
            await runner.setup()
            try:
                site = web.TCPSite(runner, "127.0.0.1", 0)
                await site.start()
                port = runner.addresses[0][1]
                # Not goto: the page's load event waits for an image still loading.
                await page.send("Page.navigate", {"url": f"http://127.0.0.1:{port}/"})
                await page.wait_for(
                    "document.querySelector('#live')?.naturalWidth === 640",
                    within=15,
                    what="the door in the browser",
                )
                assert sim.camera.frames == 1  # the picture came from one capture
            finally:
                edge.core.camera.end_streams()  # the proxy's upstream ends: so does it
                await runner.cleanup()
    finally:
        await edge.stop()
