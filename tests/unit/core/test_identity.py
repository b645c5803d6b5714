"""Guarded matches: joins proven by the player's identity log, the same answer for every reader."""

from __future__ import annotations

from dataclasses import dataclass, field

from game.core.actions import Join, Ping
from game.core.auth import chain_hash
from game.core.checkpoint import restore, take_checkpoint
from game.core.codec import decode, encode, record_key
from game.core.identity import PROOF_LEAD_MS, KnownProofs, proof_value
from game.core.maps import load_map
from game.core.replica import MatchReplica, new_replica
from game.core.rules import RULES_VERSION
from game.core.world import world_hash

ARENA = {"arena": load_map("arena")}
FIRST_TOKEN = b"\x01" * 8  # a chain's first token: the proof names its hash, the tip
TIP = chain_hash(FIRST_TOKEN)
MATCH = "m"


@dataclass
class CountingProofs(KnownProofs):
    """KnownProofs that count how often a reader asked."""

    asked: list[tuple[str, int]] = field(default_factory=list)

    def proven(self, name: str, at: int, join_ts: int, value: bytes) -> bool:
        self.asked.append((name, at))
        return KnownProofs.proven(self, name, at, join_ts, value)


def join(pid: int, name: str, proof_at: int = -1, auth: bytes = FIRST_TOKEN) -> Join:
    return Join(pid, 1, 0, name, 0x3366FF, 0, "arena", auth, RULES_VERSION, 0, proof_at)


def reader(proofs: KnownProofs | None) -> MatchReplica:
    replica = new_replica(MATCH, ARENA)
    replica.identities = proofs
    return replica


def feed(replica: MatchReplica, offset: int, ts: int, action: Join | Ping) -> str:
    outcome = replica.ingest(offset, ts, record_key(action.pid), encode(action))
    assert outcome is not None
    return "applied" if outcome.applied else outcome.reason


def prove(proofs: KnownProofs, name: str, pid: int, ts: int, match: str = MATCH, tip: bytes = TIP) -> int:
    return proofs.append(name, ts, proof_value(match, pid, tip))


def test_a_match_opened_by_a_proven_join_is_guarded_and_takes_proven_joins_only():
    proofs = KnownProofs()
    replica = reader(proofs)
    at = prove(proofs, "alice", 1, ts=400)
    assert feed(replica, 0, 1_000, join(1, "alice", at)) == "applied"
    assert replica.world.guarded
    assert feed(replica, 1, 1_010, join(2, "ghost0")) == "no_identity"
    assert feed(replica, 2, 1_020, join(3, "ghost1", proof_at=0)) == "unproven"  # no such log
    at = prove(proofs, "bob", 4, ts=800)
    assert feed(replica, 3, 1_030, join(4, "bob", at)) == "applied"
    assert sorted(p.name for p in replica.world.players.values()) == ["alice", "bob"]


def test_an_open_match_stays_open():
    replica = reader(KnownProofs())
    assert feed(replica, 0, 1_000, join(1, "ann")) == "applied"
    assert not replica.world.guarded
    assert feed(replica, 1, 1_010, join(2, "bob")) == "applied"


def test_a_proof_names_its_match_pid_and_chain_so_nobody_else_can_use_it():
    proofs = KnownProofs()
    replica = reader(proofs)
    at = prove(proofs, "host", 1, ts=400)
    assert feed(replica, 0, 1_000, join(1, "host", at)) == "applied"
    alice = prove(proofs, "alice", 7, ts=450)
    other_match = prove(proofs, "alice", 8, ts=460, match="elsewhere")
    # A squatter copies alice's proof offset but writes its own pid or its own chain tip.
    assert feed(replica, 1, 1_010, join(9, "alice", alice)) == "unproven"
    assert feed(replica, 2, 1_020, join(7, "alice", alice, auth=b"\x02" * 8)) == "unproven"
    # Nor with the tip itself, read from her proof: a join must carry the tip's preimage.
    assert feed(replica, 3, 1_025, join(7, "alice", alice, auth=TIP)) == "unproven"
    assert feed(replica, 3, 1_030, join(8, "alice", other_match)) == "unproven"
    # Alice herself is not kept out: her own join with her proof comes in.
    assert feed(replica, 4, 1_040, join(7, "alice", alice)) == "applied"


def test_a_proof_must_lead_its_join_by_more_than_the_lead():
    proofs = KnownProofs()
    replica = reader(proofs)
    on_the_line = prove(proofs, "alice", 1, ts=1_000 - PROOF_LEAD_MS)
    assert feed(replica, 0, 1_000, join(1, "alice", on_the_line)) == "unproven"
    assert replica.world.map is None  # a refused first join opens nothing
    just_before = prove(proofs, "alice", 2, ts=1_000 - PROOF_LEAD_MS - 1)
    assert feed(replica, 1, 1_000, join(2, "alice", just_before)) == "applied"


def test_without_a_lookup_every_proof_fails():
    replica = reader(None)
    assert feed(replica, 0, 1_000, join(1, "alice", proof_at=0)) == "unproven"


def test_a_flood_of_joins_with_a_present_name_costs_no_lookup():
    proofs = CountingProofs()
    replica = reader(proofs)
    at = prove(proofs, "mallory", 1, ts=400)
    assert feed(replica, 0, 1_000, join(1, "mallory", at)) == "applied"
    for i in range(2, 1_002):
        assert feed(replica, i, 1_000 + i, join(i, "mallory", at)) == "name_taken"
    assert proofs.asked == [("mallory", at)]


def test_every_reader_folds_the_same_guarded_match_and_a_checkpoint_keeps_the_guard():
    proofs = KnownProofs()
    records = []
    for i, name in enumerate(("ann", "bob", "cid")):
        at = prove(proofs, name, i + 1, ts=400 + i)
        records.append(encode(join(i + 1, name, at)))
    records.append(encode(join(99, "ghost")))
    first, second = reader(proofs), reader(proofs)
    for replica in (first, second):
        for offset, value in enumerate(records):
            replica.ingest(offset, 1_000 + offset, None, value)
    assert first.hash() == second.hash()
    assert dict(first.rejected) == {"no_identity": 1}
    restored = restore(take_checkpoint(first, 1_003), MATCH, ARENA)
    assert isinstance(restored, MatchReplica)
    assert restored.world.guarded and restored.hash() == first.hash()
    unguarded = first.world.copy()
    unguarded.guarded = False
    assert world_hash(unguarded) != first.hash()  # the guard is in the hash: a checkpoint keeps it
    assert decode(records[0]) == join(1, "ann", 0)
