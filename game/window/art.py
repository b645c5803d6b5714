"""The game's art, drawn by this project with pygame.draw: tiles, knights, items, effects, sounds.

Everything is drawn into a few sprite sheets. `python -m game.art` saves them (and the
sounds) into assets/; at runtime `load_or_draw()` reads assets/ when present, else draws.
Round shapes are drawn at SUPERSAMPLE times the size and smoothed down once, so the sprites
are anti-aliased without any per-frame work. Knights are drawn in two layers: a grey layer
that is multiplied by the player's colour and a detail layer (steel, sword) laid on top.
"""

from __future__ import annotations

import math
import random
import sys
import wave
from array import array
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pygame

from game.core.constants import ATTACK_HALF_ARC_DEG, ATTACK_RANGE_PX, TILE_PX

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"
SUPERSAMPLE = 3

# Sheet layouts: cells are squares, laid out left to right (knights and swings: one row each).
TILE_CELL = TILE_PX
STONE_TILES = (0, 1, 2, 3)
GRASS_TILES = (4, 5)
WALL_FACE_TILES = (6, 7)  # a wall whose south neighbour is floor: cap on top, bricks below
WALL_TOP_TILES = (8, 9)  # a wall seen from above only
TILE_COUNT = 10

KNIGHT_CELL = 44
ITEM_CELL = 24
ITEM_INDEX = {"potion": 0, "coin": 1, "fury": 5, "tombstone": 7, "sparkle": 8, "shadow": 9}
COIN_FRAMES = 4
FURY_FRAMES = 2

SWING_CELL = 2 * (ATTACK_RANGE_PX + 4)
SWING_FRAMES = 4

OUTLINE = (28, 24, 30)
STEEL = (176, 182, 194)
STEEL_DARK = (92, 98, 112)
GOLD = (246, 196, 58)
POTION_RED = (214, 44, 60)
FURY_PURPLE = (168, 70, 232)
FURY_ORANGE = (255, 150, 40)


# --- helpers ---


def _rng(*seed: int) -> random.Random:
    # A fixed integer seed: the same art on every machine and every run.
    value = 0
    for part in seed:
        value = value * 1_000_003 + part
    return random.Random(value)


def _shade(color: tuple[int, int, int], delta: int) -> tuple[int, int, int]:
    r, g, b = color
    return max(0, min(255, r + delta)), max(0, min(255, g + delta)), max(0, min(255, b + delta))


def _supersampled(size: int) -> pygame.Surface:
    return pygame.Surface((size * SUPERSAMPLE, size * SUPERSAMPLE), pygame.SRCALPHA)


def _shrink(big: pygame.Surface) -> pygame.Surface:
    w, h = big.get_size()
    return pygame.transform.smoothscale(big, (w // SUPERSAMPLE, h // SUPERSAMPLE))


def _rotate(facing: int, x: float, y: float) -> tuple[float, float]:
    """A point drawn for a north-facing sprite, turned clockwise by facing * 45 degrees."""
    angle = math.radians(facing * 45)
    c, s = math.cos(angle), math.sin(angle)
    return x * c - y * s, x * s + y * c


class _Pen:
    """Draws in sprite pixels (origin at the cell centre) on a supersampled surface."""

    def __init__(self, surface: pygame.Surface, cx: float, cy: float, facing: int = 0) -> None:
        self.surface = surface
        self.cx, self.cy = cx, cy
        self.facing = facing

    def at(self, x: float, y: float) -> tuple[float, float]:
        rx, ry = _rotate(self.facing, x, y)
        return (self.cx + rx) * SUPERSAMPLE, (self.cy + ry) * SUPERSAMPLE

    def circle(self, color: tuple[int, ...], x: float, y: float, r: float, width: float = 0) -> None:
        pygame.draw.circle(self.surface, color, self.at(x, y), r * SUPERSAMPLE, round(width * SUPERSAMPLE))

    def polygon(self, color: tuple[int, ...], points: list[tuple[float, float]], width: float = 0) -> None:
        pygame.draw.polygon(
            self.surface, color, [self.at(x, y) for x, y in points], round(width * SUPERSAMPLE)
        )

    def line(
        self, color: tuple[int, ...], a: tuple[float, float], b: tuple[float, float], width: float
    ) -> None:
        pygame.draw.line(self.surface, color, self.at(*a), self.at(*b), max(1, round(width * SUPERSAMPLE)))

    def ellipse(self, color: tuple[int, ...], x: float, y: float, rx: float, ry: float) -> None:
        # Unrotated: only used for shapes that look the same from every facing.
        s = SUPERSAMPLE
        rect = pygame.Rect(0, 0, round(2 * rx * s), round(2 * ry * s))
        rect.center = (round((self.cx + x) * s), round((self.cy + y) * s))
        pygame.draw.ellipse(self.surface, color, rect)


# --- tiles ---


def _stone_tile(variant: int) -> pygame.Surface:
    rng = _rng(1, variant)
    tile = pygame.Surface((TILE_CELL, TILE_CELL))
    base = (92, 88, 84)
    mortar = (60, 56, 54)
    tile.fill(mortar)
    # Flagstones: a few layouts of 16 px slabs, some merged into long ones.
    layouts = (
        [(0, 0, 16, 16), (16, 0, 16, 16), (0, 16, 16, 16), (16, 16, 16, 16)],
        [(0, 0, 32, 16), (0, 16, 16, 16), (16, 16, 16, 16)],
        [(0, 0, 16, 32), (16, 0, 16, 16), (16, 16, 16, 16)],
        [(0, 0, 16, 16), (16, 0, 16, 16), (0, 16, 32, 16)],
    )
    for x, y, w, h in layouts[variant % len(layouts)]:
        color = _shade(base, rng.randint(-7, 7))
        slab = pygame.Rect(x + 1, y + 1, w - 1, h - 1)
        tile.fill(color, slab)
        tile.fill(_shade(color, 10), (slab.x, slab.y, slab.w, 1))  # worn top edge catches light
        tile.fill(_shade(color, -10), (slab.x, slab.bottom - 1, slab.w, 1))
    for _ in range(46):
        x, y = rng.randrange(TILE_CELL), rng.randrange(TILE_CELL)
        c = tile.get_at((x, y))
        tile.set_at((x, y), _shade((c.r, c.g, c.b), rng.choice((-9, -6, 6, 8))))
    if variant == 3:  # a crack
        x, y = rng.randint(4, 12), rng.randint(4, 12)
        for _ in range(7):
            nx, ny = x + rng.randint(1, 3), y + rng.randint(-1, 2)
            pygame.draw.line(tile, (66, 62, 58), (x, y), (nx, ny))
            x, y = nx, ny
    return tile


def _grass_tile(variant: int) -> pygame.Surface:
    rng = _rng(2, variant)
    tile = pygame.Surface((TILE_CELL, TILE_CELL))
    base = (66, 104, 56)
    tile.fill(base)
    for _ in range(24):
        x, y = rng.randrange(TILE_CELL), rng.randrange(TILE_CELL)
        tile.fill(_shade(base, rng.randint(-8, 6)), (x, y, rng.randint(3, 6), rng.randint(3, 6)))
    for _ in range(34):  # blades of grass
        x, y = rng.randrange(TILE_CELL), rng.randrange(2, TILE_CELL)
        color = _shade(base, rng.choice((-18, -12, 14, 22)))
        pygame.draw.line(tile, color, (x, y), (x + rng.randint(-1, 1), y - rng.randint(2, 3)))
    if variant == 1:  # a few flowers
        for _ in range(3):
            x, y = rng.randrange(3, 29), rng.randrange(3, 29)
            tile.set_at((x, y), rng.choice(((236, 226, 120), (230, 230, 236), (210, 140, 200))))
    return tile


def _wall_tile(variant: int, *, face: bool) -> pygame.Surface:
    rng = _rng(3, variant, face)
    tile = pygame.Surface((TILE_CELL, TILE_CELL))
    cap = (150, 142, 134)
    cap_h = 12 if face else TILE_CELL
    tile.fill(cap, (0, 0, TILE_CELL, cap_h))
    # The cap: big stones seen from above, lit from the top.
    for y in range(0, cap_h, 12):
        offset = (y // 12 % 2) * 8 + variant * 4
        for x in range(-offset, TILE_CELL, 16):
            stone = pygame.Rect(x, y, 16, min(12, cap_h - y))
            tile.fill(_shade(cap, rng.randint(-8, 6)), stone)
            pygame.draw.line(tile, _shade(cap, -34), stone.bottomleft, stone.bottomright)
            pygame.draw.line(tile, _shade(cap, -26), stone.topleft, stone.bottomleft)
    for _ in range(30):
        x, y = rng.randrange(TILE_CELL), rng.randrange(cap_h)
        c = tile.get_at((x, y))
        tile.set_at((x, y), _shade((c.r, c.g, c.b), rng.choice((-10, 8))))
    if not face:
        return tile
    tile.fill((196, 188, 176), (0, 0, TILE_CELL, 1))  # the lit rim of the cap
    tile.fill((58, 52, 50), (0, cap_h - 1, TILE_CELL, 1))
    # The face: courses of bricks, darker towards the ground.
    mortar = (48, 42, 42)
    tile.fill(mortar, (0, cap_h, TILE_CELL, TILE_CELL - cap_h))
    brick = (120, 96, 84)
    row_h = 5
    for row, y in enumerate(range(cap_h, TILE_CELL, row_h)):
        depth = (y - cap_h) / (TILE_CELL - cap_h)
        offset = (row % 2) * 6 + variant * 3
        for x in range(-offset, TILE_CELL, 12):
            color = _shade(brick, rng.randint(-8, 8) - round(depth * 34))
            rect = pygame.Rect(x + 1, y + 1, 11, row_h - 1).clip(tile.get_rect())
            tile.fill(color, rect)
            tile.fill(_shade(color, 14), (rect.x, rect.y, rect.w, 1))
    tile.fill((30, 26, 28), (0, TILE_CELL - 2, TILE_CELL, 2))  # where the wall meets the floor
    return tile


def draw_tiles() -> pygame.Surface:
    sheet = pygame.Surface((TILE_CELL * TILE_COUNT, TILE_CELL))
    tiles = [_stone_tile(v) for v in range(len(STONE_TILES))]
    tiles += [_grass_tile(v) for v in range(len(GRASS_TILES))]
    tiles += [_wall_tile(v, face=True) for v in range(len(WALL_FACE_TILES))]
    tiles += [_wall_tile(v, face=False) for v in range(len(WALL_TOP_TILES))]
    for i, tile in enumerate(tiles):
        sheet.blit(tile, (i * TILE_CELL, 0))
    return sheet


# --- knights ---


def _knight_layers(facing: int) -> tuple[pygame.Surface, pygame.Surface]:
    """The tint layer (grey, multiplied by the player's colour) and the detail layer."""
    half = KNIGHT_CELL / 2
    tint = _supersampled(KNIGHT_CELL)
    pen = _Pen(tint, half, half, facing)
    pen.circle((255, 255, 255), -9.5, 1, 5.5)  # shield, held on the left
    pen.circle((92, 92, 92), -9.5, 1, 5.5, 1.3)
    pen.circle((104, 104, 104), 0, 0, 11)  # body outline: a darker shade of the colour
    pen.circle((206, 206, 206), 0, 0, 9.8)
    pen.circle((236, 236, 236), -1.5, -1.5, 7.5)
    pen.circle((255, 255, 255), -2.5, -3, 4.5)

    detail = _supersampled(KNIGHT_CELL)
    pen = _Pen(detail, half, half, facing)
    pen.circle(GOLD, -9.5, 1, 1.8)  # shield boss
    # The sword, held on the right and pointing forward.
    pen.polygon(OUTLINE, [(6.8, -5), (9.2, -5), (9.2, -18), (8, -20.5), (6.8, -18)])
    pen.polygon((226, 230, 238), [(7.4, -6), (8.6, -6), (8.6, -17.8), (8, -19.3), (7.4, -17.8)])
    pen.line(OUTLINE, (4.6, -6), (11.4, -6), 2.6)
    pen.line((200, 160, 60), (5, -6), (11, -6), 1.4)
    pen.circle(OUTLINE, 8, -3.2, 2.6)  # the gauntlet on the hilt
    pen.circle(STEEL_DARK, 8, -3.2, 1.8)
    # The helmet, seen from above, with a visor slit and eyes facing forward.
    pen.circle(OUTLINE, 0, -1, 6)
    pen.circle(STEEL, 0, -1, 5)
    pen.circle((220, 226, 236), -1.4, -2.2, 2.2)
    pen.line(STEEL_DARK, (0, -5.6), (0, 3.6), 1.1)  # the crest
    pen.polygon((26, 24, 30), [(-4.4, -3.4), (4.4, -3.4), (3.2, -6.2), (-3.2, -6.2)])
    pen.circle((255, 236, 150), -1.8, -4.6, 0.9)
    pen.circle((255, 236, 150), 1.8, -4.6, 0.9)
    return _shrink(tint), _shrink(detail)


def draw_knights() -> pygame.Surface:
    """Row 0: tint layers for the 8 facings; row 1: detail layers."""
    sheet = pygame.Surface((KNIGHT_CELL * 8, KNIGHT_CELL * 2), pygame.SRCALPHA)
    for facing in range(8):
        tint, detail = _knight_layers(facing)
        sheet.blit(tint, (facing * KNIGHT_CELL, 0))
        sheet.blit(detail, (facing * KNIGHT_CELL, KNIGHT_CELL))
    return sheet


# --- items and small effects ---


def _potion() -> pygame.Surface:
    big = _supersampled(ITEM_CELL)
    pen = _Pen(big, 12, 12)
    pen.circle(OUTLINE, 0, 3.5, 7.6)
    pen.polygon(OUTLINE, [(-3.2, -8), (3.2, -8), (3.2, -1), (-3.2, -1)])
    pen.polygon((190, 214, 226), [(-2.1, -7), (2.1, -7), (2.1, 0), (-2.1, 0)])  # glass neck
    pen.circle((190, 214, 226), 0, 3.5, 6.5)
    pen.circle(POTION_RED, 0, 4.5, 5.4)
    pen.circle((250, 110, 120), -2, 3, 1.8)
    pen.circle((255, 255, 255), 2.6, 1.2, 1.1)  # glint on the glass
    pen.polygon((150, 96, 52), [(-2.6, -10.5), (2.6, -10.5), (2.1, -7), (-2.1, -7)])  # cork
    return _shrink(big)


def _coin(frame: int) -> pygame.Surface:
    # A spin: the coin's width follows |cos| of its turn; frame 2 shows the rim edge-on.
    width = (8.0, 5.6, 1.8, 5.6)[frame]
    big = _supersampled(ITEM_CELL)
    pen = _Pen(big, 12, 12)
    pen.ellipse((120, 80, 10), 0, 0, width + 1, 9)
    pen.ellipse((206, 150, 28), 0, 0, width, 8)
    if width > 3:
        pen.ellipse(GOLD, 0, 0, width - 1.5, 6.5)
        pen.ellipse((255, 232, 130), -width * 0.25, -2, width * 0.35, 2.5)
        pen.ellipse((206, 150, 28), 0, 1, width * 0.25, 3.5)
    return _shrink(big)


def _fury(frame: int) -> pygame.Surface:
    big = _supersampled(ITEM_CELL)
    pen = _Pen(big, 12, 12)
    glow = 1.0 if frame else 0.7
    for i in range(6):
        r = 11.5 - i * 1.2
        pen.circle((*FURY_ORANGE, round((14 + i * 10) * glow)), 0, 0, r)
    gem = [(0, -8.5), (6.5, -1.5), (0, 9), (-6.5, -1.5)]
    pen.polygon(OUTLINE, [(0, -10), (8, -1.5), (0, 10.5), (-8, -1.5)])
    pen.polygon(FURY_PURPLE, gem)
    pen.polygon((214, 150, 255), [(0, -8.5), (6.5, -1.5), (0, -1.5)])
    pen.polygon((110, 30, 170), [(0, 9), (-6.5, -1.5), (0, -1.5)])
    pen.polygon((255, 214, 120), [(-1.5, -5), (0, -7), (1, -4.5)])
    return _shrink(big)


def _tombstone() -> pygame.Surface:
    big = _supersampled(ITEM_CELL)
    pen = _Pen(big, 12, 12)
    pen.ellipse((0, 0, 0, 90), 1, 9, 9, 3)
    pen.circle(OUTLINE, 0, -3, 7.2)
    pen.polygon(OUTLINE, [(-7.2, -3), (7.2, -3), (7.2, 9), (-7.2, 9)])
    pen.circle((158, 160, 168), 0, -3, 6)
    pen.polygon((158, 160, 168), [(-6, -3), (6, -3), (6, 8), (-6, 8)])
    pen.polygon((190, 192, 200), [(-6, -3), (-3.5, -3), (-3.5, 8), (-6, 8)])
    pen.line((84, 86, 96), (0, -6), (0, 3), 1.4)  # a cross
    pen.line((84, 86, 96), (-3, -3.5), (3, -3.5), 1.4)
    return _shrink(big)


def _sparkle() -> pygame.Surface:
    big = _supersampled(ITEM_CELL)
    pen = _Pen(big, 12, 12)
    pen.circle((255, 250, 200, 60), 0, 0, 6)
    star = [
        (0, -10),
        (1.6, -1.6),
        (10, 0),
        (1.6, 1.6),
        (0, 10),
        (-1.6, 1.6),
        (-10, 0),
        (-1.6, -1.6),
    ]
    pen.polygon((255, 250, 210), star)
    pen.circle((255, 255, 255), 0, 0, 2)
    return _shrink(big)


def _shadow() -> pygame.Surface:
    big = _supersampled(ITEM_CELL)
    pen = _Pen(big, 12, 12)
    for i in range(4):
        pen.ellipse((0, 0, 0, 40), 0, 0, 10 - i * 1.5, 4.5 - i * 0.7)
    return _shrink(big)


def draw_items() -> pygame.Surface:
    cells = [_potion()]
    cells += [_coin(f) for f in range(COIN_FRAMES)]
    cells += [_fury(f) for f in range(FURY_FRAMES)]
    cells += [_tombstone(), _sparkle(), _shadow()]
    sheet = pygame.Surface((ITEM_CELL * len(cells), ITEM_CELL), pygame.SRCALPHA)
    for i, cell in enumerate(cells):
        sheet.blit(cell, (i * ITEM_CELL, 0))
    return sheet


def _swing(facing: int, frame: int) -> pygame.Surface:
    """A crescent swept from the left of the facing to the right, brightest at its leading edge."""
    big = _supersampled(SWING_CELL)
    half = SWING_CELL / 2
    pen = _Pen(big, half, half, facing)
    arc = 2 * ATTACK_HALF_ARC_DEG
    lead = -ATTACK_HALF_ARC_DEG + arc * (frame + 1) / SWING_FRAMES
    tail = max(-ATTACK_HALF_ARC_DEG, lead - arc * 0.75)
    inner, outer = 14.0, float(ATTACK_RANGE_PX)
    steps = 14
    for i in range(steps):
        a0 = tail + (lead - tail) * i / steps
        a1 = tail + (lead - tail) * (i + 1) / steps
        t = (i + 1) / steps
        # Thicker and brighter towards the blade's leading edge.
        r_in = outer - (outer - inner) * (0.35 + 0.65 * t)
        points = []
        for a in (a0, a1):
            rad = math.radians(a)
            points.append((math.sin(rad) * outer, -math.cos(rad) * outer))
        for a in (a1, a0):
            rad = math.radians(a)
            points.append((math.sin(rad) * r_in, -math.cos(rad) * r_in))
        pen.polygon((255, 255, 255, round(30 + 150 * t * t)), points)
    rad = math.radians(lead)
    pen.line(
        (255, 255, 255),
        (math.sin(rad) * inner, -math.cos(rad) * inner),
        (math.sin(rad) * outer, -math.cos(rad) * outer),
        1.6,
    )
    return _shrink(big)


def draw_effects() -> pygame.Surface:
    """One row per facing of SWING_FRAMES swing frames."""
    sheet = pygame.Surface((SWING_CELL * SWING_FRAMES, SWING_CELL * 8), pygame.SRCALPHA)
    for facing in range(8):
        for frame in range(SWING_FRAMES):
            sheet.blit(_swing(facing, frame), (frame * SWING_CELL, facing * SWING_CELL))
    return sheet


# --- loading ---


@dataclass(frozen=True, slots=True)
class Art:
    tiles: list[pygame.Surface]
    knight_tint: list[pygame.Surface]  # per facing
    knight_detail: list[pygame.Surface]
    items: list[pygame.Surface]
    swings: list[list[pygame.Surface]]  # [facing][frame]

    def item(self, name: str, frame: int = 0) -> pygame.Surface:
        return self.items[ITEM_INDEX[name] + frame]


SHEETS = {"tiles": draw_tiles, "knight": draw_knights, "items": draw_items, "effects": draw_effects}


def _cells(sheet: pygame.Surface, cell: int, row: int = 0) -> list[pygame.Surface]:
    return [sheet.subsurface((x, row * cell, cell, cell)).copy() for x in range(0, sheet.get_width(), cell)]


def _own_format(image: pygame.Surface) -> pygame.Surface:
    """A loaded PNG in the layout pygame draws fastest, with or without a display."""
    if pygame.display.get_init() and pygame.display.get_surface() is not None:
        return image.convert_alpha()
    surface = pygame.Surface(image.get_size(), pygame.SRCALPHA)
    surface.blit(image, (0, 0), special_flags=pygame.BLEND_RGBA_ADD)  # an exact copy, alpha included
    return surface


@cache
def load_or_draw() -> Art:
    """The art: the sheets in assets/ when present, else drawn now. Cached."""
    sheets: dict[str, pygame.Surface] = {}
    for name, draw in SHEETS.items():
        path = ASSETS_DIR / f"{name}.png"
        try:
            sheets[name] = _own_format(pygame.image.load(path)) if path.is_file() else draw()
        except pygame.error:
            sheets[name] = draw()
    effects = sheets["effects"]
    return Art(
        tiles=_cells(sheets["tiles"], TILE_CELL),
        knight_tint=_cells(sheets["knight"], KNIGHT_CELL, 0),
        knight_detail=_cells(sheets["knight"], KNIGHT_CELL, 1),
        items=_cells(sheets["items"], ITEM_CELL),
        swings=[_cells(effects, SWING_CELL, facing) for facing in range(8)],
    )


def tinted_knight(art: Art, color: int, facing: int) -> pygame.Surface:
    """A knight in a player's colour (0xRRGGBB): uncached, callers cache per (color, facing)."""
    rgb = ((color >> 16) & 255, (color >> 8) & 255, color & 255)
    sprite = art.knight_tint[facing].copy()
    sprite.fill((*rgb, 255), special_flags=pygame.BLEND_RGBA_MULT)
    sprite.blit(art.knight_detail[facing], (0, 0))
    return sprite


# --- sounds ---

SAMPLE_RATE = 22_050


def _tone(
    seconds: float,
    freq0: float,
    freq1: float,
    *,
    noise: float = 0.0,
    square: bool = False,
    seed: int = 0,
) -> array:
    """A mono 16-bit blip: a frequency sweep with a fast attack and exponential decay."""
    rng = _rng(7, seed)
    n = int(SAMPLE_RATE * seconds)
    samples = array("h")
    phase = 0.0
    for i in range(n):
        t = i / n
        phase += 2 * math.pi * (freq0 + (freq1 - freq0) * t) / SAMPLE_RATE
        wave_value = (1.0 if math.sin(phase) >= 0 else -1.0) * 0.6 if square else math.sin(phase)
        value = wave_value * (1 - noise) + (rng.random() * 2 - 1) * noise
        envelope = min(1.0, i / 60) * math.exp(-5 * t)
        samples.append(round(value * envelope * 9_000))
    return samples


SOUNDS = {
    "swing": lambda: _tone(0.12, 900, 300, noise=0.7, seed=1),
    "hit": lambda: _tone(0.14, 220, 90, noise=0.35, square=True, seed=2),
    "pickup": lambda: _tone(0.16, 660, 1320, square=True),
    "death": lambda: _tone(0.5, 330, 60, noise=0.25, square=True, seed=3),
    "heal": lambda: _tone(0.25, 440, 880),
}


def _write_wav(path: Path, samples: array) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(samples.tobytes() if sys.byteorder == "little" else _swapped(samples).tobytes())


def _swapped(samples: array) -> array:
    copy = array("h", samples)
    copy.byteswap()
    return copy


class Sounds:
    """Sound effects by name; silent when the mixer cannot start (headless, no audio device)."""

    def __init__(self) -> None:
        self._sounds: dict[str, pygame.mixer.Sound] = {}
        try:
            pygame.mixer.init(SAMPLE_RATE, -16, 1, 512)  # does nothing when already started
            frequency, _, channels = pygame.mixer.get_init()
            for name, make in SOUNDS.items():
                path = ASSETS_DIR / f"{name}.wav"
                if path.is_file():
                    self._sounds[name] = pygame.mixer.Sound(str(path))
                elif frequency == SAMPLE_RATE and channels == 1:
                    self._sounds[name] = pygame.mixer.Sound(buffer=make().tobytes())
        except (pygame.error, TypeError):
            self._sounds = {}

    @property
    def enabled(self) -> bool:
        return bool(self._sounds)

    def play(self, name: str, volume: float = 0.5) -> None:
        sound = self._sounds.get(name)
        if sound is not None:
            sound.set_volume(volume)
            sound.play()


def save_assets(directory: Path = ASSETS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, draw in SHEETS.items():
        path = directory / f"{name}.png"
        pygame.image.save(draw(), str(path))
        written.append(path)
    for name, make in SOUNDS.items():
        path = directory / f"{name}.wav"
        _write_wav(path, make())
        written.append(path)
    return written


if __name__ == "__main__":
    for written in save_assets():
        print(f"wrote {written}")
