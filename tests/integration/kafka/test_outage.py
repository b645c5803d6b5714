"""The broker stops in the middle of a match and comes back: nothing is lost or doubled."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from broker.local import LocalBroker
from game.core.codec import Skipped, decode
from game.core.replica import new_replica
from game.kafka import KafkaSettings, MatchReader, ensure_match_topic, list_matches

ROOT = Path(__file__).resolve().parents[2]


def test_broker_restart_mid_match_loses_and_doubles_nothing(
    local_broker: LocalBroker, kafka_bootstrap: str, match_name: str
) -> None:
    ensure_match_topic(KafkaSettings(kafka_bootstrap), match_name)
    common = ["--match", match_name, "--bootstrap", kafka_bootstrap]
    bots = subprocess.Popen(
        [sys.executable, "-m", "game.bots", *common, "--count", "3", "--seconds", "120", "--seed", "5"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    walk = "; ".join(["walk east 700; walk west 700; attack"] * 80)
    player = subprocess.Popen(
        [sys.executable, "-m", "game", "--name", "stayer", *common, "--headless", "--seconds", "120"]
        + ["--autopilot", walk],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    spectator = subprocess.Popen(
        [sys.executable, "-m", "spectator", *common, "--headless", "--seconds", "120"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6)
    stopped_at = time.time()
    assert local_broker.stop()
    time.sleep(3)  # the outage: everyone keeps playing locally and queues
    local_broker.start()
    outage_s = time.time() - stopped_at
    time.sleep(5)  # play on with the broker back, then close both as a user would (Ctrl+C)
    for proc in (bots, player):
        proc.send_signal(signal.SIGINT)
    bots.wait(timeout=60)
    player.wait(timeout=60)
    time.sleep(2)  # the spectator reads the last leaves, then it is closed too
    spectator.send_signal(signal.SIGINT)

    bots_out, bots_err = bots.communicate(timeout=90)
    player_out, player_err = player.communicate(timeout=90)
    assert bots.returncode == 0, bots_err[-2000:]
    assert player.returncode == 0, player_err[-2000:]
    spectator_out, spectator_err = spectator.communicate(timeout=60)
    assert spectator.returncode == 0, spectator_err[-2000:]
    spectator_summary = json.loads(spectator_out.strip().splitlines()[-1])
    bots_summary = json.loads(bots_out.strip().splitlines()[-1])
    player_summary = json.loads(player_out.strip().splitlines()[-1])
    assert player_summary["outage_frames"] > 0, "the HUD never showed the outage"

    replica = new_replica(match_name)
    seqs: dict[int, list[int]] = defaultdict(list)
    hashes_at = {}
    wanted = {bots_summary["offset"], player_summary["offset"], spectator_summary["offset"]}
    after_outage = 0
    with MatchReader(KafkaSettings(kafka_bootstrap), match_name) as reader:
        end = reader.end_offset()
        while replica.offset + 1 < end:
            for record in reader.poll(5_000, 1.0):
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
        player = subprocess.Popen(
            [sys.executable, "-m", "game", "--name", "early", "--match", match_name]
            + ["--bootstrap", kafka_bootstrap, "--headless", "--seconds", "120", "--screenshot", "/dev/null"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(4)
        assert player.poll() is None, "the client gave up instead of waiting for Kafka"
    finally:
        local_broker.start()
    # Once Kafka is there the client creates the match and joins it by itself.
    settings = KafkaSettings(kafka_bootstrap)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and match_name not in {m.match for m in list_matches(settings)}:
        time.sleep(0.2)
    replica = new_replica(match_name)
    with MatchReader(settings, match_name) as reader:
        while time.monotonic() < deadline and "early" not in replica.world.names:
            for record in reader.poll(1_000, 0.5):
                replica.ingest(record.offset, record.ts, record.key, record.value)
    joined = "early" in replica.world.names
    time.sleep(3)  # let the client read its own join back before it is closed
    player.send_signal(signal.SIGINT)
    out, err = player.communicate(timeout=60)
    assert joined
    assert player.returncode == 0, err[-2000:]
    assert "Traceback" not in err
    assert json.loads(out.strip().splitlines()[-1])["state"] == "left"


def test_no_broker_gives_one_clear_line(match_name: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "game", "--name", "lonely", "--match", match_name]
        + ["--bootstrap", "127.0.0.1:1", "--headless", "--seconds", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Kafka is not reachable at 127.0.0.1:1" in result.stderr
    assert "Traceback" not in result.stderr
