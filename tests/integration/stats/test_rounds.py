"""Rounds downstream against a real broker: bots play short rounds, the stats processor
publishes each round's result (the same winner the bots name), and the history keeps it."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from game.kafka import KafkaSettings, ensure_match_topic
from game.stats.history import list_rounds
from game.stats.standings import standings_of_log
from game.stats.topic import match_key, round_key, round_value
from tests.helpers import (
    last_json,
    log_end,
    read_log,
    run_program,
    start_program,
    summary_of,
    wait_for_values,
)


def test_round_results_reach_the_stats_topic_and_the_history(
    kafka_bootstrap: str, match_name: str, tmp_path: Path
) -> None:
    match = match_name
    stats_topic = f"arena.stats.{match_name}"
    ensure_match_topic(KafkaSettings(kafka_bootstrap), match)
    stats = start_program(
        "game.stats",
        *("--bootstrap", kafka_bootstrap, "--group", f"stats-{match}", "--instance", "rounds"),
        *("--stats-topic", stats_topic, "--pattern", rf"^arena\.match\.{match}$"),
    )
    try:
        # warm-up, 5 s countdown, round 1 (10 s), 10 s intermission, round 2, intermission
        bots = summary_of(
            start_program(
                "game.bots",
                *("--match", match, "--count", "3", "--seconds", "40", "--round-seconds", "10"),
                *("--seed", "11", "--bootstrap", kafka_bootstrap),
            ),
            timeout=120,
        )
        last = bots["last_round"]
        assert last is not None and last["round"] >= 2, bots
        # Every round a fresh fold of the log finishes, as the processor must have written it.
        rounds = standings_of_log(match, read_log(kafka_bootstrap, match)).drain_rounds()
        expected = {round_key(match, r.round_no): round_value(r) for r in rounds}
        end = log_end(kafka_bootstrap, match)

        def done(values: dict) -> bool:
            folded = values.get(match_key(match), {}).get("offset", -1) >= end - 1
            return folded and all(values.get(key) == value for key, value in expected.items())

        values = wait_for_values(kafka_bootstrap, stats_topic, "the round results", done, 45)
    finally:
        stats.send_signal(signal.SIGTERM)
        stats.communicate(timeout=60)
    found = {key: value for key, value in values.items() if "/round/" in key}
    assert found == expected
    assert [r.round_no for r in rounds] == list(range(1, last["round"] + 1))
    final = found[round_key(match, last["round"])]
    # The processor names the winner every bot named, at the same round end.
    assert (final["winner"], final["ended_at"]) == (last["winner"], last["at"])
    for value in found.values():
        assert len(value["standings"]) == 3 and value["standings"][0]["player"] == value["winner"]
        assert value["start_offset"] < value["end_offset"]
        assert value["ended_at"] - value["started_at"] == 10_000
    assert values[match_key(match)]["round"] == last["round"]

    db = tmp_path / "history.sqlite3"
    runs = []
    for _ in range(2):  # a restart reads the whole topic again and writes nothing twice
        run = run_program(
            *("game.history", "--db", str(db), "--stats-topic", stats_topic, "--once"),
            *("--bootstrap", kafka_bootstrap),
            env={"XDG_DATA_HOME": str(tmp_path / "xdg")},
        )
        assert run.returncode == 0, run.stderr
        runs.append(last_json(run.stdout))
    assert [r["rounds_written"] for r in runs] == [len(expected), 0]
    stored = list_rounds(db, match)
    assert [(r.round_no, r.winner) for r in stored] == [(r.round_no, r.winner) for r in rounds]
    assert stored[-1].winner == last["winner"]
    assert [p.player for p in stored[-1].players] == [s["player"] for s in final["standings"]]
    listed = run_program("game.history", "--db", str(db), "--rounds", match)
    assert listed.returncode == 0, listed.stderr
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(line["round"], line["winner"]) for line in lines] == [(r.round_no, r.winner) for r in rounds]
