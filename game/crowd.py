"""A crowd of headless players in one process: bots and scripted players.

They share one producer and one reader (one replica of the world), and each acts through
its own PlayerAgent, so in the log a bot is a player like any other: same codec, same
producer settings, same reducer judging it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from game.agent.player import Intent, PlayerAgent
from game.core.actions import Action
from game.core.codec import encode, record_key
from game.core.replica import MatchReplica
from game.core.rules import rules_refusal
from game.core.world import Player, World
from game.kafka import ActionProducer, KafkaSettings, KafkaUnavailable, MatchReader, ensure_match_topic
from game.kafka.checkpoints import start_of

TICK_MS = 1000 / 30


class Brain(Protocol):
    def think(self, agent: PlayerAgent, me: Player | None, world: World, now_ms: float) -> Intent: ...

    @property
    def done(self) -> bool: ...


@dataclass(slots=True)
class Member:
    agent: PlayerAgent
    brain: Brain
    join_at_ms: float = 0.0
    joined_sent: bool = False
    left: bool = False
    rejected: dict[str, int] = field(default_factory=dict)


class RulesRefused(ValueError):
    """The match is played under other rules than ours: joining would desync."""


class Crowd:
    def __init__(self, settings: KafkaSettings, match: str, map_name: str) -> None:
        self.settings = settings
        self.match = match
        self.map_name = map_name
        self.members: dict[int, Member] = {}
        self.topic = ensure_match_topic(settings, match)
        self.start = start_of(settings, match)  # a long match is joined from its latest checkpoint
        self.replica: MatchReplica = self.start.replica
        self.producer = ActionProducer(settings)
        self.reader = MatchReader(settings, match, self.start.next_offset)
        self.sent = 0
        self.dropped = 0

    def add(self, member: Member) -> None:
        self.members[member.agent.pid] = member

    def catch_up(self, timeout_s: float = 60.0) -> None:
        """Fold the log so far, so members join knowing the world (and its map)."""
        target = self.reader.end_offset()
        deadline = time.monotonic() + timeout_s
        while self.replica.offset + 1 < target and time.monotonic() < deadline:
            self.read(20_000, 0.1)
        refusal = rules_refusal(self.replica.world.rules, self.match)
        if refusal is not None:
            self.reader.close()
            raise RulesRefused(refusal)
        if self.replica.world.map is not None:
            self.map_name = self.replica.world.map.name
            for member in self.members.values():
                member.agent.map_name = self.map_name

    def read(self, max_records: int = 5_000, timeout: float = 0.0) -> int:
        records = self.reader.poll(max_records, timeout)
        if records:
            self.replica.saw(records[-1].ts)  # one proof lookup answers the whole batch
        for record in records:
            action, outcome = self.replica.read(record.offset, record.ts, record.key, record.value)
            if action is None or outcome is None:
                continue
            member = self.members.get(action.pid)
            if member is not None:
                member.agent.on_own_record(action, outcome, self.replica.world)
                if not outcome.applied:
                    member.rejected[outcome.reason] = member.rejected.get(outcome.reason, 0) + 1
        return len(records)

    def send(self, action: Action) -> None:
        if self.producer.send(self.topic, record_key(action.pid), encode(action)):
            self.sent += 1
        else:
            self.dropped += 1

    def tick(self, elapsed_ms: float, dt_ms: float) -> None:
        world = self.replica.world
        renewed = []
        for pid, member in self.members.items():
            agent = member.agent
            if member.left:
                continue
            if not member.joined_sent:
                if elapsed_ms >= member.join_at_ms:
                    member.joined_sent = True
                    self.send(agent.join())
                continue
            if not agent.joined:
                continue
            if member.brain.done:
                member.left = True
                self.send(agent.leave())
                continue
            me = world.players.get(agent.pid)
            intent = member.brain.think(agent, me, world, agent.now_ms())
            for action in agent.act(intent, world, dt_ms):
                self.send(action)
            if agent.pid != pid:  # a spent hash chain: it joined again under a new id
                renewed.append(pid)
        for old in renewed:
            member = self.members.pop(old)
            self.members[member.agent.pid] = member

    def run(self, seconds: float | None, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Tick at 30 Hz until every member is done, `seconds` pass, or `should_stop()`."""
        started = last = time.monotonic()
        try:
            while not should_stop():
                now = time.monotonic()
                elapsed = (now - started) * 1000
                if seconds is not None and elapsed >= seconds * 1000:
                    break
                self.read()
                self.tick(elapsed, (now - last) * 1000)
                last = now
                self.producer.poll()
                if self.members and all(m.left or _refused(m) for m in self.members.values()):
                    break
                # Sleep to the next tick while still serving the reader quickly.
                spare = TICK_MS / 1000 - (time.monotonic() - now)
                if spare > 0:
                    self.read(5_000, spare)
        finally:
            self.leave_all()

    def leave_all(self, flush_s: float = 5.0) -> None:
        for member in self.members.values():
            if member.agent.joined and not member.left:
                member.left = True
                self.send(member.agent.leave())
        self.producer.flush(flush_s)
        # Read our own leaves back so the summary shows the world everyone else ends with.
        deadline = time.monotonic() + 2.0
        try:
            target = self.reader.end_offset()
        except KafkaUnavailable:
            target = -1  # Kafka is away: the summary shows what was read
        while self.replica.offset + 1 < target and time.monotonic() < deadline:
            self.read(5_000, 0.05)
        self.reader.close()


def _refused(member: Member) -> bool:
    return bool(member.agent.join_rejected)
