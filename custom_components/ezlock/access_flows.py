"""Managing who can open the door from the integration page, in Home Assistant's own UI.

Each person and each visitor code or Bluetooth key is a config subentry of the lock:
"Add person" / "Add visitor code" create one, the row's reconfigure opens its menu
(details, password, enroll a finger / face / palm with live progress, credentials,
delete), and the row's delete removes it at the lock (access_sync.py). Home Assistant
lets only administrators open these flows. Secrets never reach the subentry: a visitor
code is shown once, in the flow, and a password is only ever sent.
"""

from __future__ import annotations

from typing import Final

from homeassistant.config_entries import ConfigSubentryFlow

from .access_sync import SUBENTRY_BLUETOOTH_KEY, SUBENTRY_PERSON, SUBENTRY_VISITOR_CODE
from .person_flow import PersonFlow
from .visitor_flow import BluetoothKeyFlow, VisitorFlow

SUBENTRY_FLOWS: Final[dict[str, type[ConfigSubentryFlow]]] = {
    SUBENTRY_PERSON: PersonFlow,
    SUBENTRY_VISITOR_CODE: VisitorFlow,
    SUBENTRY_BLUETOOTH_KEY: BluetoothKeyFlow,
}
