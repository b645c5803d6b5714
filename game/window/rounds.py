"""Rounds on screen, for the player window and the spectator alike: the phase line, the
round clock and the end-of-round table with the winner.

What is shown comes from the world alone (the reducer decides every phase from the log);
only the seconds between two records are filled in from the local clock, so a countdown
ticks smoothly in a quiet match.
"""

from __future__ import annotations

import pygame

from game.core.constants import ROUND_MIN_PLAYERS
from game.core.world import COUNTDOWN, INTERMISSION, PLAYING, WARMUP, World
from game.window.scene import shadowed
from game.window.texts import TextCache

TEXT = (236, 234, 240)
DIM = (150, 146, 162)
GOLD = (250, 208, 70)
EDGE = (70, 64, 84)
# The local clock may run ahead of the last record by at most this much (a stalled feed
# must not count a round down to zero on its own).
MAX_EXTRAPOLATION_MS = 3_000


class MatchClock:
    """Match time now: the last record's broker time plus the local time since it came."""

    def __init__(self) -> None:
        self._clock = -1
        self._seen_at_ms = 0.0

    def now(self, world: World, local_ms: float) -> int:
        if world.clock != self._clock:
            self._clock, self._seen_at_ms = world.clock, local_ms
        return world.clock + int(min(MAX_EXTRAPOLATION_MS, max(0.0, local_ms - self._seen_at_ms)))


def _mm_ss(ms: int) -> str:
    seconds = max(0, ms + 999) // 1000  # a countdown shows 0:01 until it is really over
    return f"{seconds // 60}:{seconds % 60:02d}"


def round_clock(world: World, now: int) -> str | None:
    """The HUD's round clock ("R2 4:31"), or None in a match without rounds."""
    if not world.round_ms:
        return None
    if world.phase is PLAYING:
        return f"R{world.round_no} {_mm_ss(world.phase_ends - now)}"
    if world.phase is COUNTDOWN:
        return f"R{world.round_no + 1} in {_mm_ss(world.phase_ends - now)}"
    if world.phase is INTERMISSION:
        return f"R{world.round_no} over"
    return "warm-up"


def round_banner(world: World, now: int) -> str | None:
    """The line across the top of the arena, or None when nothing needs saying."""
    if world.phase is WARMUP:
        missing = ROUND_MIN_PLAYERS - len(world.players)
        who = "another player" if missing == 1 else f"{missing} more players"
        return f"Warm-up: the round starts when {who} joins"
    if world.phase is COUNTDOWN:
        return f"Round {world.round_no + 1} starts in {max(0, world.phase_ends - now + 999) // 1000}"
    if world.phase is PLAYING and world.phase_ends - now <= 10_000:
        return f"{max(0, world.phase_ends - now + 999) // 1000} s left in round {world.round_no}"
    return None


_texts = TextCache()
_font = _texts.font


def draw_banner(surface: pygame.Surface, text: str) -> None:
    image = shadowed(_font(34), text, GOLD)
    rect = image.get_rect(midtop=(surface.get_width() // 2, 14))
    band = rect.inflate(34, 14)
    shade = pygame.Surface(band.size, pygame.SRCALPHA)
    shade.fill((10, 8, 14, 160))
    surface.blit(shade, band)
    surface.blit(image, rect)


def draw_round_over(surface: pygame.Surface, world: World, now: int, me: int | None = None) -> None:
    """The final table of the round just ended, its winner on top, while the intermission lasts."""
    result = world.last_round
    if world.phase is not INTERMISSION or result is None:
        return
    rows = result.standings[:10]
    row_h = 26
    rect = pygame.Rect(0, 0, 520, 168 + row_h * max(1, len(rows)))
    rect.center = (surface.get_width() // 2, surface.get_height() // 2)
    shade = pygame.Surface(rect.size, pygame.SRCALPHA)
    shade.fill((14, 12, 20, 225))
    surface.blit(shade, rect)
    pygame.draw.rect(surface, GOLD, rect, 2, border_radius=8)
    title = shadowed(_font(30), f"Round {result.round_no} over", DIM)
    surface.blit(title, title.get_rect(midtop=(rect.centerx, rect.y + 14)))
    headline = f"{result.winner_name} wins!" if result.winner_name else "Nobody was left to win"
    winner = shadowed(_font(56), headline, GOLD)
    surface.blit(winner, winner.get_rect(midtop=(rect.centerx, rect.y + 44)))
    left, y = rect.x + 40, rect.y + 104
    columns = (("", 0), ("score", 250), ("kills", 330), ("deaths", 400))
    for label, dx in columns:
        surface.blit(_font(22).render(label, True, DIM), (left + dx, y))
    y += 26
    for place, row in enumerate(rows, 1):
        if row.pid == me:
            surface.fill((70, 62, 30), (rect.x + 10, y - 4, rect.w - 20, row_h - 2))
        color = GOLD if place == 1 else TEXT
        values = (f"{place}. {row.name}", row.score, row.kills, row.deaths)
        for (_, dx), value in zip(columns, values, strict=True):
            surface.blit(_font(26).render(str(value), True, color), (left + dx, y))
        y += row_h
    following = "Round " + str(result.round_no + 1)
    if len(world.players) < ROUND_MIN_PLAYERS:
        note = f"{following} waits for a second player"
    else:
        note = f"{following} starts in {max(0, world.phase_ends - now + 999) // 1000} s"
    text = _font(24).render(note, True, DIM)
    surface.blit(text, text.get_rect(midbottom=(rect.centerx, rect.bottom - 12)))
    pygame.draw.line(surface, EDGE, (rect.x + 20, rect.bottom - 44), (rect.right - 20, rect.bottom - 44))
