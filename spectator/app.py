"""The spectator window: follow a match live, or replay, pause, rewind and step through it.

The frame loop takes whatever records the background feed has read, stores them in the
timeline, moves the playhead and folds up to it. Catching up (joining a long match, or
jumping back to live) folds in bounded slices without effects, so the window keeps
drawing a progress bar instead of freezing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from typing import TYPE_CHECKING

from game.core.maps import load_map
from game.kafka import (
    STATS_TOPIC,
    KafkaSettings,
    KafkaUnavailable,
    LinkStatus,
    link_problem,
    list_matches,
    settings_from_args,
)
from game.kafka.identity import IdentityLookup
from game.window.headless import FPS, peak_rss_mb, prepare_display, print_summary, save_screenshot
from spectator.playback import FOREVER, LIVE, Playback
from spectator.source import LogFeed
from spectator.standings import StandingsTracker, fold_standings
from spectator.text import describe_age

if TYPE_CHECKING:
    import pygame

    from game.core.world import World
    from game.window.rounds import MatchClock

SCOUT_PER_FRAME = 600  # records folded ahead of a replay's playhead per frame (~5 ms)
CATCH_UP_SLICE = 2_000  # records folded between clock checks while catching up
INGEST_PER_FRAME = 1_500  # records decoded per frame when frames matter
EFFECTS_LIMIT = 3_000  # more records than this in one frame: fold them without effects
CATCH_UP_DRAW_S = 0.1  # frame interval while catching up
PROGRESS_AFTER_S = 0.3  # show the catch-up bar only when it takes longer than this
KILL_CAM_LEAD_MS = 4_000
SEEK_STEP_MS = 5_000
STATS_WAIT_S = 5.0  # headless --exit-at-end: wait at most this long for the stats feed


def run(args: argparse.Namespace) -> int:
    prepare_display(args.headless)
    settings = settings_from_args(args).quiet()
    match = args.match
    if not match and args.headless:
        return _print_matches(settings)
    import pygame

    from spectator.picker import pick_match

    pygame.init()
    flags = 0 if args.headless else pygame.SCALED | pygame.RESIZABLE
    from spectator.render import BAR_H

    screen = pygame.display.set_mode((960, 640 + BAR_H), flags)
    try:
        if not match:
            match = pick_match(screen, settings)
            if match is None:
                return 0
        pygame.display.set_caption(f"Kafka Arena spectator - {match}")
        return Spectator(args, settings, match, screen).run()
    finally:
        pygame.quit()


def _print_matches(settings: KafkaSettings) -> int:
    try:
        matches = list_matches(settings, recent=True)
    except KafkaUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not matches:
        print(f"no matches on {settings.bootstrap}")
    for info in matches:
        print(f"{info.match}\t{info.records} records\t{info.players} players\t{describe_age(info.last_ms)}")
    return 0


class Spectator:
    def __init__(
        self, args: argparse.Namespace, settings: KafkaSettings, match: str, screen: pygame.Surface
    ) -> None:
        from spectator.render import Renderer
        from spectator.timeline import Timeline

        self.args = args
        self.settings = settings
        self.match = match
        self.screen = screen
        self.identities = IdentityLookup(settings)  # one for every fold of this window
        self.timeline = Timeline(match, identities=self.identities)
        from_offset = getattr(args, "from_offset", None)
        live = not args.from_start and from_offset is None
        self.feed = LogFeed(
            settings,
            match,
            probe_timeout=3.0,
            start=from_offset or 0,
            stop=getattr(args, "to_offset", None),
            # live: only the latest checkpoint and what follows it
            from_checkpoint=live and not getattr(args, "no_checkpoint", False),
        )
        self.based = False  # the timeline starts from the feed's checkpoint (once known)
        self.opened = time.monotonic()
        self.live_s: float | None = None  # seconds from opening to showing the live edge
        self.standings = StandingsTracker(settings, getattr(args, "stats_topic", STATS_TOPIC), match)
        self.alltime = bool(getattr(args, "alltime", False))  # the scoreboard's all-time view (A)
        self.ended_at: float | None = None  # headless, --exit-at-end: when the end was reached
        self.final_frame = False  # ... and the frame with the settled standings is drawn
        speed = args.speed
        self.playback = Playback(
            speed=speed or 1.0,
            max_speed=speed == 0,
            live=live,
            delay_ms=max(0.0, args.delay) * 1000,
        )
        self.renderer = Renderer(screen, load_map())
        self.map_name = "arena"
        self.follow_name: str | None = args.follow
        self.debug = args.debug
        self.scoreboard = True
        self.dragging = False
        self.frames = 0
        self.catching_since: float | None = None
        self.samples: deque[float] = deque(maxlen=240)  # wall - broker ms of live records
        self.folded: deque[tuple[float, int]] = deque()  # (wall s, records) for the rate
        self.frame_ms = 0.0
        self.exit_code = 0
        from game.window.rounds import MatchClock  # pygame only once the display is prepared

        self.match_clock: MatchClock = MatchClock()  # the round clock between records, live

    # --- the loop ---

    def run(self) -> int:
        import pygame

        self.feed.start()
        self.standings.start()
        clock = pygame.time.Clock()
        started = last = last_draw = time.perf_counter()
        try:
            while True:
                now = time.perf_counter()
                dt_ms = (now - last) * 1000
                last = now
                if not self._handle_input():
                    break
                if self._should_stop(now - started):
                    break
                before = self.timeline.pos
                self._ingest(now)
                self._advance(now, dt_ms)
                catching = self.catching_since is not None
                # Catching up, a few frames a second are enough for the progress bar: every
                # frame drawn is time (and the GIL) taken from reading and folding.
                if not catching or now - last_draw >= CATCH_UP_DRAW_S:
                    self._draw(now, (now - last_draw) * 1000 if catching else dt_ms)
                    pygame.display.flip()
                    self.frames += 1
                    self.frame_ms = (time.perf_counter() - now) * 1000
                    last_draw = now
                if catching:
                    if self.timeline.pos == before:
                        time.sleep(0.002)  # nothing arrived yet: let the feed thread read
                else:
                    clock.tick(0 if self.playback.max_speed and self.args.headless else FPS)
        except KeyboardInterrupt:
            self.exit_code = 130 if not self.args.headless else 0
        finally:
            save_screenshot(self.screen, self.args.screenshot)
            self.feed.stop()
            self.standings.stop()
        if self.args.headless and self.exit_code != 2:
            print_summary(self._summary(time.perf_counter() - started))
        return self.exit_code

    def _should_stop(self, elapsed: float) -> bool:
        args, feed = self.args, self.feed
        if args.seconds is not None and elapsed >= args.seconds:
            return True
        if (
            args.exit_at_end
            and args.headless
            and feed.status in (LinkStatus.UNREACHABLE, LinkStatus.TOPIC_MISSING)
        ):
            if feed.status is LinkStatus.UNREACHABLE:
                problem = link_problem(self.settings) or self.settings.unreachable()
                print(f"error: {problem}", file=sys.stderr)
            else:
                print(f"error: no match named {self.match!r} on {self.settings.bootstrap}", file=sys.stderr)
            self.exit_code = 2
            return True
        if args.exit_at_end and feed.first_end is not None:
            timeline = self.timeline
            pos = timeline.pos
            at_end = feed.first_end <= feed.start_offset or (
                pos > 0 and timeline.offsets[pos - 1] + 1 >= feed.first_end
            )
            if at_end and args.headless:
                # The summary (and a screenshot) show the standings: give the stats feed a moment
                # to read them, then draw one more frame with them.
                if self.ended_at is None:
                    self.ended_at = elapsed
                if self.standings.feed.settled and not self.final_frame:
                    self.standings.update(feed.end, force=True)
                    self.final_frame = True
                    return False
                return self.final_frame or elapsed - self.ended_at >= STATS_WAIT_S
            return at_end
        return False

    def _summary(self, seconds: float) -> dict:
        summary = self.timeline.replica.summary()
        summary.update(
            frames=self.frames,
            fps=round(self.frames / max(seconds, 1e-6), 1),
            seconds=round(seconds, 2),
            mode=self.playback.mode,
            records=len(self.timeline),
            lag_records=self._lag_records(),
            kafka=self.feed.status,
            checkpoint_offset=self.feed.start_point.checkpoint_offset if self.feed.start_point else -1,
            live_s=self.live_s,
            rss_mb=peak_rss_mb(),
        )
        summary.update(self._standings_summary())
        return summary

    def _standings_summary(self) -> dict:
        """What the spectator saw on the stats topic, and its own fold to compare with."""
        values = self.standings.feed.values
        view = self.standings.update(self.feed.end, force=True)
        standings = {name: f.score for name, f in sorted(view.players.items())}
        found: dict = {
            "stats": self.standings.feed.status,
            "stats_keys": len(values),
            "stats_note": view.note,
            "standings": standings,
            "alltime": [[row.name, row.score] for row in view.alltime[:20]],
        }
        # Only then is the second fold worth its time, and only a fold from offset 0 is whole.
        if standings and self.timeline.base_offset < 0:
            found["fold_scores"] = {
                name: s.score for name, s in sorted(fold_standings(self.timeline).items())
            }
        return found

    # --- records ---

    def _ingest(self, now: float) -> None:
        # Decoding costs ~5 us a record: while frames matter (not catching up, not max speed)
        # take a slice per frame, still far more than any match writes.
        busy = self.catching_since is not None or self.playback.max_speed or self.args.headless
        records = self.feed.take(None if busy else INGEST_PER_FRAME)
        start = self.feed.start_point
        if start is not None and not self.based:
            from spectator.timeline import Timeline

            self.timeline = Timeline(self.match, base=start.replica, identities=self.identities)
            self.based = True
        if not records:
            return
        self.timeline.extend(records)
        if not self.playback.live and self.playback.playhead < self.timeline.start_ts:
            self.playback.rewind_to(self.timeline.start_ts)  # a rebase to before the match began
        first_end = self.feed.first_end
        if first_end is not None and records[-1].offset >= first_end:
            # Arrived live: how far behind the broker's append time we see it.
            self.samples.append(time.time() * 1000 - records[-1].ts)

    def _broker_now(self) -> float:
        if self.samples:
            return time.time() * 1000 - min(self.samples)  # the fastest arrival ~ the clock
        return float(self.timeline.live_edge_ts)

    def _caught_up(self) -> bool:
        first_end = self.feed.first_end
        caught_up = first_end is not None and self.timeline.end_offset >= first_end
        if caught_up and self.live_s is None and self.timeline.pos >= len(self.timeline):
            self.live_s = round(time.monotonic() - self.opened, 3)
        return caught_up

    def _advance(self, now: float, dt_ms: float) -> None:
        timeline, playback = self.timeline, self.playback
        before = timeline.pos
        if timeline.stamps and playback.playhead < timeline.start_ts:
            playback.playhead = timeline.start_ts  # a replay starts at the first record, not at 1970
        target = playback.tick(dt_ms, self._broker_now(), timeline.live_edge_ts, self._caught_up())
        if playback.paused:
            self.catching_since = None
            return
        end = len(timeline) if target >= FOREVER else timeline.index_at(target)
        loading = self.feed.first_end is not None and timeline.end_offset < self.feed.first_end
        if end - timeline.pos > EFFECTS_LIMIT or (loading and playback.live):
            self._catch_up(end, now)
        else:
            self.catching_since = None
            events = timeline.advance_index(end, collect=True)
            if events:
                self.renderer.scene.on_events(events, now * 1000, timeline.replica.world)
            # A replay also looks ahead a little each frame, so the timeline shows (and N
            # jumps to) the kills and pickups still to come.
            timeline.scout(SCOUT_PER_FRAME)
        if target >= FOREVER:
            playback.playhead = max(playback.playhead, timeline.head_ts)
        self._note_map()
        if timeline.pos > before:
            self.folded.append((now, timeline.pos - before))

    def _catch_up(self, end: int, now: float) -> None:
        # Fold slices until the frame's budget is spent; markers are still collected.
        if self.catching_since is None:
            self.catching_since = now
        budget = 0.25 if self.args.headless else 0.03
        timeline = self.timeline
        while timeline.pos < end and time.perf_counter() - now < budget:
            timeline.advance_index(min(end, timeline.pos + CATCH_UP_SLICE))

    def _note_map(self) -> None:
        world_map = self.timeline.replica.world.map
        if world_map is not None and world_map.name != self.map_name:
            from spectator.render import Renderer

            camera = self.renderer.camera
            self.renderer = Renderer(self.screen, world_map)
            self.renderer.camera = camera
            self.map_name = world_map.name

    def _lag_records(self) -> int:
        end = max(self.feed.end, self.timeline.end_offset)
        return max(0, end - (self.timeline.replica.offset + 1))

    # --- input ---

    def _handle_input(self) -> bool:
        import pygame

        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                return False
            if event.type == pygame.KEYDOWN:
                if event.key == pygame.K_ESCAPE:
                    return False
                self._key(event.key)
            elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                if self.renderer.bar_rect.collidepoint(event.pos):
                    self.dragging = True
                    self.seek(self.renderer.time_at(event.pos[0], self.timeline))
            elif event.type == pygame.MOUSEMOTION and self.dragging:
                self.seek(self.renderer.time_at(event.pos[0], self.timeline))
            elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
                self.dragging = False
        return True

    def _key(self, key: int) -> None:
        import pygame

        playback, timeline = self.playback, self.timeline
        if key == pygame.K_SPACE:
            playback.toggle_pause()
        elif key in (pygame.K_PLUS, pygame.K_EQUALS, pygame.K_KP_PLUS, pygame.K_RIGHTBRACKET):
            playback.faster()
        elif key in (pygame.K_MINUS, pygame.K_KP_MINUS, pygame.K_LEFTBRACKET):
            playback.slower()
        elif key == pygame.K_PERIOD and playback.paused:
            events = timeline.step()
            playback.playhead = timeline.head_ts
            self.renderer.scene.on_events(events, time.perf_counter() * 1000, timeline.replica.world)
        elif key == pygame.K_LEFT:
            self.seek(self._shown_time() - SEEK_STEP_MS)
        elif key == pygame.K_RIGHT:
            self.seek(self._shown_time() + SEEK_STEP_MS)
        elif key == pygame.K_HOME:  # the start of the match, even before this window's checkpoint
            self.seek(0 if timeline.base_offset >= 0 else timeline.start_ts)
        elif key in (pygame.K_END, pygame.K_l):
            playback.go_live()
        elif key in (pygame.K_n, pygame.K_p):
            here = self._shown_time()
            marker = timeline.next_marker(here) if key == pygame.K_n else timeline.prev_marker(here)
            if marker is not None:
                self.seek(marker.ts)
        elif key in (pygame.K_r, pygame.K_PAGEDOWN, pygame.K_PAGEUP):
            # R (or Page Down): the next round's start; Shift+R (or Page Up): the previous one.
            back = key == pygame.K_PAGEUP or (key == pygame.K_r and pygame.key.get_mods() & pygame.KMOD_SHIFT)
            self.jump_round(back=bool(back))
        elif key == pygame.K_k:
            self.kill_cam()
        elif key == pygame.K_c:
            self.cycle_follow()
        elif key == pygame.K_z:
            self.renderer.camera.cycle_zoom()
        elif key == pygame.K_F3:
            self.debug = not self.debug
        elif key == pygame.K_TAB:
            self.scoreboard = not self.scoreboard
        elif key == pygame.K_a:
            self.alltime = not self.alltime
            self.scoreboard = True

    def _shown_time(self) -> float:
        return float(self.timeline.live_edge_ts) if self.playback.live else self.playback.playhead

    def seek(self, ms: float) -> None:
        """Show the match at broker time `ms`; past the newest record means live."""
        timeline, playback = self.timeline, self.playback
        if ms >= timeline.live_edge_ts and self._caught_up() and playback.delay_ms <= 0:
            playback.go_live()
            return
        if timeline.base_offset >= 0 and ms < timeline.base_ts:
            self._rebase(ms)  # before the checkpoint this window started at: load an earlier one
            return
        ms = max(float(timeline.start_ts), ms)
        playback.rewind_to(ms)
        timeline.seek_time(ms)

    def _rebase(self, ms: float) -> None:
        """A moment before what this window holds (it started at a checkpoint): start again
        from the checkpoint at or before it, and read the log on from there."""
        from spectator.timeline import Timeline

        self.feed.stop()
        self.feed = LogFeed(
            self.settings, self.match, probe_timeout=3.0, from_checkpoint=True, before_ts=int(ms)
        )
        self.feed.start()
        self.based = False
        self.timeline = Timeline(
            self.match, identities=self.identities
        )  # empty until the feed names its checkpoint
        self.playback.rewind_to(ms)

    def jump_round(self, back: bool) -> None:
        """Seek to the start of the next round (or of the previous one)."""
        here = self._shown_time()
        marker = self.timeline.prev_round(here) if back else self.timeline.next_round(here)
        if marker is not None:
            self.seek(marker.ts)

    def kill_cam(self) -> None:
        marker = self.timeline.prev_marker(self._shown_time() + 1, ("kill",))
        if marker is None:
            return
        self.seek(marker.ts - KILL_CAM_LEAD_MS)
        self.playback.speed, self.playback.max_speed, self.playback.paused = 0.5, False, False
        camera = self.renderer.camera
        camera.follow = marker.pid
        camera.zoom = max(camera.zoom, 1.5)
        self.follow_name = None

    def cycle_follow(self) -> None:
        world = self.timeline.replica.world
        pids = sorted(world.players, key=lambda pid: world.players[pid].name)
        camera = self.renderer.camera
        self.follow_name = None
        if camera.follow not in pids:
            camera.follow = pids[0] if pids else None
        else:
            index = pids.index(camera.follow) + 1
            camera.follow = pids[index] if index < len(pids) else None

    # --- drawing ---

    def _draw(self, now: float, dt_ms: float) -> None:
        from spectator.render import View

        timeline, playback, feed = self.timeline, self.playback, self.feed
        world = timeline.replica.world
        camera = self.renderer.camera
        if self.follow_name is not None:
            camera.follow = world.names.get(self.follow_name, camera.follow)
        followed = world.players.get(camera.follow) if camera.follow is not None else None
        while self.folded and now - self.folded[0][0] > 1.0:
            self.folded.popleft()
        progress = None
        if self.catching_since is not None and now - self.catching_since > PROGRESS_AFTER_S:
            total = max(feed.first_end or 0, feed.end, timeline.end_offset)
            progress = (timeline.replica.offset + 1, total)
        shown = float(timeline.head_ts) if playback.mode == LIVE else playback.playhead
        view = View(
            match=self.match,
            timeline=timeline,
            mode=playback.mode,
            speed=playback.speed_label() + (f"  delay {delay:g}s" if (delay := self.args.delay) else ""),
            playhead=shown,
            lag_ms=max(0.0, timeline.live_edge_ts - timeline.head_ts),
            lag_records=self._lag_records(),
            rate=sum(n for _, n in self.folded),
            status=self._status(),
            progress=progress,
            debug=self.debug,
            scoreboard=self.scoreboard,
            frame_ms=self.frame_ms,
            fps=1000 / dt_ms if dt_ms > 0 else 0.0,
            delays=self._delays(),
            follow_name=followed.name if followed else "",
            stats=self.standings.update(feed.end),
            alltime=self.alltime,
            match_now=self._match_now(world, now, shown),
        )
        self.renderer.draw(world, view, now * 1000, dt_ms)

    def _match_now(self, world: World, now: float, shown: float) -> int:
        """Match time for the round clock: live, the last record's time plus the local time
        since it came (game.window.rounds.MatchClock); replaying, the playhead, which runs at
        the replay's speed (but never far past the last record folded)."""
        from game.window.rounds import MAX_EXTRAPOLATION_MS

        if self.playback.mode == LIVE:
            return self.match_clock.now(world, now * 1000)
        return int(min(max(shown, world.clock), world.clock + MAX_EXTRAPOLATION_MS))

    def _status(self) -> str:
        match self.feed.status:
            case LinkStatus.UNREACHABLE:
                return f"Kafka is not reachable at {self.settings.bootstrap} — retrying"
            case LinkStatus.TOPIC_MISSING:
                return f"No match named {self.match} yet — waiting for it to start"
            case LinkStatus.CONNECTING:
                return f"Connecting to Kafka at {self.settings.bootstrap}…"
        if self.feed.first_end == 0 and not len(self.timeline):
            return f"Match {self.match} is empty — waiting for players"
        return ""

    def _delays(self) -> tuple[float, float] | None:
        if len(self.samples) < 5:
            return None
        ordered = sorted(self.samples)
        return ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.95)]
