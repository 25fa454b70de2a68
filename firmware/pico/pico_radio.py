"""Wi-Fi and Bluetooth on the Pico W (CYW43439): radio switch, RSSI, Bluetooth keys.

Bluetooth: a GATT service with two writable characteristics; a phone connects and writes
a key code (UTF-8, at most 33 bytes) to the first to open the door, to the second to lock
it, which the controller reports as BLUETOOTH_KEY or BLUETOOTH_LOCK (the edge driver
decides, L-12, L-31). Wi-Fi: the lock has no use for a network of its own
(the Raspberry Pi is on the LAN); the radio is only switched (L-12) and, when
``/wifi.json`` names a network, joined so that its signal can be reported.
"""

import json

import bluetooth
from ezlock_mcu import hal
import network

_SERVICE = bluetooth.UUID("6e5a0001-2f4c-4b8e-9f2a-7a1c0e3d5b10")
_KEY = (bluetooth.UUID("6e5a0002-2f4c-4b8e-9f2a-7a1c0e3d5b10"), bluetooth.FLAG_WRITE)
_LOCK_KEY = (
    bluetooth.UUID("6e5a0003-2f4c-4b8e-9f2a-7a1c0e3d5b10"),
    bluetooth.FLAG_WRITE,
)
_IRQ_CONNECT, _IRQ_DISCONNECT, _IRQ_WRITE = 1, 2, 3
_ADVERTISEMENT = b"\x02\x01\x06\x07\x09EZLOCK"


class PicoWRadio(hal.Radio):
    """The CYW43439's Wi-Fi station and a BLE peripheral."""

    has_wifi = True
    has_bluetooth = True

    def __init__(self) -> None:
        """Start advertising; Wi-Fi follows SET_WIFI."""
        self._wlan = network.WLAN(network.STA_IF)
        self._ble = bluetooth.BLE()
        self._ble.active(True)
        ((self._key_handle, self._lock_handle),) = self._ble.gatts_register_services(
            ((_SERVICE, (_KEY, _LOCK_KEY)),)
        )
        self._ble.irq(self._irq)
        self._connections = 0
        self._written: int | None = None  # the handle written last
        self._advertise()

    def _irq(self, event: int, data: "tuple[int, ...]") -> None:
        # Counts and flags only: the key itself is read in the main loop.
        if event == _IRQ_CONNECT:
            self._connections += 1
        elif event == _IRQ_DISCONNECT:
            self._connections = max(0, self._connections - 1)
            self._advertise()
        elif event == _IRQ_WRITE:
            self._written = data[1]  # (connection, attribute handle)

    def _advertise(self) -> None:
        self._ble.gap_advertise(250_000, adv_data=_ADVERTISEMENT)

    def set_wifi(self, enabled: bool) -> None:
        """Switch the station on (joining /wifi.json's network if any) or off."""
        self._wlan.active(enabled)
        if not enabled:
            return
        try:
            with open("/wifi.json") as file:
                network_ = json.load(file)
            self._wlan.connect(network_["ssid"], network_["password"])
        except (OSError, ValueError, KeyError):
            pass

    def wifi_rssi(self) -> int:
        """Return the joined network's signal in dBm, 0 when not joined."""
        if not self._wlan.isconnected():
            return 0
        return max(-128, min(127, self._wlan.status("rssi")))

    def bluetooth_connected(self) -> bool:
        """Return whether a phone is connected."""
        return self._connections > 0

    def take_bluetooth_key(self) -> "tuple[str, bool] | None":
        """Return the key code a phone wrote since the last call, and whether to lock."""
        handle, self._written = self._written, None
        if handle not in (self._key_handle, self._lock_handle):
            return None
        value = self._ble.gatts_read(handle)
        try:
            return value.decode(), handle == self._lock_handle
        except UnicodeError:
            return None
