"""Which rack a reader names (KIP-392 fetching from followers), without a broker."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator

import pytest

from game.kafka import reader
from game.kafka.reader import pick_rack, rack_for
from game.kafka.settings import KafkaSettings, private_group

CLUSTER = KafkaSettings("127.0.0.1:1,127.0.0.1:2,127.0.0.1:3")
RACKS = {1: "rack-1", 2: "rack-2", 3: "rack-3"}


@pytest.fixture(autouse=True)
def no_kept_racks() -> Iterator[None]:
    reader._racks.clear()  # noqa: SLF001
    yield
    reader._racks.clear()  # noqa: SLF001


def test_a_single_broker_is_never_asked() -> None:
    # Nothing listens on port 1: asking would fail after the lookup's timeout; it is not asked.
    assert rack_for(KafkaSettings("127.0.0.1:1"), private_group()) is None
    assert not reader._racks  # noqa: SLF001


def test_the_users_client_rack_wins() -> None:
    settings = KafkaSettings(CLUSTER.bootstrap, (("client.rack", "mine"),))
    assert rack_for(settings, private_group()) is None  # the -X value reaches the config as is


def test_readers_spread_evenly_and_deterministically_over_the_racks() -> None:
    reader._racks[(CLUSTER.bootstrap, ())] = (RACKS, float("inf"))  # noqa: SLF001
    groups = [private_group() for _ in range(3_000)]
    picks = [rack_for(CLUSTER, g) for g in groups]
    assert picks == [rack_for(CLUSTER, g) for g in groups]
    counts = Counter(picks)
    assert set(counts) == {"rack-1", "rack-2", "rack-3"}
    assert min(counts.values()) > 800


def test_a_cluster_without_racks_reads_from_the_leader() -> None:
    reader._racks[(CLUSTER.bootstrap, ())] = ({}, float("inf"))  # noqa: SLF001
    assert rack_for(CLUSTER, private_group()) is None


def test_a_cluster_that_does_not_answer_is_asked_again_only_later() -> None:
    unanswered = KafkaSettings("127.0.0.1:1,127.0.0.1:2")  # nothing listens there
    began = time.monotonic()
    assert rack_for(unanswered, private_group()) is None
    first = time.monotonic() - began
    began = time.monotonic()
    assert rack_for(unanswered, private_group()) is None  # the failure is kept: no second wait
    assert time.monotonic() - began < min(0.2, first)


@pytest.mark.parametrize("leader", [1, 2, 3])
def test_readers_spread_over_the_followers_and_leave_the_leader_to_the_writers(leader: int) -> None:
    groups = [private_group() for _ in range(3_000)]
    counts = Counter(pick_rack(g, RACKS, leader) for g in groups)
    assert set(counts) == set(RACKS.values()) - {RACKS[leader]}
    assert min(counts.values()) > 1_300


def test_an_unknown_leader_spreads_readers_over_every_rack() -> None:
    for leader in (None, 7):  # no answer; a node without a rack
        counts = Counter(pick_rack(private_group(), RACKS, leader) for _ in range(3_000))
        assert set(counts) == set(RACKS.values())


def test_one_rack_for_every_node_is_still_that_rack() -> None:
    # The leader's rack is every rack: reading from it beats naming no rack at all.
    assert pick_rack(private_group(), {1: "a", 2: "a"}, 1) == "a"
    assert pick_rack(private_group(), {}, None) is None


def test_a_readers_rack_is_a_follower_of_its_matchs_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    reader._racks[(CLUSTER.bootstrap, ())] = (RACKS, float("inf"))  # noqa: SLF001
    asked: list[str] = []

    def leader_is_2(settings: KafkaSettings, topic: str) -> int:
        asked.append(topic)
        return 2

    monkeypatch.setattr(reader, "partition_leader", leader_is_2)
    picks = Counter(rack_for(CLUSTER, private_group(), "arena.match.m1") for _ in range(600))
    assert set(picks) == {"rack-1", "rack-3"}
    assert asked == ["arena.match.m1"] * 600  # the leader is looked up per reader
