"""`frames`: time to draw one spectator frame of a busy match, headless.

Times the spectator window's whole frame, `spectator.render.Renderer.draw`: the arena,
items, 100 moving players with name tags and health bars, the swing and hit effects their
attacks start, the scoreboard, kill feed, rate and lag line, and the timeline bar
("what": "spectator frame"). `scene_p50_ms` is the arena alone (`Scene.draw`).

The match is real records (joins, legal moves, some attacks) appended to the spectator's
own Timeline and folded by the reducer between frames; only the draw is timed. Baseline:
a raw pygame frame of the same size, a fill plus one filled circle per player, so the
ratio shows what the sprites, tags, effects and overlays cost.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from typing import Any

from bench.common import summarize_ms
from game.core.actions import Action, Attack, Join, Move
from game.core.maps import DEFAULT_MAP, load_map
from game.core.world import apply, new_world

FRAME_MS = 1000 / 60
STEP_UNITS = 40  # per 1/60 s frame: under the move budget (2720 units/s)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("frames")
    group.add_argument("--frames", type=int, default=300, help="frames timed (300)")
    group.add_argument("--frame-players", type=int, default=100, help="players drawn (100)")


def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from game.core.codec import encode, record_key
    from game.core.records import Record
    from spectator.render import BAR_H, Renderer, View
    from spectator.timeline import Timeline

    pygame.init()
    tile_map = load_map(DEFAULT_MAP)
    world = new_world(tile_map)  # the generator's own world, to make legal moves
    timeline = Timeline("bench-frames")
    offset = 0

    def record(action: Action, at: int) -> None:
        nonlocal offset
        timeline.append(Record("bench-frames", 0, offset, at, record_key(action.pid), encode(action)))
        offset += 1

    rng = random.Random(args.seed)
    ts = 1_700_000_000_000
    pids = [10_000 + i for i in range(args.frame_players)]
    seqs = dict.fromkeys(pids, 1)
    headings = {pid: rng.uniform(0, 2 * math.pi) for pid in pids}
    for i, pid in enumerate(pids):
        join = Join(pid, 1, 0, f"knight{i:03d}", rng.randrange(0x404040, 0xFFFFFF), ts, "arena")
        apply(world, join, ts)
        record(join, ts)
    surface = pygame.display.set_mode((tile_map.width * 32, tile_map.height * 32 + BAR_H))
    renderer = Renderer(surface, tile_map)
    scene = renderer.scene
    joined_at = ts

    def advance(frame: int) -> None:
        nonlocal ts
        ts += round(FRAME_MS)
        grid = world.grid
        if grid is None:
            raise RuntimeError("the frames bench's world has its map")  # new_world(tile_map) set it
        for pid in pids:
            me = world.players.get(pid)
            if me is None or not me.alive:
                continue
            seqs[pid] += 1
            t = ts - joined_at
            action: Action
            if (frame + pid) % 150 == 0:  # a swing now and then: effects to draw
                action = Attack(pid, seqs[pid], t, rng.randrange(8))
            else:
                headings[pid] += rng.uniform(-0.3, 0.3)
                dx = round(math.cos(headings[pid]) * STEP_UNITS)
                dy = round(math.sin(headings[pid]) * STEP_UNITS)
                x, y = grid.slide(me.x, me.y, dx, dy)
                if (x, y) == (me.x, me.y):
                    headings[pid] += math.pi / 2  # stuck on a wall: turn
                facing = round(math.atan2(dx, -dy) / (math.pi / 4)) % 8
                action = Move(pid, seqs[pid], t, x, y, facing)
            apply(world, action, ts)
            record(action, ts)
        shown = timeline.replica.world
        for event in timeline.advance_all(collect=True):
            scene.on_events((event,), frame * FRAME_MS, shown)

    warmup = 30  # fill the sprite and label caches first
    ours: list[float] = []
    arena_only: list[float] = []
    for frame in range(warmup + args.frames):
        advance(frame)
        view = View(
            match="bench-frames",
            timeline=timeline,
            mode="LIVE",
            speed="x1",
            playhead=ts,
            lag_ms=0.0,
            lag_records=0,
            rate=len(pids) * 60.0,
        )
        started = time.perf_counter()
        renderer.draw(timeline.replica.world, view, frame * FRAME_MS, FRAME_MS)
        elapsed = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        scene.draw(renderer.arena, timeline.replica.world, frame * FRAME_MS)
        arena = (time.perf_counter() - started) * 1000
        if frame >= warmup:
            ours.append(elapsed)
            arena_only.append(arena)

    raw: list[float] = []
    circles = [(rng.randrange(surface.get_width()), rng.randrange(surface.get_height())) for _ in pids]
    for frame in range(warmup + args.frames):
        started = time.perf_counter()
        surface.fill((40, 44, 52))
        for i, (x, y) in enumerate(circles):
            pygame.draw.circle(surface, (200, 60 + i % 150, 80), (x + frame % 7, y), 11)
        elapsed = (time.perf_counter() - started) * 1000
        if frame >= warmup:
            raw.append(elapsed)
    alive = sum(p.alive for p in timeline.replica.world.players.values())
    size = list(surface.get_size())
    pygame.quit()
    figures = summarize_ms(ours)
    baseline = summarize_ms(raw)
    return {
        "bench": "frames",
        "what": "spectator frame",
        **figures,
        "scene_p50_ms": summarize_ms(arena_only)["p50_ms"],
        "fps_p50": round(1000 / figures["p50_ms"], 1) if figures["p50_ms"] else None,
        "baseline": {"what": "fill + one filled circle per player", **baseline},
        "ratio_p50": round(figures["p50_ms"] / baseline["p50_ms"], 1) if baseline["p50_ms"] else None,
        "players": args.frame_players,
        "alive_at_end": alive,
        "settings": {
            "frames": args.frames,
            "warmup_frames": warmup,
            "size": size,
            "video_driver": os.environ.get("SDL_VIDEODRIVER"),
            "map": DEFAULT_MAP,
        },
    }
