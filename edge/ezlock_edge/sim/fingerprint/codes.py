"""The R503 manual's numbers: sizes, defaults, identity strings, confirmation codes, Auto* steps."""

from __future__ import annotations

CHAR_BUFFERS = 6
"""Char buffers 1..6 (R503: up to six captures merged by RegModel / AutoEnroll)."""
CHAR_SIZE = 512
"""Bytes of one character file (template) transferred by UpChar / DownChar."""
IMAGE_SIZE = 192 * 192 // 2
"""Bytes of an uploaded image: 192 x 192 pixels, 4 bits each (manual, UpImage)."""
INFO_PAGE_SIZE = 512
NOTEPAD_PAGES = 16
NOTEPAD_PAGE_SIZE = 32
MATCH_SCORES = (60, 300)
"""Range of the scores a hit reports; hosts usually accept anything above 50."""
DEFAULT_ADDRESS = 0xFFFFFFFF
DEFAULT_PASSWORD = 0x00000000
PACKET_SIZES = (32, 64, 128, 256)
BAUD_FACTORS = (1, 2, 4, 6, 12)
AUTO_TIMEOUT = 10.0
"""Seconds AutoEnroll / AutoIdentify wait for a finger before giving up with 26H (the
manual's text says 10 s; its flow charts, p. 41-42, say 15 s)."""
AUTO_ID = 0xC8
"""AutoEnroll location ids 0xC8..0xFF: the module picks the first empty page."""
AUTO_CAPTURES = 6
"""Images AutoEnroll collects for one template."""
MODULE_TYPE = "R503"
FIRMWARE_VERSION = "EZSIM-R503 1.2.2"
ALGORITHM_VERSION = "EZSIM-ALG 1.0"

# Confirmation codes (manual, "Confirmation code" notes of each instruction).
OK = 0x00
PACKET_ERROR = 0x01
NO_FINGER = 0x02
IMAGE_FAIL = 0x03
IMAGE_MESSY = 0x06
FEATURE_FAIL = 0x07
NO_MATCH = 0x08
NOT_FOUND = 0x09
ENROLL_MISMATCH = 0x0A
BAD_LOCATION = 0x0B
READ_TEMPLATE_FAIL = 0x0C
UPLOAD_TEMPLATE_FAIL = 0x0D
RECEIVE_FAIL = 0x0E
UPLOAD_IMAGE_FAIL = 0x0F
DELETE_FAIL = 0x10
CLEAR_FAIL = 0x11
WRONG_PASSWORD = 0x13
NO_IMAGE = 0x15
FLASH_ERROR = 0x18
BAD_REGISTER = 0x1A
BAD_NOTEPAD_PAGE = 0x1C
MUST_VERIFY_PASSWORD = 0x21
TEMPLATE_EMPTY = 0x22
LIBRARY_EMPTY = 0x24
TIMEOUT = 0x26
ALREADY_EXISTS = 0x27
LIBRARY_FULL = 0x1F
LIBRARY_PAGES = 200
"""Template pages of an R503 (its datasheet's storage capacity; AutoEnroll's 0..C7)."""
MODULE_OK = 0x55
"""GetEcho's answer (R30x-family firmwares; what Adafruit's library checks for)."""

# AutoEnroll steps (manual p. 29): collect image n = 2n - 1, generate feature n = 2n.
STEP_DUPLICATE_CHECK = 0x0D
STEP_MERGE = 0x0E
STEP_STORE = 0x0F
# AutoIdentify steps (manual p. 32).
STEP_COLLECT = 0x01
STEP_FEATURE = 0x02
STEP_SEARCH = 0x03
