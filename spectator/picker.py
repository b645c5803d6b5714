"""The match picker: the matches on the broker, chosen with the arrow keys and Enter."""

from __future__ import annotations

import threading

import pygame

from game.kafka import KafkaSettings, KafkaUnavailable, MatchInfo, list_matches
from game.window.headless import FPS
from game.window.scene import shadowed
from spectator.text import describe_age

REFRESH_S = 3.0


class _Lister:
    """Lists matches in a thread (it can take seconds) and refreshes every few seconds."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self.matches: list[MatchInfo] | None = None
        self.error = ""
        self._stop = threading.Event()
        threading.Thread(target=self._run, name="spectator-picker", daemon=True).start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.matches = list_matches(self.settings, timeout=5.0, recent=True)
                self.error = ""
            except KafkaUnavailable:
                self.error = f"Kafka is not reachable at {self.settings.bootstrap} — retrying"
            self._stop.wait(REFRESH_S)

    def stop(self) -> None:
        self._stop.set()


def pick_match(screen: pygame.Surface, settings: KafkaSettings) -> str | None:
    """The chosen match, or None when the window was closed."""
    lister = _Lister(settings)
    font, big = pygame.font.Font(None, 26), pygame.font.Font(None, 44)
    clock = pygame.time.Clock()
    selected = 0
    try:
        while True:
            matches = lister.matches or []
            for event in pygame.event.get():
                if event.type == pygame.QUIT:
                    return None
                if event.type == pygame.KEYDOWN:
                    if event.key == pygame.K_ESCAPE:
                        return None
                    if event.key == pygame.K_UP:
                        selected = max(0, selected - 1)
                    elif event.key == pygame.K_DOWN:
                        selected = min(max(0, len(matches) - 1), selected + 1)
                    elif event.key in (pygame.K_RETURN, pygame.K_KP_ENTER) and matches:
                        return matches[min(selected, len(matches) - 1)].match
            _draw(screen, font, big, lister, matches, selected)
            pygame.display.flip()
            clock.tick(FPS // 2)
    finally:
        lister.stop()


def _draw(
    screen: pygame.Surface,
    font: pygame.font.Font,
    big: pygame.font.Font,
    lister: _Lister,
    matches: list[MatchInfo],
    selected: int,
) -> None:
    w, h = screen.get_size()
    screen.fill((18, 16, 24))
    for y in range(0, h, 32):  # a faint tile grid, so the picker feels like the arena
        screen.fill((24, 22, 32), (0, y, w, 1))
    title = shadowed(big, "Kafka Arena — choose a match", (255, 226, 90))
    screen.blit(title, ((w - title.get_width()) // 2, 60))
    sub = f"on {lister.settings.bootstrap}   ↑/↓ choose   Enter watch   Esc quit"
    hint = shadowed(font, sub, (160, 158, 175))
    screen.blit(hint, ((w - hint.get_width()) // 2, 108))
    y = 170
    if lister.error:
        line = shadowed(font, lister.error, (255, 180, 120))
        screen.blit(line, ((w - line.get_width()) // 2, y))
        return
    if lister.matches is None:
        line = shadowed(font, "Looking for matches…", (200, 200, 210))
        screen.blit(line, ((w - line.get_width()) // 2, y))
        return
    if not matches:
        line = shadowed(font, "No matches yet: start one with `make play`", (200, 200, 210))
        screen.blit(line, ((w - line.get_width()) // 2, y))
        return
    first = max(0, min(selected - 8, len(matches) - 16))
    for i, info in enumerate(matches[first : first + 16]):
        index = first + i
        row = pygame.Rect(w // 2 - 260, y + i * 30, 520, 26)
        if index == selected:
            pygame.draw.rect(screen, (60, 54, 90), row, border_radius=5)
            pygame.draw.rect(screen, (255, 226, 90), row, 1, border_radius=5)
        color = (240, 238, 246) if index == selected else (190, 188, 200)
        screen.blit(shadowed(font, info.match, color), (row.x + 12, row.y + 4))
        count = shadowed(
            font,
            f"{info.players} players · {info.records:,} records · {describe_age(info.last_ms)}",
            (160, 158, 175),
        )
        screen.blit(count, (row.right - count.get_width() - 12, row.y + 4))
