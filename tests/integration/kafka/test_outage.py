"""The broker stops in the middle of a match and comes back: nothing is lost or doubled."""

from __future__ import annotations

import signal
import time
from collections import defaultdict

from broker.local import LocalBroker
from game.core.codec import Skipped, decode
from game.core.replica import new_replica
from game.kafka import KafkaSettings, ensure_match_topic, list_matches
from tests.helpers import (
    fold_log,
    last_json,
    log_end,
    read_log,
    run_program,
    start_program,
    wait_for_log_end,
    wait_for_players,
    wait_until,
)

# Records the players write once the broker is back, before they are closed.
PLAYED_AFTER_OUTAGE = 150


def test_broker_restart_mid_match_loses_and_doubles_nothing(
    local_broker: LocalBroker, kafka_bootstrap: str, match_name: str
) -> None:
    ensure_match_topic(KafkaSettings(kafka_bootstrap), match_name)
    common = ["--match", match_name, "--bootstrap", kafka_bootstrap]
    bots = start_program("game.bots", *common, "--count", "3", "--seconds", "120", "--seed", "5")
    walk = "; ".join(["walk east 700; walk west 700; attack"] * 80)
    player = start_program(
        "game", "--name", "stayer", *common, "--headless", "--seconds", "120", "--autopilot", walk
    )
    spectator = start_program("spectator", *common, "--headless", "--seconds", "120")
    wait_until(
        "the three bots and the player to join",
        lambda: len(fold_log(kafka_bootstrap, match_name).world.players) == 4,
        timeout=60,
    )
    # Wall time: a few seconds of play with the spectator watching (its progress cannot be seen
    # from outside), so the broker goes down mid-match.
    time.sleep(3)
    stopped_at = time.time()
    assert local_broker.stop()
    time.sleep(3)  # the outage (wall time, the broker down): everyone keeps playing locally and queues
    local_broker.start()
    outage_s = time.time() - stopped_at
    # Play on with the broker back, then close both as a user would (Ctrl+C).
    back_at = log_end(kafka_bootstrap, match_name)
    wait_for_log_end(kafka_bootstrap, match_name, back_at + PLAYED_AFTER_OUTAGE, timeout=60)
    for proc in (bots, player):
        proc.send_signal(signal.SIGINT)
    bots.wait(timeout=60)
    player.wait(timeout=60)
    # Wall time: the spectator reads the last leaves (it says nothing until it ends), then it
    # is closed too.
    time.sleep(2)
    spectator.send_signal(signal.SIGINT)

    bots_out, bots_err = bots.communicate(timeout=90)
    player_out, player_err = player.communicate(timeout=90)
    assert bots.returncode == 0, bots_err[-2000:]
    assert player.returncode == 0, player_err[-2000:]
    spectator_out, spectator_err = spectator.communicate(timeout=60)
    assert spectator.returncode == 0, spectator_err[-2000:]
    spectator_summary = last_json(spectator_out)
    bots_summary = last_json(bots_out)
    player_summary = last_json(player_out)
    assert player_summary["outage_frames"] > 0, "the HUD never showed the outage"

    replica = new_replica(match_name)
    seqs: dict[int, list[int]] = defaultdict(list)
    hashes_at = {}
    wanted = {bots_summary["offset"], player_summary["offset"], spectator_summary["offset"]}
    after_outage = 0
    for record in read_log(kafka_bootstrap, match_name):
        action = decode(record.value, record.key)
        assert not isinstance(action, Skipped)
        seqs[action.pid].append(action.seq)
        replica.ingest(record.offset, record.ts, record.key, record.value)
        if record.offset in wanted:
            hashes_at[record.offset] = replica.hash()
        after_outage += record.ts / 1000 > stopped_at + outage_s

    # Every player's actions are in the log exactly once and in order: 1, 2, ..., n.
    assert len(seqs) == 4
    for pid, numbers in seqs.items():
        assert numbers == list(range(1, len(numbers) + 1)), pid
    assert sum(len(n) for n in seqs.values()) == bots_summary["sent"] + player_summary["sent"]
    assert replica.rejected.get("duplicate", 0) == 0
    # Play went on after the broker came back, and every reader holds the same world.
    assert after_outage > 50
    assert hashes_at[bots_summary["offset"]] == bots_summary["hash"]
    assert hashes_at[player_summary["offset"]] == player_summary["hash"]
    # The spectator watched through the outage and went on from where it was: it holds the
    # world of the whole log, with nothing skipped or read twice.
    assert spectator_summary["offset"] == replica.offset
    assert spectator_summary["hash"] == replica.hash()
    assert spectator_summary["skipped"] == {} and "duplicate" not in spectator_summary["rejected"]


def test_a_player_started_before_kafka_waits_then_joins(
    local_broker: LocalBroker, kafka_bootstrap: str, match_name: str
) -> None:
    local_broker.stop()
    try:
        player = start_program(
            "game", "--name", "early", "--match", match_name, "--bootstrap", kafka_bootstrap,
            "--headless", "--seconds", "120", "--screenshot", "/dev/null",
        )  # fmt: skip
        time.sleep(4)  # wall time with no broker: the client must keep waiting for it
        assert player.poll() is None, "the client gave up instead of waiting for Kafka"
    finally:
        local_broker.start()
    settings = KafkaSettings(kafka_bootstrap)
    try:
        # Once Kafka is there the client creates the match and joins it by itself.
        wait_until(
            f"the client to create {match_name}",
            lambda: match_name in {m.match for m in list_matches(settings)},
            timeout=90,
        )
        wait_for_players(kafka_bootstrap, match_name, {"early"}, timeout=90)
        # Wall time: the client reads its own join back (it says nothing until it ends) before
        # it is closed.
        time.sleep(3)
    finally:
        player.send_signal(signal.SIGINT)
        out, err = player.communicate(timeout=60)
    assert player.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    assert last_json(out)["state"] == "left"


def test_no_broker_gives_one_clear_line(match_name: str) -> None:
    result = run_program(
        "game", "--name", "lonely", "--match", match_name, "--bootstrap", "127.0.0.1:1",
        "--headless", "--seconds", "3",
    )  # fmt: skip
    assert result.returncode == 2
    assert "Kafka is not reachable at 127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr
