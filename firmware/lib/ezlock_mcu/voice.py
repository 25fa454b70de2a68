"""Voice prompts and the siren (L-48, L-60).

``DfPlayer``: a DFPlayer Mini (YX5200) MP3 module on a 9600-baud UART, prompts as
``/mp3/0001.mp3`` … on its micro-SD card, file number = the protocol's prompt code.
``Tones``: a passive buzzer on a PWM pin, for a build without a voice module (one beep
per prompt, higher for success, lower and longer for failure).
"""

from .hal import Clock, Output, Pwm, Uart, const

PROMPT_MAX = const(0x2A)
"""Highest prompt code this firmware knows (``Prompt`` in devices/models.py)."""
_DF_VOLUME = (0, 10, 20, 30)  # protocol level 0..3 -> DFPlayer 0..30
_PLAY_MP3_FOLDER = const(0x12)
_SET_VOLUME = const(0x06)


class Voice:
    """What the controller asks of a voice: play a prompt, set the volume, keep time."""

    def play(self, prompt: int, now_ms: int) -> None:
        """Start playing ``prompt`` (interrupting the one playing)."""
        raise NotImplementedError

    def set_volume(self, level: int) -> None:
        """0..3 (0 is never asked: the controller drops prompts while muted)."""
        raise NotImplementedError

    def poll(self, now_ms: int) -> None:
        """End a tone that has played its time."""

    def next_due(self, now_ms: int) -> int:
        """Milliseconds until :meth:`poll` has something to do (-1: nothing)."""
        return -1


def dfplayer_frame(command: int, parameter: int) -> bytes:
    """One DFPlayer command: 7E FF 06 cmd 00 p_hi p_lo sum_hi sum_lo EF (no feedback)."""
    frame = bytearray(b"\x7e\xff\x06\x00\x00\x00\x00\x00\x00\xef")
    frame[3] = command
    frame[5] = (parameter >> 8) & 0xFF
    frame[6] = parameter & 0xFF
    checksum = (-(sum(frame[1:7]))) & 0xFFFF
    frame[7] = checksum >> 8
    frame[8] = checksum & 0xFF
    return bytes(frame)


class DfPlayer(Voice):
    """A DFPlayer Mini on a UART (TX only; the module's BUSY line is not needed)."""

    def __init__(self, uart: Uart) -> None:
        """Commands go out on ``uart`` (9600 8N1)."""
        self._uart = uart

    def play(self, prompt: int, now_ms: int) -> None:
        """Play ``/mp3/<prompt>.mp3``."""
        self._uart.write(dfplayer_frame(_PLAY_MP3_FOLDER, prompt))

    def set_volume(self, level: int) -> None:
        """Map 0..3 onto the module's 0..30."""
        self._uart.write(dfplayer_frame(_SET_VOLUME, _DF_VOLUME[level]))


class Tones(Voice):
    """A passive piezo buzzer: one tone per prompt, louder with the volume."""

    def __init__(self, pwm: Pwm, clock: Clock) -> None:
        """Silent until a prompt plays."""
        self._pwm = pwm
        self._clock = clock
        self._level = 2
        self._until = 0
        self._playing = False

    def play(self, prompt: int, now_ms: int) -> None:
        """Beep: success high and short, failure low and long, others a short click."""
        hertz, ms = 2000, 120
        if prompt == 0x02:  # SUCCESS
            hertz, ms = 2600, 200
        elif prompt in {0x03, 0x09, 0x1B, 0x1D}:  # FAILURE, mismatch, locked, tamper
            hertz, ms = 700, 600
        self._pwm.freq(hertz)
        self._pwm.duty(self._level * 8000)
        self._until = self._clock.add(now_ms, ms)
        self._playing = True

    def set_volume(self, level: int) -> None:
        """Louder tones for higher levels (duty cycle)."""
        self._level = level

    def poll(self, now_ms: int) -> None:
        """Silence a tone that has played its time."""
        if self._playing and self._clock.diff(now_ms, self._until) >= 0:
            self._pwm.duty(0)
            self._playing = False

    def next_due(self, now_ms: int) -> int:
        """Milliseconds until the tone ends."""
        return max(0, self._clock.diff(self._until, now_ms)) if self._playing else -1


class Siren:
    """A piezo siren module switched by a MOSFET: on for the requested time (L-60)."""

    def __init__(self, output: Output, clock: Clock) -> None:
        """Off."""
        self._output = output
        self._clock = clock
        self.on = False
        self._until = 0
        output.set(False)

    def sound(self, on: bool, seconds: int, now_ms: int) -> None:
        """Sound for ``seconds``, or stop."""
        self.on = on and seconds > 0
        self._until = self._clock.add(now_ms, seconds * 1000)
        self._output.set(self.on)

    def poll(self, now_ms: int) -> None:
        """Stop when the time is up."""
        if self.on and self._clock.diff(now_ms, self._until) >= 0:
            self.sound(False, 0, now_ms)

    def next_due(self, now_ms: int) -> int:
        """Milliseconds until the siren stops (-1: silent)."""
        return max(0, self._clock.diff(self._until, now_ms)) if self.on else -1
