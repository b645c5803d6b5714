"""The spectator window's drawing: the arena through a camera, and the overlays around it.

Everything here reads a `View` (what the app knows this frame) and paints; nothing folds
records or talks to Kafka. Text and panels are cached by content, so a frame with a hundred
players costs the scene's blits plus a handful of overlay blits.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pygame

from game.core.constants import UNITS_PER_PX
from game.core.maps import TileMap
from game.core.ranking import ranked
from game.core.world import INTERMISSION, World
from game.window.rounds import draw_banner, draw_round_over, round_banner, round_clock
from game.window.scene import Scene, shadowed
from spectator.playback import LIVE, PAUSED
from spectator.standings import AllTimeRow, StatsView
from spectator.timeline import Marker, Timeline

BAR_H = 54  # the timeline strip under the arena
ZOOMS = (1.0, 1.5, 2.0)
MARKER_COLORS = {
    "kill": (235, 72, 72),
    "pickup": (246, 196, 58),
    "join": (90, 210, 120),
    "leave": (150, 150, 165),
    "round_start": (80, 200, 255),
    "round_end": (200, 120, 255),
}
ROUND_BAND = (80, 200, 255, 38)  # a round being played, on the timeline strip
BANNER_H = 56  # the round banner's height: the kill feed moves down below it
HELP = (
    "Space pause  +/- speed  Left/Right 5s  N/P marker  R/Shift+R round  K kill-cam  C camera  Z zoom"
    "  L live  Tab scores  A all-time"
)
PANEL = (16, 14, 22, 190)
TEXT = (236, 234, 242)
DIM = (160, 158, 175)
ACCENT = (255, 226, 90)
FLAG = (240, 90, 80)
SCOREBOARD_ROWS = 10
KILL_FEED_MS = 8_000  # match time a kill stays in the feed


@dataclass(slots=True)
class Camera:
    follow: int | None = None  # pid, or None for the whole map
    zoom: float = 1.0
    centre: tuple[float, float] | None = None  # px, eased towards the followed player

    def cycle_zoom(self) -> None:
        self.zoom = ZOOMS[(ZOOMS.index(self.zoom) + 1) % len(ZOOMS)] if self.zoom in ZOOMS else 1.0


@dataclass(slots=True)
class View:
    """What the app knows this frame, for the overlays."""

    match: str
    timeline: Timeline
    mode: str
    speed: str
    playhead: float  # broker ms shown
    lag_ms: float
    lag_records: int
    rate: float  # records folded per second at the playhead
    status: str = ""  # a banner: connection trouble, waiting for the match
    progress: tuple[int, int] | None = None  # catching up: (folded, of)
    debug: bool = False
    scoreboard: bool = True
    frame_ms: float = 0.0
    fps: float = 0.0
    delays: tuple[float, float] | None = None  # append -> screen p50, p95 (ms)
    follow_name: str = ""
    stats: StatsView | None = None  # the stats processor's figures (None: not asked for)
    alltime: bool = False  # the scoreboard shows all-time standings instead of the match
    match_now: int | None = None  # match time shown, for the round clock (None: the world's clock)


class Renderer:
    def __init__(self, screen: pygame.Surface, tile_map: TileMap) -> None:
        self.screen = screen
        self.scene = Scene(tile_map)
        self.arena = pygame.Surface(self.scene.size).convert()
        self.camera = Camera()
        self.smooth: dict[int, tuple[float, float]] = {}  # eased positions between records
        self._texts: dict[tuple[str, tuple[int, int, int], int], pygame.Surface] = {}
        self._scoreboard: tuple[tuple, pygame.Surface] | None = None
        self._bar_cache: tuple[tuple, pygame.Surface] | None = None
        self._bar_built = 0
        self._kill_lines: dict[tuple[Marker, bool], pygame.Surface] = {}
        self._panel_cache: dict[tuple[int, int], pygame.Surface] = {}

    # --- geometry ---

    @property
    def arena_rect(self) -> pygame.Rect:
        w, h = self.screen.get_size()
        return pygame.Rect(0, 0, w, h - BAR_H)

    @property
    def bar_rect(self) -> pygame.Rect:
        w, h = self.screen.get_size()
        return pygame.Rect(0, h - BAR_H, w, BAR_H)

    def track_rect(self) -> pygame.Rect:
        bar = self.bar_rect
        return pygame.Rect(bar.x + 150, bar.y + 12, bar.width - 300, 14)

    def time_at(self, x: int, timeline: Timeline) -> float:
        """The broker time under a click on the timeline track."""
        track = self.track_rect()
        start, end = timeline.start_ts, max(timeline.live_edge_ts, timeline.start_ts + 1)
        fraction = min(1.0, max(0.0, (x - track.x) / max(1, track.width)))
        return start + (end - start) * fraction

    # --- the frame ---

    def draw(self, world: World, view: View, now_ms: float, dt_ms: float) -> None:
        screen = self.screen
        positions = self._ease(world, dt_ms)
        highlight = self.camera.follow
        self.scene.draw(self.arena, world, now_ms, positions, highlight)
        self._blit_camera(positions)
        now = view.match_now if view.match_now is not None else world.clock
        banner = None if view.status else round_banner(world, now)
        self._kill_feed(view, world, BANNER_H if banner else 0)
        round_over = world.phase is INTERMISSION and world.last_round is not None
        if round_over:  # the round's winner outranks the live table (as on a player's screen)
            draw_round_over(screen.subsurface(self.arena_rect), world, now, highlight)
        elif view.scoreboard:
            stats = view.stats or StatsView()
            if view.alltime:
                self._draw_alltime(world, stats)
            else:
                self._draw_scoreboard(world, highlight, stats)
        if banner:
            self._round_banner(banner, view.scoreboard and not round_over)
        self._stats(view)
        if view.debug:
            self._debug(view)
        self._timeline_bar(view, round_clock(world, now))
        if view.progress is not None:
            self._progress(*view.progress)
        if view.status:
            self._banner(view.status)
        del screen

    def _ease(self, world: World, dt_ms: float) -> Mapping[int, tuple[float, float]]:
        # Records move a player 20 times a second; easing hides the steps at 60 FPS.
        smooth = self.smooth
        k = min(1.0, dt_ms / 45.0)
        out: dict[int, tuple[float, float]] = {}
        for pid, player in world.players.items():
            tx, ty = player.x / UNITS_PER_PX, player.y / UNITS_PER_PX
            old = smooth.get(pid)
            if old is None or abs(old[0] - tx) + abs(old[1] - ty) > 96:  # respawn, seek: snap
                out[pid] = (tx, ty)
            else:
                out[pid] = (old[0] + (tx - old[0]) * k, old[1] + (ty - old[1]) * k)
        self.smooth = out
        return out

    def _blit_camera(self, positions: Mapping[int, tuple[float, float]]) -> None:
        area = self.arena_rect
        mw, mh = self.scene.size
        camera = self.camera
        target = positions.get(camera.follow) if camera.follow is not None else None
        if camera.zoom == 1.0 and area.size == (mw, mh):
            camera.centre = target
            self.screen.blit(self.arena, area)
            return
        # Fit the map (or a zoomed window of it) into the area, keeping the aspect ratio.
        fit = min(area.width / mw, area.height / mh) * camera.zoom
        vw, vh = min(mw, area.width / fit), min(mh, area.height / fit)
        goal = target or (mw / 2, mh / 2)
        cx, cy = camera.centre or goal
        cx, cy = cx + (goal[0] - cx) * 0.2, cy + (goal[1] - cy) * 0.2
        camera.centre = (cx, cy)
        left = min(max(0.0, cx - vw / 2), mw - vw)
        top = min(max(0.0, cy - vh / 2), mh - vh)
        crop = self.arena.subsurface(pygame.Rect(round(left), round(top), round(vw), round(vh)))
        size = (round(vw * fit), round(vh * fit))
        self.screen.fill((12, 10, 16), area)
        dest = (area.x + (area.width - size[0]) // 2, area.y + (area.height - size[1]) // 2)
        self.screen.blit(pygame.transform.scale(crop, size), dest)

    # --- text and panels ---

    def text(self, text: str, color: tuple[int, int, int] = TEXT, size: int = 18) -> pygame.Surface:
        key = (text, color, size)
        surface = self._texts.get(key)
        if surface is None:
            if len(self._texts) > 1_500:
                self._texts.clear()
            surface = self._texts[key] = shadowed(self.scene.font(size), text, color)
        return surface

    def panel(self, rect: pygame.Rect) -> None:
        key = rect.size
        surface = self._panel_cache.get(key)
        if surface is None:
            surface = pygame.Surface(key, pygame.SRCALPHA)
            pygame.draw.rect(surface, PANEL, surface.get_rect(), border_radius=6)
            pygame.draw.rect(surface, (255, 255, 255, 40), surface.get_rect(), 1, border_radius=6)
            if len(self._panel_cache) > 64:
                self._panel_cache.clear()
            self._panel_cache[key] = surface
        self.screen.blit(surface, rect)

    # --- overlays ---

    def _draw_scoreboard(self, world: World, highlight: int | None, stats: StatsView) -> None:
        players = ranked(world.players.values())
        shown = players[:SCOREBOARD_ROWS]
        key = (
            "match",
            tuple((p.pid, p.name, p.color, p.score, p.kills, p.deaths, p.alive) for p in shown),
            len(players),
            highlight,
            stats.version,
        )
        if self._scoreboard is None or self._scoreboard[0] != key:
            self._scoreboard = (key, self._render_scoreboard(shown, len(players), highlight, stats))
        surface = self._scoreboard[1]
        area = self.arena_rect
        self.screen.blit(surface, (area.right - surface.get_width() - 10, area.y + 10))

    def _scoreboard_surface(self, rows: int, footer: bool, headings: tuple[str, ...]) -> pygame.Surface:
        row_h, width = 20, 300
        height = 34 + row_h * max(1, rows) + (20 if footer else 0)
        surface = pygame.Surface((width, height), pygame.SRCALPHA)
        pygame.draw.rect(surface, PANEL, surface.get_rect(), border_radius=6)
        pygame.draw.rect(surface, (255, 255, 255, 40), surface.get_rect(), 1, border_radius=6)
        for heading, x in zip(headings, (30, 140, 194, 244), strict=True):
            surface.blit(self.text(heading, ACCENT if heading == "ALL-TIME" else DIM, 15), (x, 8))
        return surface

    def _render_scoreboard(
        self, shown: list, total: int, highlight: int | None, stats: StatsView
    ) -> pygame.Surface:
        row_h, width = 20, 300
        rows = len(shown) + (1 if total > len(shown) else 0)
        surface = self._scoreboard_surface(rows, bool(stats.note), ("PLAYER", "SCORE", "K/D", "DMG"))
        if not shown:
            surface.blit(self.text("no players yet", DIM, 17), (30, 30))
        for i, player in enumerate(shown):
            y = 28 + i * row_h
            if player.pid == highlight:
                pygame.draw.rect(surface, (255, 226, 90, 50), (4, y - 2, width - 8, row_h))
            color = ((player.color >> 16) & 255, (player.color >> 8) & 255, player.color & 255)
            pygame.draw.circle(surface, color, (17, y + 8), 6)
            pygame.draw.circle(surface, (20, 20, 24), (17, y + 8), 6, 1)
            name_color = TEXT if player.alive else DIM
            surface.blit(self.text(f"{i + 1}. {player.name}", name_color, 18), (28, y))
            surface.blit(self.text(str(player.score), ACCENT, 18), (150, y))
            surface.blit(self.text(f"{player.kills}/{player.deaths}", TEXT, 18), (194, y))
            # The stats processor's figures for this name, over every session of the match.
            figures = stats.players.get(player.name)
            damage = str(figures.damage_dealt) if figures is not None else "-"
            surface.blit(self.text(damage, TEXT if figures is not None else DIM, 18), (244, y))
            if figures is not None and figures.flagged:  # suspicious rejections: see the stats topic
                surface.blit(self.text("!", FLAG, 20), (width - 14, y - 1))
        if total > len(shown):
            y = 28 + len(shown) * row_h
            surface.blit(self.text(f"+ {total - len(shown)} more", DIM, 16), (30, y))
        if stats.note:
            surface.blit(self.text(stats.note, DIM, 15), (30, surface.get_height() - 20))
        return surface

    def _draw_alltime(self, world: World, stats: StatsView) -> None:
        key = ("alltime", stats.version, tuple(sorted(world.names.items())))
        if self._scoreboard is None or self._scoreboard[0] != key:
            self._scoreboard = (key, self._render_alltime(world, stats))
        surface = self._scoreboard[1]
        area = self.arena_rect
        self.screen.blit(surface, (area.right - surface.get_width() - 10, area.y + 10))

    def _render_alltime(self, world: World, stats: StatsView) -> pygame.Surface:
        row_h = 20
        shown: tuple[AllTimeRow, ...] = stats.alltime[:SCOREBOARD_ROWS]
        more = len(stats.alltime) - len(shown)
        rows = len(shown) + (1 if more else 0)
        surface = self._scoreboard_surface(rows, bool(stats.note), ("ALL-TIME", "SCORE", "K/D", "GAMES"))
        if not shown:
            surface.blit(self.text("no all-time standings yet", DIM, 17), (30, 30))
        for i, row in enumerate(shown):
            y = 28 + i * row_h
            pid = world.names.get(row.name)
            player = world.players.get(pid) if pid is not None else None
            if player is not None:  # playing in this match now: their colour
                color = ((player.color >> 16) & 255, (player.color >> 8) & 255, player.color & 255)
                pygame.draw.circle(surface, color, (17, y + 8), 6)
                pygame.draw.circle(surface, (20, 20, 24), (17, y + 8), 6, 1)
            else:
                pygame.draw.circle(surface, (90, 88, 104), (17, y + 8), 4)
            surface.blit(self.text(f"{i + 1}. {row.name}", TEXT if player else DIM, 18), (28, y))
            surface.blit(self.text(str(row.score), ACCENT, 18), (150, y))
            surface.blit(self.text(f"{row.kills}/{row.deaths}", TEXT, 18), (194, y))
            surface.blit(self.text(str(row.matches), TEXT, 18), (244, y))
        if more:
            surface.blit(self.text(f"+ {more} more", DIM, 16), (30, 28 + len(shown) * row_h))
        if stats.note:
            surface.blit(self.text(stats.note, DIM, 15), (30, surface.get_height() - 20))
        return surface

    def _round_banner(self, text: str, beside_scoreboard: bool) -> None:
        """The round's phase line (game.window.rounds), centred in the arena, or in what the
        scoreboard leaves free of it."""
        area = self.arena_rect
        if beside_scoreboard:
            area.width -= 320
        draw_banner(self.screen.subsurface(area), text)

    def _kill_feed(self, view: View, world: World, below: int = 0) -> None:
        kills = view.timeline.recent_kills(view.playhead, 5)
        y = self.arena_rect.y + 10 + below
        for marker in kills:
            age = view.playhead - marker.ts
            if age > KILL_FEED_MS:
                continue
            alpha = 255 if age < KILL_FEED_MS - 1500 else round(255 * (KILL_FEED_MS - age) / 1500)
            y += self._kill_line(marker, world, y, max(0, alpha))

    def _kill_line(self, marker: Marker, world: World, y: int, alpha: int) -> int:
        present = marker.pid in world.players and marker.other in world.players
        line = self._kill_lines.get((marker, present))
        if line is None:
            killer = self._name_surface(marker.pid, marker.name, world)
            victim = self._name_surface(marker.other, marker.other_name, world)
            w = killer.get_width() + victim.get_width() + 46
            line = pygame.Surface((w, 24), pygame.SRCALPHA)
            pygame.draw.rect(line, PANEL, line.get_rect(), border_radius=5)
            line.blit(killer, (8, 4))
            _swords(line, killer.get_width() + 23, 12)
            line.blit(victim, (killer.get_width() + 38, 4))
            if len(self._kill_lines) > 64:
                self._kill_lines.clear()
            self._kill_lines[(marker, present)] = line
        line.set_alpha(alpha)
        self.screen.blit(line, (10, y))
        return 28

    def _name_surface(self, pid: int, name: str, world: World) -> pygame.Surface:
        player = world.players.get(pid)
        if player is None or player.name != name:
            return self.text(name, DIM, 18)
        r, g, b = (player.color >> 16) & 255, (player.color >> 8) & 255, player.color & 255
        # Lift dark colours so names stay readable on the dark panel.
        lift = max(0, 150 - max(r, g, b))
        return self.text(player.name, (min(255, r + lift), min(255, g + lift), min(255, b + lift)), 18)

    def _stats(self, view: View) -> None:
        area = self.arena_rect
        parts = [f"{view.rate:,.0f} actions/s"]
        if view.mode == LIVE:
            parts.append(f"lag {view.lag_ms:,.0f} ms · {view.lag_records:,} records")
        else:
            parts.append(f"{view.lag_ms / 1000:,.1f} s · {view.lag_records:,} records behind live")
        if view.follow_name:
            parts.append(f"following {view.follow_name}")
        if view.stats is not None and view.stats.note and not view.scoreboard:
            parts.append(view.stats.note)  # else the scoreboard says it
        surface = self.text("   ".join(parts), DIM, 17)
        rect = pygame.Rect(0, 0, surface.get_width() + 16, 22)
        rect.bottomleft = (area.x + 10, area.bottom - 8)
        self.panel(rect)
        self.screen.blit(surface, (rect.x + 8, rect.y + 3))

    def _debug(self, view: View) -> None:
        replica = view.timeline.replica
        lines = [
            f"match {view.match}   offset {replica.offset}   hash {replica.hash()}",
            f"applied {replica.applied:,}   stored {len(view.timeline):,}   "
            f"frame {view.frame_ms:.1f} ms   {view.fps:.0f} fps",
        ]
        if view.delays:
            lines.append(f"append -> screen p50 {view.delays[0]:.0f} ms  p95 {view.delays[1]:.0f} ms")
        rejected = ", ".join(f"{k} {v}" for k, v in replica.rejected.most_common(6)) or "none"
        skipped = ", ".join(f"{k} {v}" for k, v in replica.skipped.most_common(6)) or "none"
        lines += [f"rejected: {rejected}", f"skipped: {skipped}", "delivery (gaps / repeats):"]
        world = replica.world
        troubled = sorted(replica.delivery.items(), key=lambda kv: -(kv[1].gaps + kv[1].repeats))
        for pid, health in troubled[:8]:
            player = world.players.get(pid)
            name = player.name if player else f"#{pid}"
            lines.append(f"  {name}: seq {health.last_seq}  gaps {health.gaps}  repeats {health.repeats}")
        surfaces = [self.text(line, TEXT, 16) for line in lines]
        width = max(s.get_width() for s in surfaces) + 16
        rect = pygame.Rect(10, 170, width, 16 * len(surfaces) + 12)
        self.panel(rect)
        for i, surface in enumerate(surfaces):
            self.screen.blit(surface, (rect.x + 8, rect.y + 6 + 16 * i))

    def _timeline_bar(self, view: View, round_text: str | None = None) -> None:
        screen, bar, track = self.screen, self.bar_rect, self.track_rect()
        timeline = view.timeline
        screen.fill((22, 20, 28), bar)
        screen.fill((60, 56, 72), (bar.x, bar.y, bar.width, 1))
        start = timeline.start_ts
        end = max(timeline.live_edge_ts, start + 1)
        span = end - start
        screen.blit(self._marker_strip(timeline, track, start, end), track.topleft)
        played = min(1.0, max(0.0, (min(view.playhead, end) - start) / span)) if len(timeline) else 0
        head_x = track.x + round(track.width * played)
        screen.fill((120, 112, 160), (track.x, track.bottom + 3, head_x - track.x, 3))
        screen.fill((50, 46, 60), (head_x, track.bottom + 3, track.right - head_x, 3))
        pygame.draw.line(screen, (255, 255, 255), (head_x, track.y - 4), (head_x, track.bottom + 6), 2)
        pygame.draw.circle(screen, (255, 255, 255), (head_x, track.bottom + 4), 5)
        # Mode and speed on the left, the match clock on the right.
        colors = {LIVE: (235, 64, 64), PAUSED: (240, 190, 60)}
        mode_color = colors.get(view.mode, (110, 170, 255))
        label = self.text(view.mode, mode_color, 22)
        x = bar.x + 14
        if view.mode == LIVE:
            pulse = 160 + round(90 * math.sin(pygame.time.get_ticks() / 250))
            pygame.draw.circle(screen, (pulse, 40, 40), (x + 5, bar.y + 19), 5)
            x += 16
        screen.blit(label, (x, bar.y + 9))
        screen.blit(self.text(view.speed, TEXT, 20), (x + label.get_width() + 10, bar.y + 11))
        now = _mmss(view.playhead - start) if len(timeline) else "00:00"
        clock = self.text(f"{now} / {_mmss(span if len(timeline) else 0)}", TEXT, 22)
        screen.blit(clock, (bar.right - clock.get_width() - 14, bar.y + 9))
        if round_text:  # the round clock (game.window.rounds), under the match clock
            rounds = self.text(round_text, MARKER_COLORS["round_start"], 18)
            screen.blit(rounds, (bar.right - rounds.get_width() - 14, bar.bottom - 20))
        hint = self.text(HELP, DIM, 15)
        screen.blit(hint, (bar.centerx - hint.get_width() // 2, bar.bottom - 17))

    def _marker_strip(self, timeline: Timeline, track: pygame.Rect, start: int, end: int) -> pygame.Surface:
        # Rebuilt when markers arrive or the span grows by a pixel's worth, at most 4 times a
        # second: a busy match adds kills every frame and the strip walks every marker.
        key = (len(timeline.markers), start, end, track.size)
        now = pygame.time.get_ticks()
        if self._bar_cache is not None:
            (count, old_start, old_end, size), built_at = self._bar_cache[0], self._bar_built
            moved = (end - old_end) * track.width / max(1, end - start)
            if (old_start, size) == (start, track.size) and (
                (count == key[0] and moved < 1) or now - built_at < 1000
            ):
                return self._bar_cache[1]
        self._bar_built = now
        strip = pygame.Surface(track.size, pygame.SRCALPHA)
        pygame.draw.rect(strip, (40, 37, 50), strip.get_rect(), border_radius=4)
        span = max(1, end - start)
        width = track.width
        # Each round a faint band from its start to its end (or to the live edge).
        ends = timeline.marker_times["round_end"]
        for ts in timeline.marker_times["round_start"]:
            stop = next((e for e in ends if e >= ts), end)
            left = (ts - start) * width // span
            band = pygame.Surface(
                (max(1, (stop - start) * width // span - left), track.height), pygame.SRCALPHA
            )
            band.fill(ROUND_BAND)
            strip.blit(band, (left, 0))
        columns: dict[int, str] = {}
        # The more important overwrite: a round's start or end over everything else.
        for kind in ("join", "leave", "pickup", "kill", "round_end", "round_start"):
            for ts in timeline.marker_times[kind]:
                columns[(ts - start) * width // span] = kind
        if width in columns:  # a marker exactly at the end goes in the last column
            columns[width - 1] = columns.pop(width)
        for col, kind in columns.items():
            tall = kind in ("kill", "round_start", "round_end")
            top = 0 if kind.startswith("round") else 1 if tall else 4
            wide = 3 if kind.startswith("round") else 2 if tall else 1
            strip.fill(MARKER_COLORS[kind], (min(col, width - wide), top, wide, track.height - 2 * top))
        self._bar_cache = (key, strip)
        return strip

    def _progress(self, done: int, total: int) -> None:
        area = self.arena_rect
        rect = pygame.Rect(0, 0, 420, 74)
        rect.center = area.center
        self.panel(rect)
        title = self.text(f"Catching up: {done:,} / {total:,} records", TEXT, 22)
        self.screen.blit(title, (rect.x + 16, rect.y + 12))
        bar = pygame.Rect(rect.x + 16, rect.y + 44, rect.width - 32, 14)
        pygame.draw.rect(self.screen, (50, 46, 60), bar, border_radius=7)
        fill = bar.copy()
        fill.width = max(8, round(bar.width * min(1.0, done / max(1, total))))
        pygame.draw.rect(self.screen, (110, 170, 255), fill, border_radius=7)

    def _banner(self, status: str) -> None:
        area = self.arena_rect
        surface = self.text(status, (255, 210, 120), 22)
        rect = pygame.Rect(0, 0, surface.get_width() + 28, 34)
        rect.midtop = (area.centerx, area.y + 14)
        self.panel(rect)
        self.screen.blit(surface, (rect.x + 14, rect.y + 8))


def _swords(surface: pygame.Surface, x: int, y: int) -> None:
    """A tiny crossed-swords glyph (the default font has no ⚔)."""
    steel, hilt = (220, 224, 235), (200, 160, 70)
    pygame.draw.line(surface, steel, (x - 7, y - 7), (x + 5, y + 5), 2)
    pygame.draw.line(surface, steel, (x + 7, y - 7), (x - 5, y + 5), 2)
    pygame.draw.line(surface, hilt, (x + 2, y + 6), (x + 6, y + 2), 2)
    pygame.draw.line(surface, hilt, (x - 2, y + 6), (x - 6, y + 2), 2)


def _mmss(ms: float) -> str:
    seconds = max(0, int(ms // 1000))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"
