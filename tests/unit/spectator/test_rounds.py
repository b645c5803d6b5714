"""Rounds in the spectator: timeline markers and jumps, console lines, and the window's
round banner, clock, end-of-round table and timeline colours (headless)."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402
import pytest  # noqa: E402

from game.core.actions import Ping  # noqa: E402
from game.core.world import (  # noqa: E402
    INTERMISSION,
    PLAYING,
    Outcome,
    RoundEnded,
    RoundStarted,
    Standing,
)
from spectator.cli import build_parser  # noqa: E402
from spectator.playback import REPLAY  # noqa: E402
from spectator.text import Seen, json_lines, round_line, text_lines  # noqa: E402
from spectator.timeline import Timeline  # noqa: E402
from tests.unit.stats.rounds_log import ROUND_STARTS, rounds_log  # noqa: E402

ENDED = RoundEnded(2, 35_100, 7, "alice", (Standing(7, "alice", 14, 2, 1), Standing(8, "bob", 5, 1, 2)))


@pytest.fixture
def timeline() -> Timeline:
    timeline = Timeline("m")
    timeline.extend(rounds_log())
    timeline.advance_all()
    return timeline


def test_round_starts_and_ends_are_markers_of_their_own(timeline: Timeline) -> None:
    rounds = [m for m in timeline.markers if m.kind.startswith("round")]
    assert [(m.kind, m.round_no) for m in rounds] == [
        ("round_start", 1),
        ("round_end", 1),
        ("round_start", 2),
        ("round_end", 2),
        ("round_start", 3),
        ("round_end", 3),
    ]
    # At the record whose fold fired the round's timer: the first past its scheduled time.
    assert [timeline.offsets[m.index] for m in rounds[:2]] == [22, 62]
    assert rounds[1].name == "ann" and rounds[1].pid == 1  # the winner
    assert len(timeline.marker_times["round_start"]) == 3 and len(timeline.marker_times["round_end"]) == 3


def test_the_round_keys_jump_between_round_starts(timeline: Timeline) -> None:
    first = timeline.next_round(timeline.start_ts)
    assert first is not None and first.round_no == 1 and first.ts >= ROUND_STARTS[0]
    second = timeline.next_round(first.ts)
    assert second is not None and second.round_no == 2
    assert timeline.prev_round(second.ts) == first
    assert timeline.prev_round(first.ts) is None
    # Seeking to a round start shows that round just begun; to its end, the intermission.
    timeline.seek_time(second.ts)
    world = timeline.replica.world
    assert (world.phase, world.round_no) == (PLAYING, 2)
    end = timeline.next_marker(second.ts, ("round_end",))
    assert end is not None
    timeline.seek_time(end.ts)
    assert timeline.replica.world.phase == INTERMISSION
    assert timeline.replica.world.last_round is not None and timeline.replica.world.last_round.round_no == 2
    # N and P still walk every marker, rounds among them.
    assert timeline.next_marker(second.ts - 1) == second


def test_round_lines_read_like_the_rest_of_the_console() -> None:
    assert round_line(ENDED) == "Round 2 over: alice wins (14 points)"
    assert round_line(RoundEnded(3, 0, 0, "", ())) == "Round 3 over: nobody was left to win"
    one = RoundEnded(1, 0, 7, "alice", (Standing(7, "alice", 1, 0, 0),))
    assert round_line(one) == "Round 1 over: alice wins (1 point)"
    assert round_line(RoundStarted(2, 25_100, 325_100)) == "Round 2 started: 5:00 to play"


def test_the_record_that_ends_a_round_prints_the_result_before_itself() -> None:
    outcome = Outcome(True, "", (ENDED, RoundStarted(3, 45_100, 55_100)))
    seen = Seen(142, 35_500, 34_400, Ping(7, 80, 30_000), outcome, "alice")
    lines = text_lines(seen, lambda pid: "bob")
    assert lines == [
        "[00:34.400] Round 2 over: alice wins (14 points)",
        "[00:34.400] Round 3 started: 0:10 to play",
        "[00:34.400] #142 alice pinged",
    ]
    [line] = json_lines(seen, lambda pid: "bob")
    assert '"event": "RoundEnded"' in line and '"winner_name": "alice"' in line


def test_the_help_lists_the_round_keys() -> None:
    assert "R, Shift+R" in build_parser().format_help()


def test_the_window_draws_the_round_over_table_and_round_markers(timeline: Timeline) -> None:
    from spectator.render import BAR_H, MARKER_COLORS, Renderer, View

    pygame.display.init()
    pygame.font.init()
    try:
        screen = pygame.display.set_mode((960, 640 + BAR_H))
        end = timeline.next_marker(timeline.start_ts, ("round_end",))
        assert end is not None
        timeline.seek_time(end.ts)
        world = timeline.replica.world
        assert world.map is not None and world.phase == INTERMISSION
        renderer = Renderer(screen, world.map)
        view = View(
            match="m",
            timeline=timeline,
            mode=REPLAY,
            speed="x1",
            playhead=end.ts,
            lag_ms=0,
            lag_records=0,
            rate=0,
            match_now=end.ts,
        )
        renderer.draw(world, view, 0.0, 16.0)
        # The end-of-round table's gold frame, centred in the arena.
        area = renderer.arena_rect
        gold = pygame.Color(250, 208, 70)
        column = [screen.get_at((area.centerx, y)) for y in range(area.height)]
        assert column.count(gold) >= 2
        # The timeline strip shows both round colours.
        track = renderer.track_rect()
        row = {tuple(screen.get_at((x, track.centery)))[:3] for x in range(track.x, track.right)}
        assert MARKER_COLORS["round_start"] in row and MARKER_COLORS["round_end"] in row
    finally:
        pygame.display.quit()
