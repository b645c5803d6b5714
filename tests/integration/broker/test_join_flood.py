"""One hostile client cannot take a guarded match from everyone else (issue #14).

On the secure broker every player has an account (`python -m broker user add`): a login and an
identity topic only that login may write. A match opened by a proven join takes proven joins
only, so an attacker with an ordinary account is at most one player, however many joins it
writes, and cannot join under another player's name.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from broker.accounts import AccountHost, Accounts
from broker.local import DEFAULT_BASE_DIR
from broker.secure import STATS, write_client_config
from game.core.actions import Join, Ping
from game.core.auth import chain_hash
from game.core.codec import encode, record_key
from game.core.identity import proof_value
from game.core.replica import MatchReplica, new_replica
from game.core.rules import RULES_VERSION
from game.kafka import KafkaSettings, MatchReader, read_config_file
from game.kafka.identity import IdentityLookup, identity_topic
from tests.helpers import HEADLESS_ENV, last_json, report, start_program, wait_until
from tests.integration.broker.conftest import SECURE_PORT

FLOOD_S = 30.0
HONEST = ("alice", "bob", "carol")
MAX_GHOSTS = 8


@pytest.fixture(scope="module")
def accounts(secure_bootstrap: str) -> dict[str, Path]:
    """name -> client config file, for the players of these tests (made once per broker)."""
    keeper = Accounts(AccountHost.secure(SECURE_PORT, DEFAULT_BASE_DIR / f"test-secure-{SECURE_PORT}"))
    made = {}
    for name in ("host", "mallory", *HONEST):
        path = keeper.host.config_path(name)
        made[name] = path if path.exists() else keeper.add(name)
    return made


def settings_of(bootstrap: str, config: Path) -> KafkaSettings:
    return KafkaSettings(bootstrap, tuple(read_config_file(str(config))))


def play(bootstrap: str, config: Path, match: str, seconds: float, *extra: str) -> Any:
    return start_program(
        "game", "--match", match, "--headless", "--seconds", str(seconds),
        "--bootstrap", bootstrap, "--kafka-config", str(config), *extra,
        env=HEADLESS_ENV,
    )  # fmt: skip


def folded(bootstrap: str, settings: KafkaSettings, match: str) -> tuple[MatchReplica, int]:
    """The whole log folded by a fresh reader, and the most players not in HONEST ever present
    at once (counted after every record)."""
    replica = new_replica(match)
    replica.identities = IdentityLookup(settings)
    most_strangers = 0
    with MatchReader(settings, match) as reader:
        records = reader.read_to_end(120)
    replica.saw(max((r.ts for r in records), default=0))
    for record in records:
        replica.ingest(record.offset, record.ts, record.key, record.value)
        strangers = sum(p.name not in HONEST and p.name != "host" for p in replica.world.players.values())
        most_strangers = max(most_strangers, strangers)
    return replica, most_strangers


def flood(
    bootstrap: str,
    config: list[tuple[str, str]],
    match: str,
    seconds: float,
    counts: Any,
    login: str = "mallory",
) -> None:
    """The attacker: as many joins as one core can write, every trick at once, for `seconds`,
    its would-be ghosts kept alive with pings every 2 s."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            **dict(config),
            "linger.ms": 5,
            "queue.buffering.max.messages": 1_000_000,
            "log_level": 0,
        }
    )
    topic = "arena.match." + match
    rng = random.Random(os.getpid())
    tip = b""  # unsigned ghosts: their pings need no tokens
    token = bytes(range(8))  # what a proven join carries: the token whose hash its proof names
    # Its own proof: a real one, so its own login may join as player 77 (once: names are unique).
    offsets: list[int] = []
    producer.produce(
        identity_topic(login),
        proof_value(match, 77, chain_hash(token)),
        on_delivery=lambda e, m: offsets.append(m.offset() or 0),
    )
    producer.flush(10)
    own_proof = offsets[0]
    pids: list[int] = []
    sent = pings = 0
    started = time.monotonic()
    next_pings = started + 2
    while time.monotonic() - started < seconds:
        for _ in range(500):
            pid = rng.randrange(1, 2**32)
            kind = sent % 4
            if kind == 0:  # a ghost: no proof
                join = Join(pid, 1, 0, f"ghost{sent % 1000}", 0xFF00FF, 0, "arena", tip, RULES_VERSION)
            elif kind == 1:  # a squatter: another player's name and a guessed proof offset
                name = HONEST[sent % len(HONEST)]
                join = Join(pid, 1, 0, name, 0xFF00FF, 0, "arena", token, RULES_VERSION, 0, sent % 5)
            elif kind == 2:  # a ghost that claims a proof in a log that does not exist
                join = Join(
                    pid, 1, 0, f"ghost{sent % 1000}", 0xFF00FF, 0, "arena", token, RULES_VERSION, 0, 0
                )
            else:  # itself, over and over, with its real proof (names are unique: one at most)
                join = Join(77, 1, 0, login, 0xFF00FF, 0, "arena", token, RULES_VERSION, 0, own_proof)
            try:
                producer.produce(topic, encode(join), record_key(join.pid))
            except BufferError:
                producer.poll(0.01)
                continue
            if len(pids) < 2_000:
                pids.append(join.pid)
            sent += 1
        producer.poll(0)
        if time.monotonic() >= next_pings:
            next_pings += 2
            for pid in pids:
                try:
                    producer.produce(topic, encode(Ping(pid, 2 + pings, 1_000 * pings)), record_key(pid))
                except BufferError:
                    producer.poll(0.01)
            pings += 1
    producer.flush(30)
    counts["sent"] = sent
    counts["pings"] = pings


def test_a_join_flood_keeps_no_one_out_and_lets_no_ghost_in(
    secure_bootstrap: str,
    accounts: dict[str, Path],
    pytestconfig: pytest.Config,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    bootstrap = secure_bootstrap
    match = "flood" + uuid.uuid4().hex[:8]
    # As a hosted game runs: a stats processor writes the match's checkpoints, so a player
    # joining late folds what followed the latest one, not the whole flood.
    stats = start_program(
        "game.stats", "--pattern", rf"^arena\.match\.{match}$", "--instance", match,
        "--seconds", str(FLOOD_S + 40), "--checkpoint-every", "5000",
        "--bootstrap", bootstrap,
        "--kafka-config", str(write_client_config(tmp_path / "stats.properties", STATS)),
    )  # fmt: skip
    # The host opens the match with a proven join: the match is guarded from its first record.
    host = play(bootstrap, accounts["host"], match, FLOOD_S + 25)
    request.addfinalizer(lambda: [proc.kill() for proc in (host, stats) if proc.poll() is None])
    spectator = settings_of(bootstrap, accounts["carol"])
    wait_until("the host's proven join", lambda: _guarded(bootstrap, spectator, match), timeout=60, every=0.5)

    manager = multiprocessing.Manager()
    shared = manager.dict()
    attacker = multiprocessing.get_context("spawn").Process(
        target=flood,
        args=(bootstrap, read_config_file(str(accounts["mallory"])), match, FLOOD_S, shared),
    )
    attacker.start()
    started = time.monotonic()
    honest = []
    try:
        for delay, name in zip((4.0, 12.0, 20.0), HONEST, strict=True):
            time.sleep(max(0.0, started + delay - time.monotonic()))
            honest.append((name, time.monotonic(), play(bootstrap, accounts[name], match, 6)))
        summaries = {}
        for name, launched, proc in honest:
            out, err = proc.communicate(timeout=90)
            assert proc.returncode == 0, err[-3000:]
            summaries[name] = (last_json(out), time.monotonic() - launched)
    finally:
        attacker.join(timeout=FLOOD_S + 60)
        if attacker.is_alive():
            attacker.kill()
        counts = dict(shared)
        manager.shutdown()
        for _, _, proc in honest:
            if proc.poll() is None:
                proc.kill()  # a failed assertion above must not leave windows running
    host_out, host_err = host.communicate(timeout=120)
    assert host.returncode == 0, host_err[-3000:]
    stats.terminate()
    stats.communicate(timeout=60)

    replica, most_strangers = folded(bootstrap, spectator, match)
    again, _ = folded(bootstrap, settings_of(bootstrap, accounts["alice"]), match)
    rejected = dict(replica.rejected)
    report(
        pytestconfig,
        f"join flood: {counts.get('sent')} joins + {counts.get('pings')} ping rounds in {FLOOD_S:.0f} s; "
        f"log {replica.offset + 1} records; honest (ready_s, offset, launched→exit s): "
        + ", ".join(
            f"{n} ({s['ready_s']}, {s['offset']}, from {s['checkpoint_offset']}, {wall:.1f}, "
            f"{s['timings']}, {s['identity_lookups']})"
            for n, (s, wall) in summaries.items()
        )
        + f"; most strangers present at once {most_strangers}; rejected {rejected}",
    )
    for name, (summary, _) in summaries.items():
        assert summary["name"] == name and summary["proof_at"] >= 0
        assert summary["ready_s"] is not None and summary["ready_s"] <= 2.0, summary
    assert counts.get("sent", 0) > 10_000  # it did flood
    assert most_strangers <= 1 <= MAX_GHOSTS  # mallory herself, at most
    assert rejected.get("no_identity", 0) > 1_000 and rejected.get("unproven", 0) > 1_000
    assert again.hash() == replica.hash()
    # Every honest player's world agreed with this fold at the offset where it stopped.
    for name, (summary, _) in summaries.items():
        assert summary["hash"] == _hash_at(bootstrap, spectator, match, summary["offset"]), name


def _guarded(bootstrap: str, settings: KafkaSettings, match: str) -> bool | None:
    """True once the match's log holds a proven first join."""
    try:
        replica, _ = folded(bootstrap, settings, match)
    except Exception:  # no topic yet
        return None
    return True if replica.world.guarded else None


def _hash_at(bootstrap: str, settings: KafkaSettings, match: str, offset: int) -> str:
    replica = new_replica(match)
    replica.identities = IdentityLookup(settings)
    with MatchReader(settings, match) as reader:
        records = [r for r in reader.read_to_end(120) if r.offset <= offset]
    replica.saw(max((r.ts for r in records), default=0))
    for record in records:
        replica.ingest(record.offset, record.ts, record.key, record.value)
    return replica.hash()


def test_a_name_written_first_by_someone_else_does_not_keep_its_owner_out(
    secure_bootstrap: str, accounts: dict[str, Path]
) -> None:
    bootstrap = secure_bootstrap
    match = "squat" + uuid.uuid4().hex[:8]
    host = play(bootstrap, accounts["host"], match, 20)
    spectator = settings_of(bootstrap, accounts["carol"])
    wait_until("the host's proven join", lambda: _guarded(bootstrap, spectator, match), timeout=60, every=0.5)
    # Mallory writes alice's name first, pointing at every offset alice's identity log holds
    # (her proofs of earlier matches are public), and cannot write a proof into alice's log.
    mallory = dict(read_config_file(str(accounts["mallory"])))
    producer = Producer(
        {"bootstrap.servers": bootstrap, **mallory, "log_level": 0, "message.timeout.ms": 10_000}
    )
    errors: list[Any] = []
    producer.produce(identity_topic("alice"), b"forged", on_delivery=lambda err, msg: errors.append(err))
    for at in range(8):
        join = Join(1000 + at, 1, 0, "alice", 0xFF00FF, 0, "arena", bytes(8), RULES_VERSION, 0, at)
        producer.produce("arena.match." + match, encode(join), record_key(join.pid))
    producer.flush(20)
    assert errors and errors[0] is not None and "AUTHORIZATION" in errors[0].name()
    alice = play(bootstrap, accounts["alice"], match, 5)
    out, err = alice.communicate(timeout=60)
    assert alice.returncode == 0, err[-3000:]
    summary = last_json(out)
    assert summary["name"] == "alice" and summary["state"] == "left" and summary["ready_s"] is not None
    host.communicate(timeout=60)
    replica, _ = folded(bootstrap, spectator, match)
    assert replica.rejected["unproven"] == 8
