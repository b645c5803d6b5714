"""The arena renderer shared by the player window and the spectator.

`Scene.draw` paints one frame at 1:1 (map size in px) from a World: the static map (drawn
once), items, players and the effects that `Scene.on_events` started from reducer events.
Effects are animated by the caller's local clock `now_ms`, never by the match clock, so
they play smoothly even when the log arrives in bursts. Everything costly is cached:
tinted knights per (colour, facing), name labels per name, texts per string.
"""

from __future__ import annotations

import math
import random
import zlib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pygame

from game.core.constants import MAX_HEALTH_HP, RESPAWN_MS, TILE_PX, UNITS_PER_PX
from game.core.maps import TileMap
from game.core.world import (
    Event,
    Hit,
    ItemBack,
    Joined,
    Killed,
    Left,
    PickedUp,
    Player,
    Respawned,
    Swung,
    Used,
    World,
)
from game.window.art import (
    GRASS_TILES,
    KNIGHT_CELL,
    STONE_TILES,
    SWING_CELL,
    SWING_FRAMES,
    WALL_FACE_TILES,
    WALL_TOP_TILES,
    Art,
    Sounds,
    load_or_draw,
    tinted_knight,
)

MAX_EFFECTS = 400
SWING_MS = 160
FLASH_MS = 120
FLOAT_MS = 800
BURST_MS = 650
RING_MS = 500
SPARKLE_MS = 450
BURST_PARTICLES = 16

ITEM_COLORS = {"potion": (236, 70, 84), "coin": (250, 208, 70), "fury": (255, 150, 40)}
PICKUP_TEXT = {"potion": "+potion", "coin": "+1", "fury": "FURY!"}
HIGHLIGHT_COLOR = (255, 226, 90)
LABEL_FONT_PX = 16
FLOAT_FONT_PX = 20
GRASS_LEVEL = 0.58
Positions = Mapping[int, tuple[float, float]]  # pid -> where to draw it (px), between ticks
# Plain flagstones three times as often as the cracked one (the last variant).
_STONE_WEIGHTED = STONE_TILES[:-1] * 3 + STONE_TILES[-1:]


@dataclass(slots=True)
class _Effect:
    kind: str
    start: float
    end: float
    pid: int | None = None  # follows this player while present
    x: float = 0.0  # px, where it happened (used when the player is gone)
    y: float = 0.0
    color: tuple[int, int, int] = (255, 255, 255)
    text: str = ""
    facing: int = 0
    particles: list[tuple[float, float, float]] = field(default_factory=list)  # (dx, dy, size) per ms


def _rgb(color: int) -> tuple[int, int, int]:
    return (color >> 16) & 255, (color >> 8) & 255, color & 255


def health_color(fraction: float) -> tuple[int, int, int]:
    """Green at full health through yellow to red near death."""
    fraction = max(0.0, min(1.0, fraction))
    if fraction > 0.5:
        t = (fraction - 0.5) * 2
        return round(240 - 170 * t), round(200 + 20 * t), 60
    t = fraction * 2
    return 230, round(50 + 150 * t), 50


class Scene:
    def __init__(self, tile_map: TileMap) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.tile_map = tile_map
        self.size: tuple[int, int] = (tile_map.width * TILE_PX, tile_map.height * TILE_PX)
        self.art: Art = load_or_draw()
        self.background = render_map(tile_map, self.art)
        # Sounds are off unless a window turns them on (a spectator of 100 bots wants quiet).
        self.sounds: Sounds | None = None
        self.listener: int | None = None  # events of this pid play loudest
        self._effects: deque[_Effect] = deque(maxlen=MAX_EFFECTS)
        self._flashes: dict[int, float] = {}  # pid -> flash start
        self._last_pos: dict[int, tuple[float, float]] = {}
        self._knights: dict[tuple[int, int], pygame.Surface] = {}
        self._white: list[pygame.Surface] = [_silhouette(self.art, f) for f in range(8)]
        self._labels: dict[tuple[str, bool], pygame.Surface] = {}
        self._texts: dict[tuple[str, tuple[int, int, int], int], pygame.Surface] = {}
        self._fonts: dict[int, pygame.font.Font] = {}
        self._glow = _glow(25, (255, 190, 70), (230, 70, 40))
        self._ring = _ring(16, HIGHLIGHT_COLOR)

    def enable_sound(self, listener: int | None = None) -> bool:
        """Play sound effects (when the mixer starts); True when they are audible."""
        self.sounds = Sounds()
        self.listener = listener
        return self.sounds.enabled

    # --- effects ---

    def on_events(self, events: Iterable[Event], now_ms: float, world: World) -> None:
        for event in events:
            match event:
                case Swung(pid=pid, facing=facing):
                    self._add("swing", now_ms, SWING_MS, pid, world, facing=facing)
                    self._sound("swing", pid)
                case Hit(attacker=attacker, victim=victim, damage=damage):
                    self._flashes[victim] = now_ms
                    color = (255, 170, 40) if damage > 20 else (255, 90, 80)  # a fury hit
                    self._add("float", now_ms, FLOAT_MS, victim, world, color=color, text=f"-{damage}")
                    self._sound("hit", victim, attacker)
                case Killed(attacker=attacker, victim=victim):
                    fallen = world.players.get(victim)
                    color = _rgb(fallen.color) if fallen else (255, 255, 255)
                    effect = self._add("burst", now_ms, BURST_MS, victim, world, color=color)
                    effect.pid = None  # the burst stays where the victim fell
                    effect.particles = _particles(victim, now_ms)
                    self._sound("death", victim, attacker)
                case Respawned(pid=pid) | Joined(pid=pid):
                    player = world.players.get(pid)
                    color = _rgb(player.color) if player else (255, 255, 255)
                    self._add("ring", now_ms, RING_MS, pid, world, color=color)
                case Left(pid=pid):
                    effect = self._add("burst", now_ms, BURST_MS, pid, world, color=(170, 170, 180))
                    effect.pid = None
                    effect.particles = _particles(pid, now_ms)
                    self._last_pos.pop(pid, None)
                case PickedUp(pid=pid, item=index, kind=kind):
                    item = world.items[index] if index < len(world.items) else None
                    x, y = (item.x / UNITS_PER_PX, item.y / UNITS_PER_PX) if item else self._where(pid, world)
                    color = ITEM_COLORS.get(kind, (255, 255, 255))
                    self._effects.append(_Effect("sparkle", now_ms, now_ms + SPARKLE_MS, None, x, y, color))
                    text = PICKUP_TEXT.get(kind, "+" + kind)
                    self._effects.append(_Effect("float", now_ms, now_ms + FLOAT_MS, None, x, y, color, text))
                    self._sound("pickup", pid)
                case Used(pid=pid):
                    self._add("heal", now_ms, FLOAT_MS, pid, world, color=(120, 240, 120))
                    self._add("float", now_ms, FLOAT_MS, pid, world, color=(120, 240, 120), text="+hp")
                    self._sound("heal", pid)
                case ItemBack(item=index, kind=kind) if index < len(world.items):
                    item = world.items[index]
                    color = ITEM_COLORS.get(kind, (255, 255, 255))
                    x, y = item.x / UNITS_PER_PX, item.y / UNITS_PER_PX
                    self._effects.append(_Effect("pop", now_ms, now_ms + RING_MS, None, x, y, color))

    def _where(self, pid: int, world: World) -> tuple[float, float]:
        if pid in self._last_pos:
            return self._last_pos[pid]
        player = world.players.get(pid)
        if player is None:
            return -100.0, -100.0
        return player.x / UNITS_PER_PX, player.y / UNITS_PER_PX

    def _add(
        self,
        kind: str,
        now_ms: float,
        duration: float,
        pid: int,
        world: World,
        *,
        color: tuple[int, int, int] = (255, 255, 255),
        text: str = "",
        facing: int = 0,
    ) -> _Effect:
        x, y = self._where(pid, world)
        effect = _Effect(kind, now_ms, now_ms + duration, pid, x, y, color, text, facing)
        self._effects.append(effect)
        return effect

    def _sound(self, name: str, *pids: int) -> None:
        if self.sounds is not None:
            self.sounds.play(name, 0.6 if self.listener in pids else 0.15)

    # --- drawing ---

    def draw(
        self,
        surface: pygame.Surface,
        world: World,
        now_ms: float,
        positions: Positions | None = None,
        highlight: int | None = None,
    ) -> None:
        surface.blit(self.background, (0, 0))
        self._draw_items(surface, world, now_ms)
        positions = positions or {}
        placed = []
        last_pos = self._last_pos
        for pid, player in world.players.items():
            pos = positions.get(pid)
            if pos is None:
                pos = (player.x / UNITS_PER_PX, player.y / UNITS_PER_PX)
            last_pos[pid] = pos
            placed.append((pos[1], pos[0], player))
        if len(last_pos) > len(world.players) + 64:  # forget players long gone
            for pid in [pid for pid in last_pos if pid not in world.players]:
                del last_pos[pid]
        placed.sort(key=lambda entry: entry[0])
        self._prune(now_ms)

        blit = surface.blit
        shadow = self.art.item("shadow")
        tomb = self.art.item("tombstone")
        half = KNIGHT_CELL // 2
        clock = world.clock
        for fy, fx, player in placed:
            x, y = round(fx), round(fy)
            if not player.alive:
                self._draw_dead(surface, tomb, player, x, y, clock)
                continue
            blit(shadow, (x - 11, y - 3))
            if player.pid == highlight:
                blit(self._ring, (x - self._ring.get_width() // 2, y - self._ring.get_height() // 2))
            if player.fury_until > clock:
                glow = self._glow
                glow.set_alpha(190 + round(65 * math.sin(now_ms / 90)))
                blit(glow, (x - glow.get_width() // 2, y - glow.get_height() // 2))
                glow.set_alpha(255)
            key = (player.color, player.facing)
            sprite = self._knights.get(key)
            if sprite is None:
                sprite = self._knights[key] = tinted_knight(self.art, player.color, player.facing)
            blit(sprite, (x - half, y - half))
            flash = self._flashes.get(player.pid)
            if flash is not None:
                age = now_ms - flash
                if 0 <= age < FLASH_MS:
                    white = self._white[player.facing]
                    white.set_alpha(round(230 * (1 - age / FLASH_MS)))
                    blit(white, (x - half, y - half))
                else:
                    del self._flashes[player.pid]

        self._draw_effects(surface, now_ms, positions)
        for fy, fx, player in placed:
            if player.alive:
                self._draw_tag(surface, player, round(fx), round(fy), player.pid == highlight)
        self._draw_floats(surface, now_ms, positions)

    def _draw_items(self, surface: pygame.Surface, world: World, now_ms: float) -> None:
        art = self.art
        shadow = art.item("shadow")
        clock = world.clock
        for item in world.items:
            if item.available_at > clock:
                continue  # taken: the static map shows its spawn marker
            x, y = item.x // UNITS_PER_PX, item.y // UNITS_PER_PX
            phase = now_ms / 260 + item.item_id * 1.7
            bob = round(2.5 * math.sin(phase))
            if item.kind == "coin":
                sprite = art.item("coin", int(now_ms / 110 + item.item_id * 3) % 4)
            elif item.kind == "fury":
                sprite = art.item("fury", int(now_ms / 320 + item.item_id) % 2)
            else:
                sprite = art.item(item.kind)
            surface.blit(shadow, (x - 12, y - 4))
            surface.blit(sprite, (x - 12, y - 15 + bob))

    def _draw_dead(
        self, surface: pygame.Surface, tomb: pygame.Surface, player: Player, x: int, y: int, clock: int
    ) -> None:
        left = player.respawn_at - clock
        since = RESPAWN_MS - left
        # Rises in fast, fades out as the respawn nears.
        alpha = min(255, max(0, since) * 255 // 200, max(0, left) * 255 // 600 + 60)
        tomb.set_alpha(alpha)
        surface.blit(tomb, (x - 12, y - 14))
        tomb.set_alpha(255)
        label = self._label(player.name, False)
        label.set_alpha(alpha // 2)
        surface.blit(label, (x - label.get_width() // 2, y - 30))
        label.set_alpha(255)
        if left > 0:
            text = self._text(f"{left / 1000:.1f}", (230, 230, 240), LABEL_FONT_PX)
            surface.blit(text, (x - text.get_width() // 2, y + 11))

    def _draw_tag(self, surface: pygame.Surface, player: Player, x: int, y: int, mine: bool) -> None:
        label = self._label(player.name, mine)
        surface.blit(label, (x - label.get_width() // 2, y - 33))
        width = 26
        bar = pygame.Rect(x - width // 2 - 1, y - 20, width + 2, 5)
        surface.fill((20, 16, 20), bar)
        fraction = player.hp / MAX_HEALTH_HP
        if fraction > 0:
            surface.fill(health_color(fraction), (bar.x + 1, bar.y + 1, max(1, round(width * fraction)), 3))

    def _draw_effects(self, surface: pygame.Surface, now_ms: float, positions: Positions) -> None:
        for effect in self._effects:
            age = now_ms - effect.start
            if age < 0:
                continue
            t = age / (effect.end - effect.start)
            x, y = self._follow(effect, positions)
            kind = effect.kind
            if kind == "swing":
                frame = min(SWING_FRAMES - 1, int(t * SWING_FRAMES))
                sprite = self.art.swings[effect.facing % 8][frame]
                sprite.set_alpha(round(255 * min(1.0, 2.2 * (1 - t))))
                surface.blit(sprite, (round(x) - SWING_CELL // 2, round(y) - SWING_CELL // 2))
                sprite.set_alpha(255)
            elif kind == "burst":
                size_scale = 1 - t
                color = effect.color if t < 0.5 else _fade(effect.color, (t - 0.5) * 2)
                for dx, dy, size in effect.particles:
                    # Particles slow as they fly: distance grows like sqrt of time.
                    reach = math.sqrt(age) * 2.2
                    px, py = x + dx * reach, y + dy * reach + 10 * t * t
                    pygame.draw.circle(
                        surface, color, (round(px), round(py)), max(1, round(size * size_scale))
                    )
                pygame.draw.circle(surface, (255, 255, 255), (round(x), round(y)), round(6 + 30 * t), 2)
            elif kind in ("ring", "pop"):
                radius = (8 + 24 * t) if kind == "ring" else (4 + 16 * t)
                width = max(1, round(4 * (1 - t)))
                pygame.draw.circle(surface, effect.color, (round(x), round(y)), round(radius), width)
                if kind == "ring":
                    pygame.draw.circle(surface, (255, 255, 255), (round(x), round(y)), round(radius * 0.6), 1)
            elif kind == "sparkle":
                star = self.art.item("sparkle")
                star.set_alpha(round(255 * (1 - t)))
                for i in range(5):
                    angle = i * 2 * math.pi / 5 + t * 2
                    reach = 4 + 18 * t
                    surface.blit(
                        star,
                        (
                            round(x + math.cos(angle) * reach) - 12,
                            round(y + math.sin(angle) * reach) - 12,
                        ),
                    )
                star.set_alpha(255)
            elif kind == "heal":
                for i in range(6):
                    phase = (t + i / 6) % 1
                    px = x + 11 * math.sin(i * 2.1)
                    py = y + 6 - 26 * phase
                    color = _fade(effect.color, phase)
                    ix, iy = round(px), round(py)
                    surface.fill(color, (ix - 3, iy, 7, 1))
                    surface.fill(color, (ix, iy - 3, 1, 7))

    def _draw_floats(self, surface: pygame.Surface, now_ms: float, positions: Positions) -> None:
        for effect in self._effects:
            if effect.kind != "float" or now_ms < effect.start:
                continue
            t = (now_ms - effect.start) / (effect.end - effect.start)
            x, y = self._follow(effect, positions)
            text = self._text(effect.text, effect.color, FLOAT_FONT_PX)
            text.set_alpha(round(255 * min(1.0, 3 * (1 - t))))
            rise = 22 * (1 - (1 - t) ** 2)
            surface.blit(text, (round(x) - text.get_width() // 2, round(y - 40 - rise)))
            text.set_alpha(255)

    def _follow(self, effect: _Effect, positions: Positions) -> tuple[float, float]:
        if effect.pid is not None:
            pos = positions.get(effect.pid) or self._last_pos.get(effect.pid)
            if pos is not None:
                effect.x, effect.y = pos
        return effect.x, effect.y

    def _prune(self, now_ms: float) -> None:
        effects = self._effects
        if effects and any(e.end <= now_ms for e in effects):
            self._effects = deque((e for e in effects if e.end > now_ms), maxlen=MAX_EFFECTS)

    # --- cached text ---

    def font(self, size: int) -> pygame.font.Font:
        font = self._fonts.get(size)
        if font is None:
            font = self._fonts[size] = pygame.font.Font(None, size)
        return font

    def _label(self, name: str, mine: bool) -> pygame.Surface:
        key = (name, mine)
        label = self._labels.get(key)
        if label is None:
            color = HIGHLIGHT_COLOR if mine else (240, 240, 245)
            label = self._labels[key] = shadowed(self.font(LABEL_FONT_PX), name, color)
        return label

    def _text(self, text: str, color: tuple[int, int, int], size: int) -> pygame.Surface:
        key = (text, color, size)
        surface = self._texts.get(key)
        if surface is None:
            if len(self._texts) > 512:
                self._texts.clear()
            surface = self._texts[key] = shadowed(self.font(size), text, color)
        return surface


def shadowed(font: pygame.font.Font, text: str, color: tuple[int, int, int]) -> pygame.Surface:
    """Text with a dark drop shadow and a thin outline, readable on grass, stone and walls."""
    front = font.render(text, True, color)
    back = font.render(text, True, (12, 10, 14))
    w, h = front.get_size()
    out = pygame.Surface((w + 2, h + 2), pygame.SRCALPHA)
    for dx, dy in ((0, 1), (2, 1), (1, 0), (1, 2), (2, 2)):
        out.blit(back, (dx, dy))
    out.blit(front, (1, 1))
    return out


def _fade(color: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    # Towards the dark floor colour: cheaper than alpha for particles.
    r, g, b = color
    return round(r + (60 - r) * t), round(g + (60 - g) * t), round(b + (60 - b) * t)


def _particles(pid: int, now_ms: float) -> list[tuple[float, float, float]]:
    rng = random.Random(pid * 7919 + int(now_ms))
    out = []
    for i in range(BURST_PARTICLES):
        angle = (i + rng.random() * 0.8) * 2 * math.pi / BURST_PARTICLES
        speed = 0.6 + rng.random() * 0.7
        out.append((math.cos(angle) * speed, math.sin(angle) * speed, 2 + rng.random() * 2.5))
    return out


def _silhouette(art: Art, facing: int) -> pygame.Surface:
    white = art.knight_tint[facing].copy()
    white.blit(art.knight_detail[facing], (0, 0))
    white.fill((255, 255, 255, 0), special_flags=pygame.BLEND_RGBA_MAX)
    return white


def _glow(radius: int, inner: tuple[int, int, int], outer: tuple[int, int, int]) -> pygame.Surface:
    surface = pygame.Surface((radius * 2, radius * 2), pygame.SRCALPHA)
    for r in range(radius, 0, -1):
        t = r / radius
        color = tuple(round(a + (b - a) * t) for a, b in zip(inner, outer, strict=True))
        pygame.draw.circle(surface, (*color, round(235 * (1 - t) ** 0.8)), (radius, radius), r)
    return surface


def _ring(radius: int, color: tuple[int, int, int]) -> pygame.Surface:
    size = radius * 2 + 4
    surface = pygame.Surface((size, size), pygame.SRCALPHA)
    pygame.draw.circle(surface, (*color, 50), (size // 2, size // 2), radius)
    pygame.draw.circle(surface, (*color, 220), (size // 2, size // 2), radius, 2)
    return surface


# --- the static map ---


def _grassiness(tile_map: TileMap) -> list[list[float]]:
    """Smooth value noise per tile (0..1), seeded by the map's name: same map, same meadow."""
    rng = random.Random(zlib.crc32(tile_map.name.encode()))
    step = 5
    gw, gh = tile_map.width // step + 2, tile_map.height // step + 2
    lattice = [[rng.random() for _ in range(gw)] for _ in range(gh)]
    out = []
    for ty in range(tile_map.height):
        row = []
        for tx in range(tile_map.width):
            gx, gy = tx / step, ty / step
            ix, iy = int(gx), int(gy)
            fx, fy = gx - ix, gy - iy
            fx, fy = fx * fx * (3 - 2 * fx), fy * fy * (3 - 2 * fy)
            top = lattice[iy][ix] * (1 - fx) + lattice[iy][ix + 1] * fx
            bottom = lattice[iy + 1][ix] * (1 - fx) + lattice[iy + 1][ix + 1] * fx
            row.append(top * (1 - fy) + bottom * fy)
        out.append(row)
    return out


def render_map(tile_map: TileMap, art: Art) -> pygame.Surface:
    """The map's floor, walls, wall shadows and spawn marks, drawn once."""
    size = (tile_map.width * TILE_PX, tile_map.height * TILE_PX)
    surface = pygame.Surface(size)
    grass = _grassiness(tile_map)
    wall = tile_map.is_wall
    for ty in range(tile_map.height):
        for tx in range(tile_map.width):
            pick = zlib.crc32(bytes((tx, ty, 7)))
            tiles: tuple[int, ...]  # indices into art.tiles: the variants to pick from
            if wall(tx, ty):
                tiles = WALL_TOP_TILES if wall(tx, ty + 1) and ty + 1 < tile_map.height else WALL_FACE_TILES
            else:
                tiles = GRASS_TILES if grass[ty][tx] > GRASS_LEVEL else _STONE_WEIGHTED
            surface.blit(art.tiles[tiles[pick % len(tiles)]], (tx * TILE_PX, ty * TILE_PX))
    _grass_edges(surface, tile_map, grass)

    shade_top = _gradient(TILE_PX, 12, vertical=True)
    shade_left = _gradient(7, TILE_PX, vertical=False)
    edge = (40, 34, 36)
    for ty in range(tile_map.height):
        for tx in range(tile_map.width):
            x, y = tx * TILE_PX, ty * TILE_PX
            if wall(tx, ty):
                # Dark seams where a wall's cap meets open floor, so wall blocks read as raised.
                if not wall(tx - 1, ty):
                    surface.fill(edge, (x, y, 1, TILE_PX))
                if not wall(tx + 1, ty):
                    surface.fill(edge, (x + TILE_PX - 1, y, 1, TILE_PX))
                if not wall(tx, ty - 1):
                    surface.fill(edge, (x, y, TILE_PX, 1))
                continue
            # Walls cast a shadow down and to the right (light comes from the top left).
            if wall(tx, ty - 1):
                surface.blit(shade_top, (x, y))
            if wall(tx - 1, ty):
                surface.blit(shade_left, (x, y))

    for sx, sy in tile_map.spawns:
        _spawn_mark(surface, sx // UNITS_PER_PX, sy // UNITS_PER_PX)
    for spawn in tile_map.items:
        centre = (spawn.x // UNITS_PER_PX, spawn.y // UNITS_PER_PX + 3)
        mark = pygame.Surface((24, 12), pygame.SRCALPHA)
        pygame.draw.ellipse(mark, (0, 0, 0, 55), mark.get_rect())
        pygame.draw.ellipse(mark, (*ITEM_COLORS.get(spawn.kind, (255, 255, 255)), 70), mark.get_rect(), 1)
        surface.blit(mark, (centre[0] - 12, centre[1] - 6))
    return surface


def _grass_edges(surface: pygame.Surface, tile_map: TileMap, grass: list[list[float]]) -> None:
    """Tufts of grass spilling over the flagstones next to it, so the meadow has no hard edge."""

    def is_grass(tx: int, ty: int) -> bool:
        inside = 0 <= tx < tile_map.width and 0 <= ty < tile_map.height
        return inside and not tile_map.is_wall(tx, ty) and grass[ty][tx] > GRASS_LEVEL

    for ty in range(tile_map.height):
        for tx in range(tile_map.width):
            if tile_map.is_wall(tx, ty) or is_grass(tx, ty):
                continue
            rng = random.Random(zlib.crc32(bytes((tx, ty, 9))))
            for dx, dy in ((0, -1), (0, 1), (-1, 0), (1, 0)):
                if not is_grass(tx + dx, ty + dy):
                    continue
                for _ in range(14):
                    along, depth = rng.randrange(TILE_PX), rng.randrange(1, 5)
                    color = (58 + rng.randrange(24), 96 + rng.randrange(24), 50)
                    if dy:
                        y = ty * TILE_PX + (0 if dy < 0 else TILE_PX - 1)
                        end = y - dy * depth
                        pygame.draw.line(
                            surface, color, (tx * TILE_PX + along, y), (tx * TILE_PX + along, end)
                        )
                    else:
                        x = tx * TILE_PX + (0 if dx < 0 else TILE_PX - 1)
                        end = x - dx * depth
                        pygame.draw.line(
                            surface, color, (x, ty * TILE_PX + along), (end, ty * TILE_PX + along)
                        )


def _gradient(w: int, h: int, *, vertical: bool) -> pygame.Surface:
    surface = pygame.Surface((w, h), pygame.SRCALPHA)
    steps = h if vertical else w
    for i in range(steps):
        alpha = round(120 * (1 - i / steps) ** 1.6)
        rect = (0, i, w, 1) if vertical else (i, 0, 1, h)
        surface.fill((0, 0, 0, alpha), rect)
    return surface


def _spawn_mark(surface: pygame.Surface, x: int, y: int) -> None:
    mark = pygame.Surface((30, 30), pygame.SRCALPHA)
    pygame.draw.circle(mark, (220, 210, 170, 40), (15, 15), 13)
    pygame.draw.circle(mark, (230, 220, 180, 90), (15, 15), 13, 1)
    pygame.draw.circle(mark, (230, 220, 180, 70), (15, 15), 8, 1)
    for i in range(4):
        angle = i * math.pi / 2 + math.pi / 4
        a = (15 + math.cos(angle) * 8, 15 + math.sin(angle) * 8)
        b = (15 + math.cos(angle) * 13, 15 + math.sin(angle) * 13)
        pygame.draw.line(mark, (230, 220, 180, 90), a, b)
    surface.blit(mark, (x - 15, y - 15))
