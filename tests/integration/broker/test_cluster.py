"""A match on a three-broker cluster survives losing the broker that leads its partition.

The module starts its own local three-node cluster (``broker/cluster.py``) on
$KAFKA_TEST_CLUSTER_PORT (default 19292, six ports from there), plays a match with five bot
players in their own process while a reader folds the log in a thread, and stops the
partition's leader in the middle: with SIGKILL (a crash) and with SIGTERM (a clean stop).
Then it checks what the README promises: every acknowledged action is in the log exactly
once and in order, play went on, every reader holds the same world, and the stopped broker,
started again, catches up with the log.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator

import pytest
from confluent_kafka import Producer

from bench.fanout import fetch_counts
from broker.cluster import LocalCluster
from broker.local import DEFAULT_BASE_DIR, JAVA_MISSING, BrokerError
from game.core.codec import Skipped, decode
from game.core.records import Record
from game.core.replica import MatchReplica, new_replica
from game.kafka import KafkaSettings, MatchReader, ensure_match_topic
from game.kafka.reader import cluster_racks, partition_leader
from tests.helpers import last_json, read_log, report, start_program, wait_until

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason=JAVA_MISSING)

CLUSTER_PORT = int(os.environ.get("KAFKA_TEST_CLUSTER_PORT", "19292"))
BOTS = 5
BOT_SECONDS = 20
KILL_AFTER_S = 8.0
# How long the match plays on two brokers before the stopped one is started again.
TWO_BROKER_PLAY_S = 3.0


@pytest.fixture(scope="module")
def cluster(pytestconfig: pytest.Config) -> Iterator[LocalCluster]:
    base_dir = DEFAULT_BASE_DIR / f"test-cluster-{CLUSTER_PORT}"
    nodes = LocalCluster(CLUSTER_PORT, base_dir, say=lambda line: report(pytestconfig, line))
    nodes.stop()  # a cluster left behind by an interrupted run, before wiping its files
    shutil.rmtree(base_dir, ignore_errors=True)
    try:
        result = nodes.start_verbose()
    except BrokerError as err:
        nodes.stop()
        pytest.fail(f"could not start the local test cluster: {err}\n{err.log_tail}")
    atexit.register(nodes.stop)  # an abnormal teardown still stops the JVMs
    report(
        pytestconfig,
        f"cluster tests: three-node cluster at {result.bootstrap} started in {result.seconds:.1f}s",
    )
    try:
        yield nodes
    finally:
        # Its storage is wiped by the next run: no need for a clean (and slower) shutdown.
        for node_id in nodes.running():
            nodes.kill(node_id, signal.SIGKILL)
        nodes.stop()


class LiveReader(threading.Thread):
    """A spectator in a thread: folds the log as it arrives, through the failover."""

    def __init__(self, settings: KafkaSettings, match: str) -> None:
        super().__init__(daemon=True)
        self.replica: MatchReplica = new_replica(match)
        self.reader = MatchReader(settings, match)
        self.pids: set[int] = set()
        self.until: int | None = None  # stop once the log up to here is folded

    def run(self) -> None:
        with self.reader:
            while self.until is None or self.replica.offset + 1 < self.until:
                for record in self.reader.poll(2_000, 0.1):
                    self.replica.ingest(record.offset, record.ts, record.key, record.value)
                    if record.key is not None:
                        self.pids.add(int(record.key))

    def finish(self, end_offset: int, timeout: float = 30.0) -> None:
        self.until = end_offset
        self.join(timeout)
        assert not self.is_alive(), f"the reader stopped at {self.replica.offset}, not {end_offset - 1}"


def whole_log(bootstrap: str, match: str) -> list[Record]:
    """The whole log, every offset from 0 to its end (none missing after the failover)."""
    records = read_log(bootstrap, match, timeout=30)
    end = records[-1].offset + 1 if records else 0
    assert len(records) == end, f"read {len(records)} of {end} records"
    return records


def start_bots(bootstrap: str, match: str) -> subprocess.Popen[str]:
    return start_program(
        "game.bots", "--match", match, "--count", str(BOTS),
        "--seconds", str(BOT_SECONDS), "--seed", "7", "--bootstrap", bootstrap,
    )  # fmt: skip


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_a_match_survives_losing_its_leader(
    cluster: LocalCluster, match_name: str, sig: signal.Signals, pytestconfig: pytest.Config
) -> None:
    cluster.start()  # whole again, even if the previous test failed half way
    bootstrap = cluster.bootstrap
    settings = KafkaSettings(bootstrap)

    # A match created on a cluster is replicated three ways, and writes need two copies.
    topic = ensure_match_topic(settings, match_name)
    wait_until("the new topic's metadata", lambda: cluster.leader_of(topic) >= 0, 30, every=0.1)
    meta = cluster.partition(topic)
    assert sorted(meta.replicas) == [1, 2, 3]
    assert sorted(meta.isrs) == [1, 2, 3]
    config = cluster.topic_config(topic)
    assert config["min.insync.replicas"] == "2"
    assert config["message.timestamp.type"] == "LogAppendTime"

    reader = LiveReader(settings, match_name)
    reader.start()
    bots = start_bots(bootstrap, match_name)
    restart_errors: list[BaseException] = []
    try:
        # The bots' clock starts once they are set up; so does this one.
        wait_until(f"{BOTS} bots in the log", lambda: len(reader.pids) >= BOTS, 60, every=0.05)
        time.sleep(KILL_AFTER_S)  # wall time: the match plays a while before its leader goes

        # Stop the broker that leads the match, mid-match.
        leader = cluster.leader_of(topic)
        assert leader == meta.replicas[0], "the leader is the preferred replica before the kill"
        kill_ms = time.time() * 1000
        cluster.kill(leader, sig)
        wait_until(
            "a new leader", lambda: cluster.leader_of(topic, timeout=1) not in (-1, leader), 30, every=0.05
        )
        failover_s = time.time() - kill_ms / 1000  # from the signal to clients seeing the new leader
        new_leader = cluster.leader_of(topic)

        # Play on two brokers for a while (wall time), then start the stopped one again while
        # play goes on.
        time.sleep(TWO_BROKER_PLAY_S)
        restart_began = time.monotonic()

        def restart() -> None:
            try:
                cluster.restart(leader, timeout=90)
            except BaseException as exc:  # reported by the main thread
                restart_errors.append(exc)

        restarter = threading.Thread(target=restart, daemon=True)
        restarter.start()
        out, err = bots.communicate(timeout=BOT_SECONDS + 90)
    finally:
        if bots.poll() is None:
            bots.kill()
            bots.communicate()
    assert bots.returncode == 0, err[-3000:]
    summary = last_json(out)

    records = whole_log(bootstrap, match_name)
    reader.finish(len(records))

    # Every action the bots produced was acknowledged and is in the log exactly once, in order.
    seqs: dict[int, list[int]] = defaultdict(list)
    stamps: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for record in records:
        action = decode(record.value, record.key)
        assert not isinstance(action, Skipped), action
        seqs[action.pid].append(action.seq)
        stamps[action.pid].append((record.ts, action.KIND))
    assert summary["dropped"] == 0
    assert len(seqs) == BOTS
    for pid, got in seqs.items():
        assert got == list(range(1, len(got) + 1)), f"player {pid}: repeats or gaps in {got}"
    assert len(records) == summary["sent"], "acknowledged actions missing from the log"
    assert all(h.gaps == 0 and h.repeats == 0 for h in reader.replica.delivery.values())

    # Play went on after the kill: every bot acted (not just left) after the new leader took over.
    resumed_ms = kill_ms + failover_s * 1000
    for pid, seen in stamps.items():
        assert any(ts > resumed_ms and kind != "leave" for ts, kind in seen), f"{pid} stopped"

    # Every reader holds the same world: the bots', the live reader's, and a fresh fold's.
    fresh = new_replica(match_name)
    hashes_at: dict[int, str] = {}
    wanted = {summary["offset"], reader.replica.offset}
    for record in records:
        fresh.ingest(record.offset, record.ts, record.key, record.value)
        if record.offset in wanted:
            hashes_at[record.offset] = fresh.hash()
    assert summary["hash"] == hashes_at[summary["offset"]]
    assert reader.replica.offset == records[-1].offset
    assert reader.replica.hash() == fresh.hash()

    # The stopped broker, started again, catches up: back in sync, and once it leads again
    # the log it serves is the same, record for record.
    restarter.join(120)
    assert not restarter.is_alive() and not restart_errors, restart_errors
    wait_until("all three replicas in sync", lambda: cluster.isr_of(topic) == [1, 2, 3], 60, every=0.2)
    caught_up_s = time.monotonic() - restart_began
    cluster.elect_preferred_leader(topic)
    wait_until(f"broker {leader} to lead again", lambda: cluster.leader_of(topic) == leader, 30, every=0.05)
    again = whole_log(bootstrap, match_name)
    assert again == records

    # The figures for the README's Reliability section.
    after = [r.ts for r in records if r.ts >= kill_ms]
    around = [r.ts for r in records if kill_ms - 1000 <= r.ts <= kill_ms + 30_000]
    stall_ms = max((b - a for a, b in zip(around, around[1:], strict=False)), default=0)
    report(
        pytestconfig,
        f"cluster {sig.name}: broker {leader} (leader) stopped at {KILL_AFTER_S:.0f}s; "
        f"broker {new_leader} leads after {failover_s:.1f}s; longest pause in the log "
        f"{stall_ms / 1000:.1f}s; {len(records)} actions acknowledged "
        f"({summary['actions_per_s']}/s), {len(after)} after the stop; restarted broker back "
        f"in sync {caught_up_s:.1f}s after its restart",
    )


def test_a_quiet_matchs_readers_read_from_a_follower_within_a_few_frames(
    cluster: LocalCluster, pytestconfig: pytest.Config
) -> None:
    """Readers name a follower's rack (KIP-392), and a follower tells them a record as soon as
    it learns it is committed: with the brokers' default replica wait (500 ms) a quiet match
    read from a follower was half a second late."""
    cluster.start()  # whole again, even if the previous test failed half way
    settings = KafkaSettings(cluster.bootstrap)
    match = f"quiet-{uuid.uuid4().hex[:8]}"
    topic = ensure_match_topic(settings, match)
    wait_until("the new topic's metadata", lambda: cluster.leader_of(topic) >= 0, 30, every=0.1)
    # A broker restarted by the test before may still be catching up: a follower out of sync
    # does not serve readers, and the leader would answer them meanwhile.
    wait_until("all three replicas in sync", lambda: cluster.isr_of(topic) == [1, 2, 3], 60, every=0.2)
    leader = partition_leader(settings, topic)
    racks = cluster_racks(settings)
    assert leader is not None and len(set(racks.values())) == 3
    stats: list[str] = []
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all", "linger.ms": 0})
    delays: list[float] = []
    with MatchReader(settings, match, "beginning", on_stats=stats.append) as reader:
        assert reader.rack is not None and reader.rack != racks[leader]
        for n in range(12):
            sent = time.monotonic()
            producer.produce(topic, key=b"1", value=b"%d" % n, partition=0)
            producer.poll(0)
            got: list[Record] = []
            while not got and time.monotonic() - sent < 5:
                got = reader.poll(10, 0.001)
            assert got, f"record {n} not read within 5 s"
            delays.append(time.monotonic() - sent)
            time.sleep(0.25)  # quiet: the next record comes long after the followers caught up
        reader.poll(10, 1.2)  # serves one more statistics callback
    producer.flush(5)
    delays.sort()
    fetches = fetch_counts(stats[-1])
    report(
        pytestconfig,
        f"follower reads of a quiet match: median {1000 * delays[6]:.0f} ms, max {1000 * delays[-1]:.0f} ms; "
        f"fetches by node {fetches}, leader {leader}",
    )
    assert delays[6] < 0.15, f"median delay {delays[6]:.3f} s: the follower learns the high watermark late"
    followers = sum(count for node, count in fetches.items() if int(node) != leader)
    # Most fetches go to the follower (a few reach the leader first, which names the replica).
    assert followers > 3 * fetches.get(str(leader), 0), f"fetches by node: {fetches}, leader {leader}"
