"""Where the spectator's playhead is: live, paused or replaying at a speed. Pure, no clock.

The app feeds it elapsed wall time and the live edge each frame and gets back the broker
time to show; the timeline then folds records up to it.
"""

from __future__ import annotations

from dataclasses import dataclass

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
LIVE, PAUSED, REPLAY = "LIVE", "PAUSED", "REPLAY"
FOREVER = float(2**62)  # a playhead past every record: "fold all that arrived"


@dataclass(slots=True)
class Playback:
    speed: float = 1.0
    max_speed: bool = False  # apply records as they arrive, never wait on the clock
    live: bool = True
    paused: bool = False
    delay_ms: float = 0.0  # live mode shows the match this far behind the edge
    playhead: float = 0.0  # broker ms

    @property
    def mode(self) -> str:
        if self.paused:
            return PAUSED
        return LIVE if self.live else REPLAY

    def speed_label(self) -> str:
        if self.max_speed:
            return "max"
        return f"x{self.speed:g}"

    def tick(self, dt_ms: float, broker_now: float, log_end_ts: int, caught_up: bool) -> float:
        """Move the playhead by one frame; the broker time to fold to.

        `broker_now` is the estimated broker clock, `log_end_ts` the newest record's time and
        `caught_up` whether every record of the log has been read.
        """
        if self.paused:
            return self.playhead
        if self.live:
            if self.delay_ms <= 0:
                self.playhead = max(self.playhead, log_end_ts)
                return FOREVER
            self.playhead = max(self.playhead, broker_now - self.delay_ms)
            return self.playhead
        if self.max_speed:
            self.playhead = max(self.playhead, log_end_ts)
            return FOREVER
        self.playhead += dt_ms * self.speed
        if caught_up and self.playhead >= log_end_ts and self.delay_ms <= 0:
            self.go_live()  # replay ran into the present: follow it from here
        return self.playhead

    def go_live(self) -> None:
        self.live, self.paused = True, False

    def rewind_to(self, ms: float) -> None:
        """Seek: leaves live mode and plays on from `ms` at the chosen speed."""
        self.playhead = ms
        self.live = False

    def toggle_pause(self) -> None:
        if self.paused:
            self.paused = False
        else:
            self.paused = True
            self.live = False  # resuming plays on from here, not from the edge

    def faster(self) -> None:
        self._step_speed(1)

    def slower(self) -> None:
        self._step_speed(-1)

    def _step_speed(self, direction: int) -> None:
        if self.max_speed:
            self.max_speed = False
            self.speed = SPEEDS[-1] if direction < 0 else self.speed
            return
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - self.speed))
        self.speed = SPEEDS[max(0, min(len(SPEEDS) - 1, index + direction))]
