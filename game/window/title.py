"""The title screen: your name, the matches being played now, a new match on the map you like.

The logic is game/window/title_state.py (pure); this module draws its state, turns keys and
clicks into its events, and lists the matches on a background thread (game.kafka.lobby,
every REFRESH_S), so a frame never waits on Kafka. Headless runs take a script of steps
(`--title-script`), played through the same pygame event queue a person's keys go through.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass
from typing import Any

import pygame

from game.core.maps import load_map
from game.kafka import KafkaSettings, KafkaUnavailable
from game.kafka.lobby import LobbyMatch, list_lobby
from game.window.art import Art, load_or_draw, tinted_knight
from game.window.headless import FPS, print_summary, save_screenshot
from game.window.scene import render_map
from game.window.texts import TextCache
from game.window.title_state import (
    HEIGHT,
    LIST_TOP,
    NAME,
    NAME_FIELD,
    NEW,
    NEW_ROW_Y,
    PANEL_W,
    PANEL_X,
    ROW_H,
    VISIBLE_ROWS,
    WIDTH,
    Choice,
    Click,
    Event,
    Key,
    Listed,
    Rect,
    Step,
    Text,
    TitleState,
    first_visible,
    join_problem,
    keys_to,
    layout,
    script_row,
    target_at,
    update,
)

REFRESH_S = 2.0

BG = (18, 16, 24)
PANEL = (14, 12, 20, 205)
EDGE = (70, 64, 84)
TEXT = (236, 234, 240)
DIM = (150, 146, 162)
FAINT = (104, 100, 118)
GOLD = (250, 208, 70)
HIGHLIGHT = (255, 226, 90)
ROW_ON = (60, 54, 90)
SELECTED = (58, 84, 150)
GOOD = (90, 220, 110)
BAD = (240, 80, 70)
WARN = (255, 170, 110)
TITLE_KNIGHTS = ((0xD83C3C, 2), (0x3C78DC, 6))  # red facing east, blue facing west


class Lister:
    """Lists the matches being played on a thread, every REFRESH_S, until stopped."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self.latest: Listed | None = None
        self.version = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="title-lister", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                found = Listed(tuple(list_lobby(self.settings, timeout=3.0)))
            except KafkaUnavailable as exc:
                found = Listed(error=str(exc))
            except Exception as exc:  # never let the list die: say it and try again
                found = Listed(error=f"could not list the matches on {self.settings.bootstrap}: {exc}")
            self.latest, self.version = found, self.version + 1
            self._stop.wait(REFRESH_S)

    def stop(self) -> None:
        self._stop.set()


@dataclass(frozen=True, slots=True)
class TitleResult:
    choice: Choice | None  # None: the window was closed, Esc, or the time ran out
    state: TitleState


class _Script:
    """Plays script steps one a frame by posting the pygame events a person would cause."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = list(steps)
        self.wait_until = 0.0

    def step(self, state: TitleState, now: float) -> None:
        if not self.steps or now < self.wait_until:
            return
        step = self.steps[0]
        if step.verb in ("until-listed", "select", "click") and not _listed(state, step.arg):
            return  # waits for the listing (the run's --seconds bounds it)
        self.steps.pop(0)
        if step.verb == "wait":
            self.wait_until = now + int(step.arg) / 1000
        elif step.verb == "type":
            pygame.event.post(pygame.event.Event(pygame.TEXTINPUT, text=step.arg))
        elif step.verb == "key":
            for key, mod in KEY_EVENTS[step.arg]:
                pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=""))
        elif step.verb == "select":
            for event in keys_to(state, script_row(step.arg)):
                key, mod = KEY_EVENTS[event.key][0]
                pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode=""))
        elif step.verb == "click":
            x, y, w, h = layout(state)[_target(step.arg)]
            pos = (x + w // 2, y + h // 2)
            pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))


def _target(arg: str) -> str:
    """A script's click target: `name` and `new` are the fields, `match:M` (or any other M) a
    listed match."""
    row = script_row(arg)
    if row in (NAME, NEW) or arg in ("create", "reroll", "map-prev", "map-next"):
        return row
    return f"match:{row}"


def _listed(state: TitleState, arg: str) -> bool:
    target = _target(arg)
    return not target.startswith("match:") or target[len("match:") :] in state.rows


KEY_EVENTS: dict[str, list[tuple[int, int]]] = {
    "up": [(pygame.K_UP, 0)],
    "down": [(pygame.K_DOWN, 0)],
    "left": [(pygame.K_LEFT, 0)],
    "right": [(pygame.K_RIGHT, 0)],
    "enter": [(pygame.K_RETURN, 0)],
    "backspace": [(pygame.K_BACKSPACE, 0)],
    "clear": [(pygame.K_DELETE, 0)],
    "tab": [(pygame.K_TAB, 0)],
    "shift-tab": [(pygame.K_TAB, pygame.KMOD_SHIFT)],
    "escape": [(pygame.K_ESCAPE, 0)],
}


def event_of(event: Any, state: TitleState) -> Event | None:
    """The title screen's event for a pygame event (None: not one the screen answers)."""
    if event.type == pygame.QUIT:
        return Key("escape")
    if event.type == pygame.TEXTINPUT:
        return Text(event.text)
    if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
        target = target_at(state, *event.pos)
        return Click(target) if target else None
    if event.type != pygame.KEYDOWN:
        return None
    mod = getattr(event, "mod", 0)
    if event.key == pygame.K_u and mod & pygame.KMOD_CTRL:
        return Key("clear")
    names = {
        pygame.K_UP: "up",
        pygame.K_DOWN: "down",
        pygame.K_LEFT: "left",
        pygame.K_RIGHT: "right",
        pygame.K_RETURN: "enter",
        pygame.K_KP_ENTER: "enter",
        pygame.K_BACKSPACE: "backspace",
        pygame.K_DELETE: "clear",
        pygame.K_ESCAPE: "escape",
    }
    if event.key == pygame.K_TAB:
        return Key("shift-tab" if mod & pygame.KMOD_SHIFT else "tab")
    name = names.get(event.key)
    return Key(name) if name else None


def run_title(
    settings: KafkaSettings,
    state: TitleState,
    *,
    headless: bool = False,
    deadline: float | None = None,
    screenshot: str | None = None,
    screenshot_if_left: str | None = None,
    script: list[Step] | None = None,
) -> TitleResult:
    """Show the title screen until a match is chosen, the window is closed or `deadline`
    (time.monotonic()) passes. Leaves pygame running, so the game opens in the same window.
    `screenshot` saves the last frame; `screenshot_if_left` too, unless a match was chosen."""
    pygame.init()
    flags = 0 if headless else pygame.SCALED | pygame.RESIZABLE
    screen = pygame.display.set_mode((WIDTH, HEIGHT), flags)
    pygame.display.set_caption("Kafka Arena")
    pygame.key.start_text_input()
    painter = TitlePainter(settings.bootstrap)
    lister = Lister(settings)
    runner = _Script(script or [])
    clock = pygame.time.Clock()
    seen = 0
    frames = 0
    try:
        while state.choice is None and not state.quit:
            clock.tick(FPS)
            now = time.monotonic()
            if lister.version != seen and lister.latest is not None:
                seen = lister.version
                state = update(state, lister.latest)
            for raw in pygame.event.get():
                event = event_of(raw, state)
                if event is not None:
                    state = update(state, event)
            runner.step(state, now)
            painter.draw(screen, state, time.time() * 1000, now)
            pygame.display.flip()
            frames += 1
            if deadline is not None and now >= deadline:
                break
    except KeyboardInterrupt:
        state = update(state, Key("escape"))
    finally:
        lister.stop()
        pygame.key.stop_text_input()
        save_screenshot(screen, screenshot)
        if state.choice is None:
            save_screenshot(screen, screenshot_if_left)
    if headless:
        print_summary(title_summary(state, frames))
    if state.choice is None:
        pygame.quit()
    return TitleResult(state.choice, state)


def title_summary(state: TitleState, frames: int) -> dict[str, Any]:
    now_ms = time.time() * 1000
    choice = state.choice
    return {
        "screen": "title",
        "name": state.name,
        "cursor": state.cursor,
        "new_match": state.new_match_name,
        "map": state.map_name,
        "listed": [
            {
                "match": m.match,
                "map": m.map_name,
                "players": m.players,
                "names": list(m.names),
                "running_s": round(max(0.0, now_ms - m.started_ms) / 1000, 1),
            }
            for m in state.matches
        ],
        "message": state.message,
        "broker_error": state.broker_error,
        "choice": None
        if choice is None
        else {"match": choice.match, "name": choice.name, "map": choice.map_name, "created": choice.created},
        "frames": frames,
    }


def running_for(started_ms: int, now_ms: float) -> str:
    """How long a match has run: "4:05", "1:02:03"."""
    seconds = int(max(0.0, now_ms - started_ms) // 1000)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class TitlePainter:
    """Draws a TitleState. Fonts, the backdrops (the chosen map, dimmed) and texts are cached."""

    def __init__(self, bootstrap: str) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.bootstrap = bootstrap
        self.art: Art = load_or_draw()
        self._texts = TextCache(limit=400)
        self._backdrops: dict[str, pygame.Surface] = {}
        self._title = self._title_art()
        self._knights = [
            pygame.transform.smoothscale_by(tinted_knight(self.art, color, facing), 2.0)
            for color, facing in TITLE_KNIGHTS
        ]

    def font(self, size: int) -> pygame.font.Font:
        return self._texts.font(size)

    def text(
        self, text: str, color: tuple[int, int, int] = TEXT, size: int = 24, shadow: bool = True
    ) -> pygame.Surface:
        return self._texts.get(text, color, size, shadow)

    def fit(self, text: str, width: int, color: tuple[int, int, int], size: int) -> pygame.Surface:
        """The text, cut with "..." to fit `width` pixels."""
        font = self.font(size)
        if font.size(text)[0] > width:
            while text and font.size(text + "...")[0] > width:
                text = text[:-1]
            text += "..."
        return self.text(text, color, size)

    def _title_art(self) -> pygame.Surface:
        """ "KAFKA ARENA" in gold, thick dark outline, a drop shadow and a lighter top half."""
        font = pygame.font.Font(None, 112)
        word = "KAFKA ARENA"
        front = font.render(word, True, GOLD)
        light = font.render(word, True, (255, 240, 160))
        light.fill((255, 255, 255, 0), (0, front.get_height() // 2, front.get_width(), front.get_height()))
        front.blit(light, (0, 0))
        dark = font.render(word, True, (40, 26, 12))
        w, h = front.get_size()
        out = pygame.Surface((w + 12, h + 14), pygame.SRCALPHA)
        shadow = font.render(word, True, (0, 0, 0))
        shadow.set_alpha(150)
        out.blit(shadow, (10, 12))
        for dx in range(0, 7):
            for dy in range(0, 7):
                if (dx - 3) ** 2 + (dy - 3) ** 2 <= 10:
                    out.blit(dark, (dx, dy))
        out.blit(front, (3, 3))
        return out

    def backdrop(self, map_name: str) -> pygame.Surface:
        surface = self._backdrops.get(map_name)
        if surface is None:
            surface = pygame.Surface((WIDTH, HEIGHT))
            surface.fill(BG)
            with contextlib.suppress(OSError, ValueError):  # no such map here: the plain background
                surface.blit(render_map(load_map(map_name), self.art), (0, 28))
            shade = pygame.Surface((WIDTH, HEIGHT), pygame.SRCALPHA)
            shade.fill((10, 8, 16, 168))
            surface.blit(shade, (0, 0))
            self._backdrops[map_name] = surface
        return surface

    def panel(self, screen: pygame.Surface, rect: pygame.Rect) -> None:
        shade = pygame.Surface(rect.size, pygame.SRCALPHA)
        shade.fill(PANEL)
        screen.blit(shade, rect)
        pygame.draw.rect(screen, EDGE, rect, 2, border_radius=8)

    def draw(self, screen: pygame.Surface, state: TitleState, now_ms: float, now_s: float) -> None:
        screen.blit(self.backdrop(state.map_name), (0, 0))
        # The title, two knights facing each other across it.
        title = self._title
        screen.blit(title, ((WIDTH - title.get_width()) // 2, 34))
        left, right = self._knights
        bob = round(3 * ((now_s * 2) % 2 - 1) ** 2)
        screen.blit(left, (WIDTH // 2 - title.get_width() // 2 - left.get_width() - 6, 40 + bob))
        screen.blit(right, (WIDTH // 2 + title.get_width() // 2 + 10, 40 + (3 - bob)))
        sub = self.text("every move, swing and pickup is a record in Kafka", DIM, 24)
        screen.blit(sub, ((WIDTH - sub.get_width()) // 2, 134))
        caret = int(now_s * 2) % 2 == 0
        self._draw_name(screen, state, caret)
        self._draw_list(screen, state, now_ms)
        self._draw_new(screen, state, caret)
        self._draw_footer(screen, state)

    def _field(
        self,
        screen: pygame.Surface,
        rect: Rect,
        text: str,
        placeholder: str,
        on: bool,
        caret: bool,
        size: int,
        selected: bool = False,
    ) -> None:
        box = pygame.Rect(rect)
        screen.fill((8, 6, 12), box)
        pygame.draw.rect(screen, HIGHLIGHT if on else EDGE, box, 2, border_radius=5)
        shown = (
            self.fit(text, box.w - 24, TEXT, size) if text else self.fit(placeholder, box.w - 24, FAINT, size)
        )
        if selected and on and text:  # as if selected: typing replaces it
            screen.fill(SELECTED, (box.x + 8, box.y + 6, shown.get_width() + 4, box.h - 12))
        screen.blit(shown, (box.x + 10, box.centery - shown.get_height() // 2))
        if on and caret:
            x = box.x + 10 + (shown.get_width() if text else 0) + 1
            screen.fill(HIGHLIGHT, (x, box.y + 8, 2, box.h - 16))

    def _draw_name(self, screen: pygame.Surface, state: TitleState, caret: bool) -> None:
        on = state.cursor == NAME
        label = self.text("YOUR NAME", HIGHLIGHT if on else DIM, 26)
        x, y, w, h = NAME_FIELD
        screen.blit(label, (x - label.get_width() - 16, y + (h - label.get_height()) // 2))
        self._field(screen, NAME_FIELD, state.name, "type your name", on, caret, 32, state.fresh_name)

    def _draw_list(self, screen: pygame.Surface, state: TitleState, now_ms: float) -> None:
        box = pygame.Rect(PANEL_X - 14, LIST_TOP - 44, PANEL_W + 28, NEW_ROW_Y + 50 - (LIST_TOP - 44))
        self.panel(screen, box)
        head = self.text("MATCHES BEING PLAYED NOW", GOLD, 26)
        screen.blit(head, (PANEL_X, LIST_TOP - 34))
        ok = not state.broker_error
        where = self.text(f"Kafka {self.bootstrap}", DIM if ok else BAD, 20)
        screen.blit(where, (PANEL_X + PANEL_W - where.get_width(), LIST_TOP - 31))
        pygame.draw.circle(
            screen, GOOD if ok and state.listed else (BAD if not ok else DIM),
            (PANEL_X + PANEL_W - where.get_width() - 10, LIST_TOP - 23), 5,
        )  # fmt: skip
        screen.fill(EDGE, (PANEL_X, LIST_TOP - 8, PANEL_W, 1))
        if state.broker_error:
            self._say(screen, state.broker_error, WARN, LIST_TOP + 20)
            self._say(
                screen, f"retrying every {REFRESH_S:.0f} s: the list comes back when Kafka answers", DIM, None
            )
            return
        if not state.matches:
            line = "Looking for matches..." if not state.listed else "No match is being played right now."
            self._say(screen, line, TEXT, LIST_TOP + 40)
            if state.listed:
                self._say(
                    screen,
                    "Start one below: name it (or keep the name rolled for you), pick a map.",
                    DIM,
                    None,
                )
            return
        first = first_visible(state)
        rects = layout(state)
        for match in state.matches[first : first + VISIBLE_ROWS]:
            self._draw_row(screen, state, match, pygame.Rect(rects[f"match:{match.match}"]), now_ms)
        if first > 0:
            screen.blit(self.text(f"{first} more above", FAINT, 18), (PANEL_X + PANEL_W - 110, LIST_TOP - 6))
        below = len(state.matches) - first - VISIBLE_ROWS
        if below > 0:
            more = self.text(f"{below} more below", FAINT, 18)
            screen.blit(more, (PANEL_X + PANEL_W - 110, LIST_TOP + VISIBLE_ROWS * ROW_H - 6))

    def _say(self, screen: pygame.Surface, line: str, color: tuple[int, int, int], y: int | None) -> None:
        """Centred lines in the list panel, wrapped to its width; y None: below the last one."""
        y = self._said_y if y is None else y
        for part in _wrap(line, self.font(24), PANEL_W - 40):
            text = self.text(part, color, 24)
            screen.blit(text, (PANEL_X + (PANEL_W - text.get_width()) // 2, y))
            y += 26
        self._said_y = y + 10

    _said_y = LIST_TOP

    def _draw_row(
        self, screen: pygame.Surface, state: TitleState, match: LobbyMatch, row: pygame.Rect, now_ms: float
    ) -> None:
        on = state.cursor == match.match
        blocked = bool(join_problem(match, state.rules))
        if on:
            pygame.draw.rect(screen, ROW_ON, row, border_radius=6)
            pygame.draw.rect(screen, HIGHLIGHT, row, 2, border_radius=6)
        cy = row.centery
        coin = self.art.item("coin")
        screen.blit(coin, (row.x + 8, cy - coin.get_height() // 2))
        name_color = FAINT if blocked else (TEXT if on else (214, 212, 224))
        name = self.fit(match.match, 200, name_color, 28)
        screen.blit(name, (row.x + 38, cy - name.get_height() // 2))
        if match.names and len(match.names) == match.players:  # names come from recent joins only
            who = self.fit(", ".join(match.names), 150, DIM if on else FAINT, 18)
            screen.blit(who, (row.x + 46 + name.get_width(), cy - who.get_height() // 2 + 2))
        map_text = self.text(match.map_name or "?", DIM if not on else TEXT, 22)
        screen.blit(map_text, (row.x + 400, cy - map_text.get_height() // 2))
        count = f"{match.players} player{'s' if match.players != 1 else ''}"
        if blocked:
            count = "full" if "full" in join_problem(match, state.rules) else f"rules v{match.rules}"
        players = self.text(count, BAD if blocked else TEXT, 22)
        screen.blit(players, (row.x + 510, cy - players.get_height() // 2))
        clock = self.text(running_for(match.started_ms, now_ms), GOLD if on else DIM, 24)
        screen.blit(clock, (row.right - 12 - clock.get_width(), cy - clock.get_height() // 2))

    def _draw_new(self, screen: pygame.Surface, state: TitleState, caret: bool) -> None:
        on = state.cursor == NEW
        y = NEW_ROW_Y
        rects = layout(state)
        screen.fill(EDGE, (PANEL_X, y - 6, PANEL_W, 1))
        if on:
            row = pygame.Rect(PANEL_X, y, PANEL_W, 42)
            pygame.draw.rect(screen, ROW_ON, row, border_radius=6)
            pygame.draw.rect(screen, HIGHLIGHT, row, 2, border_radius=6)
        label = self.text("+ NEW MATCH", HIGHLIGHT if on else TEXT, 26)
        screen.blit(label, (PANEL_X + 12, y + 21 - label.get_height() // 2))
        self._field(screen, rects[NEW], state.new_match, state.generated, on, caret, 26)
        self._draw_die(screen, pygame.Rect(rects["reroll"]), state.seed)
        prev, nxt = pygame.Rect(rects["map-prev"]), pygame.Rect(rects["map-next"])
        color = HIGHLIGHT if on else DIM
        pygame.draw.polygon(
            screen,
            color,
            [(prev.right - 8, prev.y + 9), (prev.x + 8, prev.centery), (prev.right - 8, prev.bottom - 9)],
        )
        pygame.draw.polygon(
            screen, color, [(nxt.x + 8, nxt.y + 9), (nxt.right - 8, nxt.centery), (nxt.x + 8, nxt.bottom - 9)]
        )
        map_text = self.text(state.map_name, TEXT if on else DIM, 24)
        middle = (prev.right + nxt.x) // 2
        screen.blit(map_text, (middle - map_text.get_width() // 2, prev.centery - map_text.get_height() // 2))
        create = pygame.Rect(rects["create"])
        pygame.draw.rect(screen, (120, 92, 24) if on else (58, 50, 36), create, border_radius=6)
        pygame.draw.rect(screen, GOLD if on else EDGE, create, 2, border_radius=6)
        word = self.text("CREATE", TEXT, 22)
        screen.blit(word, word.get_rect(center=create.center))

    def _draw_die(self, screen: pygame.Surface, rect: pygame.Rect, seed: int) -> None:
        """The reroll button: a die showing 1 to 6 pips."""
        die = rect.inflate(-6, -6)
        pygame.draw.rect(screen, (226, 222, 232), die, border_radius=5)
        pygame.draw.rect(screen, (60, 56, 70), die, 1, border_radius=5)
        pips = {
            1: [(1, 1)], 2: [(0, 0), (2, 2)], 3: [(0, 0), (1, 1), (2, 2)],
            4: [(0, 0), (2, 0), (0, 2), (2, 2)], 5: [(0, 0), (2, 0), (1, 1), (0, 2), (2, 2)],
            6: [(0, 0), (2, 0), (0, 1), (2, 1), (0, 2), (2, 2)],
        }[seed % 6 + 1]  # fmt: skip
        step = die.w // 4
        for px, py in pips:
            pygame.draw.circle(screen, (40, 36, 48), (die.x + step * (px + 1), die.y + step * (py + 1)), 2)

    def _draw_footer(self, screen: pygame.Surface, state: TitleState) -> None:
        if state.message:
            lines = _wrap(state.message, self.font(26), WIDTH - 120)
            band = pygame.Rect(40, 616 - 13 * (len(lines) - 1), WIDTH - 80, 14 + 26 * len(lines))
            shade = pygame.Surface(band.size, pygame.SRCALPHA)
            shade.fill((60, 14, 14, 220))
            screen.blit(shade, band)
            pygame.draw.rect(screen, BAD, band, 2, border_radius=6)
            for i, part in enumerate(lines):
                text = self.text(part, (255, 214, 200), 26)
                screen.blit(text, ((WIDTH - text.get_width()) // 2, band.y + 8 + 26 * i))
        hints = (
            ("Up/Down", "choose"),
            ("Enter", "join / create"),
            ("Left/Right", "map"),
            ("type", "name"),
            ("Esc", "quit"),
        )
        parts = [(self.text(k, GOLD, 22), self.text(v, DIM, 22)) for k, v in hints]
        total = sum(k.get_width() + v.get_width() + 8 for k, v in parts) + 26 * (len(parts) - 1)
        x = (WIDTH - total) // 2
        for key, what in parts:
            screen.blit(key, (x, HEIGHT - 34))
            x += key.get_width() + 6
            screen.blit(what, (x, HEIGHT - 34))
            x += what.get_width() + 28


def _wrap(text: str, font: pygame.font.Font, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        attempt = f"{line} {word}".strip()
        if line and font.size(attempt)[0] > width:
            lines.append(line)
            line = word
        else:
            line = attempt
    return [*lines, line] if line else lines
