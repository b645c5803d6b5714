"""Rounds in the spectator against a real broker: bots play 10 s rounds; a live spectator
shot during the intermission shows the end-of-round table, a replay stopped at a round's end
names the winner the bots name, and the console prints each round's start and end."""

from __future__ import annotations

from pathlib import Path

import pygame

from game.core.replica import MatchReplica
from game.core.world import INTERMISSION
from game.kafka import KafkaSettings, ensure_match_topic
from game.stats.standings import standings_of_log
from tests.helpers import (
    HEADLESS_ENV,
    fold_log,
    read_log,
    run_program,
    run_summary,
    start_program,
    summary_of,
    wait_until,
)

GOLD = (250, 208, 70)  # the end-of-round table's frame (game.window.rounds)


def shows_round_over(path: Path) -> bool:
    """Whether the screenshot has the table's gold frame across the arena's middle column."""
    image = pygame.image.load(str(path))
    x = image.get_width() // 2
    return sum(tuple(image.get_at((x, y)))[:3] == GOLD for y in range(image.get_height() - 54)) >= 2


def test_the_spectator_shows_rounds_live_replayed_and_as_text(
    kafka_bootstrap: str, match_name: str, tmp_path: Path
) -> None:
    match = match_name
    ensure_match_topic(KafkaSettings(kafka_bootstrap), match)
    bots = start_program(
        "game.bots",
        *("--match", match, "--count", "3", "--seconds", "40", "--round-seconds", "10"),
        *("--seed", "5", "--bootstrap", kafka_bootstrap),
    )
    window = ("--headless", "--bootstrap", kafka_bootstrap)
    try:

        def round_over() -> MatchReplica | None:
            replica = fold_log(kafka_bootstrap, match)
            return replica if replica.world.phase is INTERMISSION else None

        over = wait_until("round 1 to end", round_over, 40, every=0.5)
        # Live, two seconds after the log showed the 10 s intermission begun.
        live_png = tmp_path / "live.png"
        live = run_summary(
            "spectator", "--match", match, "--seconds", "2", "--screenshot", str(live_png), *window,
            env=HEADLESS_ENV,
        )  # fmt: skip
        assert over.world.last_round is not None
        assert (live["phase"], live["last_round"]["round"]) == ("intermission", 1), live
        assert live["last_round"]["winner"] == over.world.last_round.winner_name
        assert shows_round_over(live_png)
        summary = summary_of(bots, timeout=120)
    finally:
        if bots.returncode is None:
            bots.kill()
            bots.communicate()
    last = summary["last_round"]
    assert last is not None and last["round"] >= 2

    # A replay from the start to the record that ended the last round: its intermission.
    [*_, final] = standings_of_log(match, read_log(kafka_bootstrap, match)).drain_rounds()
    assert (final.round_no, final.winner) == (last["round"], last["winner"])
    replay_png = tmp_path / "replay.png"
    replay = run_summary(
        "spectator", "--match", match, "--from-start", "--to-offset", str(final.end_offset), "--exit-at-end",
        "--speed", "max", "--screenshot", str(replay_png), *window,
        env=HEADLESS_ENV, timeout=120,
    )  # fmt: skip
    assert replay["offset"] == final.end_offset and replay["phase"] == "intermission"
    assert replay["last_round"] == last  # the same winner at the same time as every bot
    assert shows_round_over(replay_png)

    # The console prints each round's start and end among the other events.
    printed = run_program(
        *("spectator", "--match", match, "--from-start", "--exit-at-end", "--text"),
        *("--bootstrap", kafka_bootstrap),
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr[-2000:]
    text = printed.stdout
    for number in range(1, last["round"] + 1):
        assert f"Round {number} started: 0:10 to play" in text
    assert f"Round {last['round']} over: {last['winner']} wins (" in text
