"""Reading the lock's identity aloud in English (L-64): serial, firmware, verification code.

The manual: "鎖具將用英文依次廣播鎖具序號、目前裝置版本和驗證碼". A voice module
plays one clip at a time, so the read-out is a queue of clips, each given its time: a
phrase clip naming the item ("Serial number"), then one clip per character spelling it,
after the SYSTEM_INFO prompt ("System information") as the lead-in.
The controller reads its own identity (from its flash): the verification code never
crosses the host link for this. Clip numbers (the DFPlayer's ``/mp3/<n>.mp3``):

- 0x40 "Serial number", 0x41 "Firmware version", 0x42 "Verification code";
- 0x50..0x59 the digits 0..9, 0x5A..0x73 the letters A..Z, 0x74 "point", 0x75 "dash".

Other characters are skipped; letters are read in capitals.
"""

from .hal import TYPE_CHECKING, Clock, const

if TYPE_CHECKING:
    from .voice import Voice

LEAD_IN = const(0x20)  # the SYSTEM_INFO prompt
PHRASE_SERIAL = const(0x40)
PHRASE_FIRMWARE = const(0x41)
PHRASE_CODE = const(0x42)
CHAR_BASE = const(0x50)
PHRASE_MS = const(1500)
CHAR_MS = const(500)
_POINT = const(0x74)
_DASH = const(0x75)


def clips_of(text: str) -> bytes:
    """Return the character clips that spell ``text``."""
    clips = bytearray()
    for char in text.upper():
        if "0" <= char <= "9":
            clips.append(CHAR_BASE + ord(char) - ord("0"))
        elif "A" <= char <= "Z":
            clips.append(CHAR_BASE + 10 + ord(char) - ord("A"))
        elif char == ".":
            clips.append(_POINT)
        elif char == "-":
            clips.append(_DASH)
    return bytes(clips)


class ReadOut:
    """The read-out in progress: the clips still to play and when the next one is due."""

    def __init__(self, voice: Voice, clock: Clock) -> None:
        """Nothing to read."""
        self._voice = voice
        self._clock = clock
        self._clips = b""
        self._next_at = 0
        self.reading = False

    def start(self, serial: str, firmware: str, code: str, now_ms: int) -> None:
        """Read the three items, one after the other, starting now."""
        self._clips = bytes((LEAD_IN,)) + b"".join(
            [
                bytes((phrase,)) + clips_of(text)
                for phrase, text in (
                    (PHRASE_SERIAL, serial),
                    (PHRASE_FIRMWARE, firmware),
                    (PHRASE_CODE, code),
                )
            ]
        )
        self.reading = True
        self._play_next(now_ms)

    def stop(self) -> None:
        """Stop reading (the clip playing is cut short by the next prompt)."""
        self._clips = b""
        self.reading = False

    def poll(self, now_ms: int) -> bool:
        """Play the next clip when due; return True once the last has played."""
        if not self.reading or self._clock.diff(now_ms, self._next_at) < 0:
            return False
        if not self._clips:
            self.reading = False
            return True
        self._play_next(now_ms)
        return False

    def next_due(self, now_ms: int) -> int:
        """Milliseconds until the next clip (-1: not reading)."""
        if not self.reading:
            return -1
        return max(0, self._clock.diff(self._next_at, now_ms))

    def _play_next(self, now_ms: int) -> None:
        clip, self._clips = self._clips[0], self._clips[1:]
        self._voice.play(clip, now_ms)
        duration = PHRASE_MS if clip < CHAR_BASE else CHAR_MS
        self._next_at = self._clock.add(now_ms, duration)
