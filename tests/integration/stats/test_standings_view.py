"""The stats topic on screen: the spectator's standings, the player's rank, the match history.

Bots and a scripted player play a match while a stats processor folds it into the stats
topic; the spectator replaying it must report the processor's standings and find them equal
to its own fold, the player must show a rank, and `--history` must list and replay the match.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

from game.kafka import STATS_TOPIC, KafkaSettings, ensure_match_topic
from game.stats.history import list_history, open_db, write_session
from game.stats.standings import Session, Standing
from game.stats.topic import session_of
from tests.helpers import (
    last_json,
    latest_values,
    log_end,
    run_program,
    start_program,
    summary_of,
    wait_for_players,
)

BOTS = ["v-01", "v-02", "v-03", "v-04"]


def stats_values(bootstrap: str, match: str, end: int, timeout_s: float = 45) -> dict[str, Any] | None:
    """The stats topic's latest values, once the processor's `match/<M>` has folded the whole log."""

    def folded(latest: dict[str, Any]) -> bool:
        return bool(latest.get(f"match/{match}", {}).get("offset", -1) >= end - 1)

    latest = latest_values(bootstrap, STATS_TOPIC, folded, timeout_s)
    return latest if folded(latest) else None


def test_spectator_shows_the_processors_standings_and_the_player_its_rank(
    kafka_bootstrap: str, match_name: str, tmp_path: Path
) -> None:
    match = match_name
    bootstrap = ("--bootstrap", kafka_bootstrap)
    values = None
    ensure_match_topic(KafkaSettings(kafka_bootstrap), match)
    # The default stats topic (the player window has no option for another), this match only.
    stats = start_program(
        "game.stats", *bootstrap, "--group", f"stats-{match}", "--instance", match,
        "--pattern", rf"^arena\.match\.{match}$",
    )  # fmt: skip
    try:
        bots = start_program(
            "game.bots", *bootstrap, "--match", match, "--count", "4", "--seconds", "9", "--seed", "7",
            "--prefix", "v-",
        )  # fmt: skip
        wait_for_players(kafka_bootstrap, match, set(BOTS))  # the bots are there to be chased
        player = start_program(
            "game", *bootstrap, "--match", match, "--name", "hero", "--headless", "--seconds", "6",
            "--autopilot", "chase v-01; attack; chase v-02; attack",
        )  # fmt: skip
        played = summary_of(player)
        summary_of(bots)
        end = log_end(kafka_bootstrap, match)
        values = stats_values(kafka_bootstrap, match, end)
    finally:
        stats.send_signal(signal.SIGTERM)
        _, stats_err = stats.communicate(timeout=60)
    assert values is not None, f"the stats processor did not fold {match} to its end:\n{stats_err[-3000:]}"

    # (b) The player's HUD ranked it among the 5 players, from the stats topic or its own world.
    assert re.fullmatch(r"[1-5]/5", played["rank"]), played
    assert played["rank_source"] in ("stats", "world")

    # (a) The spectator saw the processor's standings, equal to its own fold of the match.
    screenshot = tmp_path / "alltime.png"
    shown = run_program(
        "spectator", *bootstrap, "--match", match, "--from-start", "--speed", "max", "--exit-at-end",
        "--headless", "--alltime", "--screenshot", str(screenshot),
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr[-3000:]
    spectator = last_json(shown.stdout)
    assert (spectator["stats"], spectator["stats_note"]) == ("ok", "")
    assert spectator["stats_keys"] >= 6  # five players, the match, its session, all-time values
    assert set(spectator["standings"]) == {"hero", *BOTS}
    assert spectator["standings"] == spectator["fold_scores"]
    assert spectator["standings"] == {
        name: values[f"match/{match}/player/{name}"]["score"] for name in spectator["standings"]
    }
    assert {"hero", *BOTS} <= {name for name, _ in spectator["alltime"]}
    assert screenshot.stat().st_size > 10_000

    # (c) The history lists the finished match, and replays it from its first offset to its last.
    [written] = [v for k, v in values.items() if k.startswith(f"match/{match}/session/")]
    session = session_of(written)
    assert session is not None
    db = tmp_path / "history.sqlite3"
    conn = open_db(db)
    assert write_session(conn, session)
    conn.close()
    listed = run_program("spectator", "--history", "--db", str(db), "--headless")
    assert listed.returncode == 0, listed.stderr
    [header, line] = listed.stdout.strip().splitlines()
    assert "winner" in header and match in line and f"{session.first_offset}-{session.last_offset}" in line
    assert "hero" in line and all(name in line for name in BOTS)
    replayed = run_program(
        "spectator", *bootstrap, "--history", "--db", str(db), "--replay", "1", "--speed", "max",
        "--exit-at-end", "--headless",
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    again = last_json(replayed.stdout)
    assert (again["match"], again["offset"]) == (match, session.last_offset)
    assert again["records"] == session.last_offset - session.first_offset + 1


def test_history_lists_matches_newest_first_and_says_when_records_are_gone(
    kafka_bootstrap: str, match_name: str, tmp_path: Path
) -> None:
    db = tmp_path / "history.sqlite3"
    conn = open_db(db)
    ann, bob = ("ann", Standing(2, 1, 11, 1, 1, 60)), ("bob", Standing(1, 2, 5, 0, 0, 40))
    older = Session(match_name + "old", "arena", 0, 1_000_000, 120, 1_065_000, "left", (ann, bob))
    newer = Session(match_name, "crossroads", 40, 2_000_000, 90, 2_008_000, "timeout", (bob,))
    for session in (older, newer):
        assert write_session(conn, session)
    assert [r.match for r in list_history(conn)] == [older.match, newer.match]
    conn.close()

    listed = run_program("spectator", "--history", "--db", str(db), "--headless")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert len(lines) == 3
    assert lines[1].split()[:2] == ["1", match_name] and "bob (5)" in lines[1] and "40-90" in lines[1]
    assert lines[2].split()[:2] == ["2", match_name + "old"] and "ann (11)" in lines[2]
    assert "01:05" in lines[2] and "ann, bob" in lines[2]

    # Neither match has a topic on the broker: their records are gone, and it says so.
    history = ("spectator", "--history", "--db", str(db), "--headless")
    gone = run_program(*history, "--bootstrap", kafka_bootstrap, "--replay", "1")
    assert gone.returncode == 2
    assert "gone" in gone.stderr and match_name in gone.stderr and "40-90" in gone.stderr
    missing = run_program(*history, "--replay", "3")
    assert missing.returncode == 2 and "holds 2 matches" in missing.stderr
