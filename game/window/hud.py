"""The player window's frame: the arena (see game.scene) above a HUD bar, plus overlays.

`draw_player_frame` paints onto the window's logical surface (960 x 640 + HUD_HEIGHT);
the window scales it with pygame.SCALED, so nothing here depends on the real window size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pygame

from game.core.constants import MAX_HEALTH_HP, MAX_POTIONS
from game.core.ranking import ranked
from game.core.world import INTERMISSION, Player, World
from game.window.rounds import draw_banner, draw_round_over, round_banner, round_clock
from game.window.scene import Scene, health_color
from game.window.texts import TextCache

HUD_HEIGHT = 56

HUD_BG = (26, 24, 32)
HUD_EDGE = (70, 64, 84)
TEXT = (236, 234, 240)
DIM = (150, 146, 162)
GOOD = (90, 220, 110)
BAD = (240, 80, 70)
GOLD = (250, 208, 70)

CONTROLS = (
    ("WASD / arrows", "move"),
    ("Space", "attack"),
    ("E", "drink a potion"),
    ("Tab", "scoreboard"),
    ("F1", "show / hide controls"),
    ("Esc", "leave"),
)


@dataclass(frozen=True, slots=True)
class Hud:
    me: int | None  # my pid (None before my join is confirmed)
    status: str  # connection status line
    status_ok: bool
    rtt_ms: float | None  # round trip of my own actions through Kafka
    match: str
    show_scoreboard: bool  # Tab held
    show_controls: bool  # first seconds and F1
    message: str = ""  # centre message, e.g. "You died - respawning in 2.1 s"
    rank: str = ""  # "2/5": by score, from the stats processor or else our own world
    match_now: int | None = None  # match time now (game.window.rounds.MatchClock); None: the world's clock


_texts = TextCache()


def draw_player_frame(
    screen: pygame.Surface,
    scene: Scene,
    world: World,
    now_ms: float,
    positions: Mapping[int, tuple[float, float]],
    hud: Hud,
) -> None:
    """One frame: the arena at the top, the HUD bar below, then scoreboard/controls/message."""
    width, height = scene.size
    arena = screen.subsurface((0, 0, width, height))
    scene.draw(arena, world, now_ms, positions, hud.me)
    me = world.players.get(hud.me) if hud.me is not None else None
    now = hud.match_now if hud.match_now is not None else world.clock
    _draw_bar(screen, pygame.Rect(0, height, screen.get_width(), HUD_HEIGHT), scene, world, me, hud, now)
    if world.phase is INTERMISSION and not hud.show_controls:
        draw_round_over(arena, world, now, hud.me)  # the round's winner outranks the live table
    elif hud.show_scoreboard:
        _draw_scoreboard(arena, world, hud.me)
    elif hud.show_controls:
        _draw_controls(arena)
    banner = round_banner(world, now)
    if banner:
        draw_banner(arena, banner)
    if hud.message:
        _draw_message(arena, hud.message)


def match_clock(world: World) -> str:
    """mm:ss since the earliest join among the players present."""
    if not world.players:
        return "--:--"
    start = min(p.joined_at for p in world.players.values())
    seconds = max(0, world.clock - start) // 1000
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def _draw_bar(
    screen: pygame.Surface,
    bar: pygame.Rect,
    scene: Scene,
    world: World,
    me: Player | None,
    hud: Hud,
    now: int,
) -> None:
    screen.fill(HUD_BG, bar)
    screen.fill(HUD_EDGE, (bar.x, bar.y, bar.w, 2))
    top = bar.y + 8
    x = bar.x + 12

    # Health: a bar with the number on it.
    hp = me.hp if me is not None else 0
    label = _texts.get("HP", DIM, 18)
    screen.blit(label, (x, top + 3))
    x += label.get_width() + 6
    frame = pygame.Rect(x, top, 160, 18)
    screen.fill((12, 10, 16), frame)
    if hp > 0:
        fill = pygame.Rect(frame.x + 2, frame.y + 2, round((frame.w - 4) * hp / MAX_HEALTH_HP), frame.h - 4)
        screen.fill(health_color(hp / MAX_HEALTH_HP), fill)
        screen.fill((255, 255, 255), (fill.x, fill.y, fill.w, 1))
    pygame.draw.rect(screen, HUD_EDGE, frame, 1)
    number = _texts.get(f"{hp} / {MAX_HEALTH_HP}" if me is not None else "not joined", TEXT, 18, shadow=True)
    screen.blit(number, number.get_rect(center=frame.center))
    x = frame.right + 14

    # Potions: filled flasks for those carried, dim ones for empty slots.
    potion = scene.art.item("potion")
    carried = me.potions if me is not None else 0
    for slot in range(MAX_POTIONS):
        potion.set_alpha(255 if slot < carried else 55)
        screen.blit(potion, (x, top - 4))
        x += 22
    potion.set_alpha(255)
    x += 12

    if me is not None:
        stats = [
            ("score", str(me.score), GOLD),
            ("kills", str(me.kills), TEXT),
            ("deaths", str(me.deaths), TEXT),
        ]
        if hud.rank:
            stats.append(("rank", hud.rank, TEXT))
        if me.fury_until > world.clock:
            stats.append(("FURY", f"{(me.fury_until - world.clock) / 1000:.0f}s", (255, 150, 40)))
        for name, value, color in stats:
            screen.blit(_texts.get(name, DIM, 18), (x, top + 3))
            x += _texts.font(18).size(name)[0] + 5
            text = _texts.get(value, color, 24)
            screen.blit(text, (x, top))
            x += text.get_width() + 14

    # The round clock (or, in a match without rounds, the match clock), right-aligned.
    clock = _texts.get(round_clock(world, now) or match_clock(world), TEXT, 28)
    screen.blit(clock, (bar.right - 12 - clock.get_width(), top - 2))

    # Second row: connection status left, match / players / round trip right.
    row = bar.y + 34
    dot_color = GOOD if hud.status_ok else BAD
    pygame.draw.circle(screen, dot_color, (bar.x + 18, row + 7), 5)
    status = _texts.get(_clip(hud.status, 70), TEXT if hud.status_ok else BAD, 18)
    screen.blit(status, (bar.x + 30, row + 1))
    rtt = "rtt --" if hud.rtt_ms is None else f"rtt {hud.rtt_ms:.0f} ms"
    count = len(world.players)
    info = f"match {hud.match}   {count} player{'s' if count != 1 else ''}   {rtt}"
    text = _texts.get(info, DIM, 18)
    screen.blit(text, (bar.right - 12 - text.get_width(), row + 1))


def _clip(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 3] + "..."


def _panel(surface: pygame.Surface, rect: pygame.Rect) -> None:
    shade = pygame.Surface(rect.size, pygame.SRCALPHA)
    shade.fill((14, 12, 20, 215))
    surface.blit(shade, rect)
    pygame.draw.rect(surface, HUD_EDGE, rect, 2, border_radius=6)


def _draw_scoreboard(surface: pygame.Surface, world: World, me: int | None) -> None:
    players = ranked(world.players.values())
    rows = players[:16]
    mine = world.players.get(me) if me is not None else None
    if mine is not None and mine not in rows:
        rows[-1] = mine
    columns = (("name", 0), ("score", 230), ("kills", 300), ("deaths", 370), ("coins", 450))
    row_h = 24
    rect = pygame.Rect(0, 0, 540, 86 + row_h * max(1, len(rows)))
    rect.center = (surface.get_width() // 2, surface.get_height() // 2)
    _panel(surface, rect)
    title = _texts.get("Scoreboard", TEXT, 32, shadow=True)
    surface.blit(title, (rect.centerx - title.get_width() // 2, rect.y + 12))
    left, y = rect.x + 30, rect.y + 50
    for name, dx in columns:
        surface.blit(_texts.get(name, DIM, 18), (left + dx, y))
    y += 24
    place = {player.pid: rank for rank, player in enumerate(players, 1)}
    for player in rows:
        if player.pid == me:
            surface.fill((70, 62, 30), (rect.x + 8, y - 3, rect.w - 16, row_h - 2))
        color = (player.color >> 16 & 255, player.color >> 8 & 255, player.color & 255)
        pygame.draw.circle(surface, color, (left - 10, y + 7), 5)
        values = (
            f"{place[player.pid]}. {player.name}",
            player.score,
            player.kills,
            player.deaths,
            player.coins,
        )
        for (_, dx), value in zip(columns, values, strict=True):
            text_color = TEXT if player.alive else DIM
            surface.blit(_texts.get(str(value), text_color, 22), (left + dx, y))
        y += row_h


def _draw_controls(surface: pygame.Surface) -> None:
    rect = pygame.Rect(16, 16, 290, 40 + 24 * len(CONTROLS))
    _panel(surface, rect)
    surface.blit(_texts.get("Controls", TEXT, 24, shadow=True), (rect.x + 14, rect.y + 10))
    y = rect.y + 38
    for keys, action in CONTROLS:
        surface.blit(_texts.get(keys, GOLD, 20), (rect.x + 14, y))
        surface.blit(_texts.get(action, TEXT, 20), (rect.x + 140, y))
        y += 24


def _draw_message(surface: pygame.Surface, message: str) -> None:
    text = _texts.get(_clip(message, 60), TEXT, 44, shadow=True)
    rect = text.get_rect(center=(surface.get_width() // 2, surface.get_height() // 2 - 60))
    band = rect.inflate(40, 18)
    shade = pygame.Surface(band.size, pygame.SRCALPHA)
    shade.fill((10, 8, 14, 150))
    surface.blit(shade, band)
    surface.blit(text, rect)
