"""Stopping a headless program cleanly: the first Ctrl+C (or SIGTERM) asks, the second insists."""

from __future__ import annotations

import signal


class StopFlag:
    """Set by SIGINT or SIGTERM; the loop polls it and winds down (leaves, flushes, sums up)."""

    def __init__(self) -> None:
        self.stopping = False
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGTERM, self._stop)

    def _stop(self, *_: object) -> None:
        self.stopping = True
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # so a second Ctrl+C kills at once

    def __call__(self) -> bool:
        return self.stopping
