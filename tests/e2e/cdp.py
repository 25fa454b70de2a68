"""A small Chrome DevTools Protocol client on aiohttp: what the e2e tests need, no more.

It starts Debian's Chromium headless on a throwaway profile, opens pages, evaluates
JavaScript (also inside shadow roots, which Home Assistant's frontend is made of), and
clicks and types with real input events, so the page sees what a person's mouse and
keyboard would produce.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
import contextlib
import itertools
import json
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.waiting import eventually

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--force-device-scale-factor=1",
    "--remote-debugging-port=0",
)
WINDOW = (1400, 900)

# Helpers every evaluated expression can use. Home Assistant's frontend nests web
# components in shadow roots, where document.querySelector and innerText do not reach.
_DEEP_JS = r"""
"use strict";
const __walk = function* (root) {
  for (const element of root.querySelectorAll("*")) {
    yield element;
    if (element.shadowRoot) yield* __walk(element.shadowRoot);
  }
};
const __deepAll = (selector, root = document) =>
  [...__walk(root)].filter((element) => element.matches(selector));
const __deep = (selector, root = document) => __deepAll(selector, root)[0] ?? null;
const __visible = (element) => {
  const box = element.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== "hidden";
};
const __hits = (element, x, y) => {
  let hit = document.elementFromPoint(x, y);
  while (hit?.shadowRoot) {
    const inner = hit.shadowRoot.elementFromPoint(x, y);
    if (!inner || inner === hit) break;
    hit = inner;
  }
  for (let node = hit; node; node = node.parentNode ?? node.host) {
    if (node === element) return true;
  }
  return false;
};
const __deepText = (node = document.body) => {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent;
  if (["STYLE", "SCRIPT", "TEMPLATE"].includes(node.nodeName)) return "";
  let text = node.shadowRoot ? __deepText(node.shadowRoot) : "";
  for (const child of node.childNodes) text += " " + __deepText(child);
  return text.replace(/\s+/g, " ");
};
const __byText = (selector, text) =>
  __deepAll(selector).find((element) => __visible(element) &&
    __deepText(element).trim().toLowerCase() === text.toLowerCase()) ?? null;
"""


_KEYS = {"Enter": (13, "\r"), "Backspace": (8, "")}
"""Non-printing keys: Windows virtual key code and the text the key types."""


class CdpError(Exception):
    """Chromium refused a command, or the page threw."""


class _Connection:
    """One WebSocket to the browser; commands are matched to replies by id."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._replies: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._listeners: list[Callable[[dict[str, Any]], None]] = []
        self._reader = asyncio.create_task(self._read())

    async def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"id": next(self._ids), "method": method}
        message["params"] = params or {}
        if session_id is not None:
            message["sessionId"] = session_id
        reply = asyncio.get_running_loop().create_future()
        self._replies[message["id"]] = reply
        await self._ws.send_str(json.dumps(message))
        result: dict[str, Any] = await reply
        return result

    def listen(self, listener: Callable[[dict[str, Any]], None]) -> None:
        self._listeners.append(listener)

    async def close(self) -> None:
        await self._ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    async def _read(self) -> None:
        async for frame in self._ws:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            if "id" in message:
                reply = self._replies.pop(message["id"], None)
                if reply is None or reply.done():
                    continue
                if "error" in message:
                    reply.set_exception(CdpError(message["error"].get("message")))
                else:
                    reply.set_result(message.get("result", {}))
            else:
                for listener in self._listeners:
                    listener(message)
        for reply in self._replies.values():
            if not reply.done():
                reply.set_exception(CdpError("the browser closed the connection"))


class Page:
    """One browser tab."""

    def __init__(self, connection: _Connection, session_id: str) -> None:
        """Wrap an attached target session."""
        self._connection = connection
        self._session_id = session_id
        self.console: list[str] = []
        """Console messages and uncaught exceptions, for failure reports."""
        self._loaded: asyncio.Future[None] | None = None
        connection.listen(self._on_event)

    async def send(
        self, method: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send a raw CDP command to this tab."""
        return await self._connection.send(method, params, self._session_id)

    async def goto(self, url: str, within: float = 30) -> None:
        """Load ``url`` and wait for its load event."""
        self._loaded = asyncio.get_running_loop().create_future()
        result = await self.send("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise CdpError(f"cannot load {url}: {result['errorText']}")
        try:
            await asyncio.wait_for(self._loaded, within)
        except TimeoutError:
            raise TimeoutError(f"{url} did not load within {within} s") from None

    async def evaluate(self, expression: str) -> Any:
        """Evaluate a JavaScript expression in the tab; return its (awaited) value."""
        result = await self.send(
            "Runtime.evaluate",
            {
                # A function scope, so the helpers can be declared on every call.
                "expression": f"(async () => {{ {_DEEP_JS}\n return ({expression}); }})()",
                "returnByValue": True,
                "awaitPromise": True,
            },
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details["text"]
            raise CdpError(f"{expression!r} threw: {text}")
        return result["result"].get("value")

    async def wait_for(
        self, expression: str, within: float = 20, what: str | None = None
    ) -> Any:
        """Poll ``expression`` until it is truthy (in JavaScript); return its value.

        A DOM node found is returned as True: nodes do not travel by value.
        """
        probe = (
            f"(async (value) => ({{truthy: !!value, value: value instanceof Node"
            f" ? true : value}}))(await ({expression}))"
        )
        last: Any = None
        found: list[Any] = []

        async def truthy() -> bool:
            nonlocal last
            try:
                result = await self.evaluate(probe)
            except CdpError as err:
                last = err
                return False
            last = result.get("value")  # undefined does not travel: absent
            if result["truthy"]:
                found.append(last)
            return bool(result["truthy"])

        try:
            await eventually(truthy, what or expression, within=within, every=0.1)
        except AssertionError:
            raise TimeoutError(
                f"waited {within} s for {what or expression} (last: {last!r})"
            ) from None
        return found[0]

    async def text(self) -> str:
        """All text on the page, shadow roots included."""
        return str(await self.evaluate("__deepText()"))

    async def hold(self, expression: str, until: str, what: str | None = None) -> None:
        """Press the mouse on an element, keep it down until ``until`` holds, release.

        As a person keeps a key pressed until the lock reacts, not for a set time.
        """
        x, y = await self._target(expression, what)
        await self._mouse("mousePressed", x, y)
        try:
            await self.wait_for(until, what=f"{what or expression} held")
        finally:
            await self._mouse("mouseReleased", x, y)

    async def click(self, expression: str, what: str | None = None) -> None:
        """Click, with the mouse, the centre of the element ``expression`` finds."""
        x, y = await self._target(expression, what)
        await self.click_at(x, y)

    async def click_at(self, x: float, y: float) -> None:
        """Click the left mouse button at a point of the viewport."""
        await self._mouse("mousePressed", x, y)
        await self._mouse("mouseReleased", x, y)

    async def _target(self, expression: str, what: str | None) -> tuple[float, float]:
        """Scroll the element into view; return its centre once it can be clicked.

        That is once it has stopped moving, ``expression`` still finds it (a scrolled
        virtual list gives its elements to other items) and nothing covers its centre:
        a page still laying itself out, or an overlay on its way, would take the click
        elsewhere.
        """
        box = await self.wait_for(
            f"""(async () => {{
                const element = {expression};
                if (!element || !__visible(element)) return null;
                element.scrollIntoView({{block: "center", inline: "center", behavior: "instant"}});
                const before = element.getBoundingClientRect();
                await new Promise((resolve) => setTimeout(resolve, 150));
                const box = element.getBoundingClientRect();
                if (["x", "y", "width", "height"].some((side) => box[side] !== before[side])) {{
                    return null;
                }}
                // A virtualised list (a combo box's items) reuses its elements for
                // other items when it scrolls: this one must still be the one asked for.
                if ({expression} !== element) return null;
                const x = box.x + box.width / 2, y = box.y + box.height / 2;
                return __hits(element, x, y) ? {{x, y}} : null;
            }})()""",
            what=what or f"{expression} to be visible and still",
        )
        return box["x"], box["y"]

    async def _mouse(self, kind: str, x: float, y: float) -> None:
        """Move the mouse to a point, then press or release the left button there."""
        await self.send(
            "Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y}
        )
        await self.send(
            "Input.dispatchMouseEvent",
            {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
        )

    async def type_text(self, text: str) -> None:
        """Type into the focused element, as a keyboard's input method would."""
        await self.send("Input.insertText", {"text": text})

    async def press_key(self, key: str) -> None:
        """Press and release a key of the keyboard: a digit, ``Enter`` or ``Backspace``."""
        if key.isdigit() and len(key) == 1:
            event = {
                "key": key,
                "code": f"Digit{key}",
                "windowsVirtualKeyCode": ord(key),
            }
            text = key
        else:
            code, text = _KEYS[key]
            event = {"key": key, "code": key, "windowsVirtualKeyCode": code}
        down = {"type": "keyDown", "text": text} if text else {"type": "rawKeyDown"}
        await self.send("Input.dispatchKeyEvent", down | event)
        await self.send("Input.dispatchKeyEvent", {"type": "keyUp"} | event)

    async def screenshot(self, path: Path) -> Path:
        """Save what the tab shows as a PNG."""
        result = await self.send("Page.captureScreenshot", {"format": "png"})
        await asyncio.to_thread(_write, path, base64.b64decode(result["data"]))
        return path

    def _on_event(self, message: dict[str, Any]) -> None:
        if message.get("sessionId") != self._session_id:
            return
        params = message.get("params", {})
        if message["method"] == "Page.loadEventFired":
            if self._loaded is not None and not self._loaded.done():
                self._loaded.set_result(None)
        elif message["method"] == "Runtime.consoleAPICalled":
            values = (
                str(arg.get("value", arg.get("description"))) for arg in params["args"]
            )
            self.console.append(f"console.{params['type']}: {' '.join(values)}")
        elif message["method"] == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details["text"]
            self.console.append(f"uncaught: {text}")


class Browser:
    """A headless Chromium process on a throwaway profile, and its DevTools socket."""

    def __init__(
        self,
        process: asyncio.subprocess.Process,
        session: aiohttp.ClientSession,
        connection: _Connection,
    ) -> None:
        """Use :meth:`launch`."""
        self._process = process
        self._session = session
        self._connection = connection

    @classmethod
    async def launch(
        cls, executable: str, profile: Path, log: Path, within: float = 30
    ) -> Browser:
        """Start Chromium and connect to it; ``profile`` must be a new, empty directory."""
        with log.open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                executable,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}",
                "about:blank",
                stdin=asyncio.subprocess.DEVNULL,
                stdout=output,
                stderr=output,
            )
        try:
            async with asyncio.timeout(within):
                port, path = await _devtools_address(profile, process)
        except BaseException:
            await _end(process)
            raise
        session = aiohttp.ClientSession()
        try:
            ws = await session.ws_connect(
                f"ws://127.0.0.1:{port}{path}", max_msg_size=0
            )
        except BaseException:
            await session.close()
            await _end(process)
            raise
        return cls(process, session, _Connection(ws))

    async def new_page(self) -> Page:
        """Open a tab of the window's size."""
        target = await self._connection.send(
            "Target.createTarget", {"url": "about:blank"}
        )
        attached = await self._connection.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        page = Page(self._connection, attached["sessionId"])
        for domain in ("Page", "Runtime"):
            await page.send(f"{domain}.enable")
        await page.send(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": WINDOW[0],
                "height": WINDOW[1],
                "deviceScaleFactor": 1,
                "mobile": False,
            },
        )
        return page

    async def close(self) -> None:
        """Ask the browser to quit, and make sure it did."""
        with contextlib.suppress(CdpError, aiohttp.ClientError, ConnectionError):
            await asyncio.wait_for(self._connection.send("Browser.close"), 5)
        await self._connection.close()
        await self._session.close()
        await _end(self._process)


async def _devtools_address(
    profile: Path, process: asyncio.subprocess.Process
) -> tuple[str, str]:
    """Chromium writes the port it picked and the browser's socket path to a file."""
    port_file = profile / "DevToolsActivePort"
    lines: list[str] = []

    def written_or_exited() -> bool:
        nonlocal lines
        if port_file.exists():
            lines = port_file.read_text().split()
        return len(lines) >= 2 or process.returncode is not None

    await eventually(written_or_exited, "chromium's DevToolsActivePort", every=0.05)
    if len(lines) < 2:
        raise CdpError(f"chromium exited with {process.returncode}")
    return lines[0], lines[1]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def _end(process: asyncio.subprocess.Process) -> None:
    """Ask ``process`` to exit; kill it if it has not within a few seconds."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()
