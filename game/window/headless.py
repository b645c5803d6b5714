"""What every window shares: the headless switch, screenshots and the closing summary line."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

FPS = 60


def add_window_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--headless", action="store_true", help="no window (SDL dummy video driver)")
    parser.add_argument("--seconds", type=float, help="quit after this many seconds")
    parser.add_argument("--screenshot", metavar="PATH", help="save the last frame as a PNG")


def prepare_display(headless: bool) -> None:
    """Pick SDL drivers before pygame starts: a headless run needs no screen and no sound card."""
    if headless:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ["SDL_AUDIODRIVER"] = "dummy"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def save_screenshot(surface: Any, path: str | None) -> None:
    if not path:
        return
    import pygame  # the window modules import pygame; this keeps window.py importable without it

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    pygame.image.save(surface, path)


def print_summary(summary: dict[str, Any]) -> None:
    """A headless run ends with one JSON line that sums it up (tests parse it)."""
    sys.stdout.write(json.dumps(summary, sort_keys=True) + "\n")
    sys.stdout.flush()


def peak_rss_mb() -> float | None:
    """This process's own peak resident memory (VmHWM), in MB; None where /proc has no answer.

    Not `ru_maxrss`: Linux hands a child its parent's figure, so a window started by a big
    process (a benchmark) would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None
