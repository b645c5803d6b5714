"""The player window: keyboard in, actions out to Kafka, the match log in, the arena drawn.

The loop never waits on Kafka: produce and consume are non-blocking, and connecting is
retried on a background thread so the window stays alive while Kafka is away.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pygame

from game.agent.autopilot import Autopilot
from game.agent.player import Intent, PlayerAgent
from game.core.actions import Action
from game.core.codec import encode, record_key
from game.core.constants import MOVE_SPEED_PX_S, UNITS_PER_PX
from game.core.identity import PROOF_LEAD_MS, proof_value
from game.core.maps import TileMap
from game.core.ranking import rank_of
from game.core.replica import MatchReplica, new_replica
from game.core.rules import rules_refusal
from game.core.world import World
from game.kafka import (
    STATS_TOPIC,
    ActionProducer,
    CompactedTopicFeed,
    KafkaSettings,
    KafkaUnavailable,
    MatchReader,
    ensure_match_topic,
)
from game.kafka.checkpoints import CheckpointVerifier, Start, start_of
from game.kafka.identity import IdentityLookup, login_of, prove_join
from game.stats.topic import match_standings
from game.window.headless import FPS, peak_rss_mb, print_summary, save_screenshot
from game.window.hud import HUD_HEIGHT, Hud, draw_player_frame
from game.window.rounds import MatchClock
from game.window.scene import Scene

RECONNECT_EVERY_S = 2.0
# A join goes out this long after its proof was acknowledged, at the earliest: more than the
# rule's lead in broker time (the acknowledgement came after the proof's append time).
PROOF_WAIT_S = (PROOF_LEAD_MS + 15) / 1000
CONTROLS_SHOWN_MS = 6_000
SMOOTH_SPEED_PX_MS = MOVE_SPEED_PX_S * 1.25 / 1000  # others catch up a little faster than they walk
SMOOTH_SNAP_PX = 48  # a jump this large is a respawn or a teleport: do not glide through walls
RANK_EVERY_S = 0.25  # the HUD's rank is recomputed at most this often
KEYS_MOVE = {
    pygame.K_w: (0, -1),
    pygame.K_UP: (0, -1),
    pygame.K_s: (0, 1),
    pygame.K_DOWN: (0, 1),
    pygame.K_a: (-1, 0),
    pygame.K_LEFT: (-1, 0),
    pygame.K_d: (1, 0),
    pygame.K_RIGHT: (1, 0),
}


@dataclass(frozen=True, slots=True)
class PlayerOptions:
    name: str
    match: str
    map_name: str
    settings: KafkaSettings
    headless: bool = False
    seconds: float | None = None
    screenshot: str | None = None
    autopilot: str | None = None
    stats_topic: str = STATS_TOPIC  # where `python -m game.stats` publishes standings (the HUD's rank)
    verify_checkpoint: bool = False  # also fold from offset 0 and say if the checkpoint disagrees
    use_checkpoint: bool = True  # False: fold the match from offset 0 (the baseline)
    refusal_shown_s: float = 4.0  # how long a refusal stays on the window before it closes
    round_s: int = 0  # round length if this player's join creates the match (0: the default)


class PlayerClient:
    def __init__(self, options: PlayerOptions) -> None:
        self.options = options
        self.replica: MatchReplica = new_replica(options.match)
        self.tile_map = self.replica.world.maps[options.map_name]
        self.agent = PlayerAgent(options.name, options.map_name, round_s=options.round_s)
        self.match_clock = MatchClock()
        self.scene = Scene(self.tile_map)
        self.autopilot = Autopilot(options.autopilot, self.tile_map) if options.autopilot else None
        self.producer: ActionProducer | None = None
        self.reader: MatchReader | None = None
        self.topic = ""
        self.state = "connecting"  # connecting -> loading -> joining -> playing -> left
        self.status = f"connecting to Kafka at {options.settings.bootstrap}..."
        self.load_target = 0
        self.next_connect = 0.0
        self._connector: threading.Thread | None = None
        self._connected: tuple[str, ActionProducer, MatchReader, int, Start] | None = None
        self.proof: tuple[str, int] | None = None  # (login, offset) of this join's proof, if any
        self.proof_acked_at = 0.0  # time.monotonic() when the broker acknowledged the proof
        self.start: Start | None = None  # where the fold began: a checkpoint, or offset 0
        self.verifier: CheckpointVerifier | None = None
        self.shown: dict[int, tuple[float, float]] = {}
        self.message = ""
        self.exit_code = 0
        self.created = time.monotonic()
        self.ready_s: float | None = None  # from opening to our join applied
        self.timings: dict[str, float] = {}  # s from opening to each step of joining (the summary's)
        self.frames = 0
        self.outage_frames = 0  # frames drawn while the HUD said Kafka was away
        self.refused_at: float | None = None
        self.send_refused = 0
        # Standings from the stats processor, read in a thread; the rank falls back to our world.
        self.stats_feed = CompactedTopicFeed(options.settings, options.stats_topic)
        self.rank = ""  # "2/5"
        self.rank_source = ""  # "stats" or "world"
        self._rank_at = 0.0

    # --- Kafka side ---

    def connect_in_background(self, now: float) -> None:
        """Start a connection attempt unless one runs; finish one that has succeeded.

        Creating the match waits on the network (seconds, when Kafka is away), so it runs
        on a thread: the window keeps drawing and answering its keys meanwhile.
        """
        if self._connected is not None:
            self.topic, self.producer, self.reader, self.load_target, self.start = self._connected
            self._connected = None
            self.replica = self.start.replica
            self.state = "loading"
            self.timings["loading_s"] = round(time.monotonic() - self.created, 3)
            self.timings["checkpoint_at"] = self.start.checkpoint_offset
            self.timings["load_target"] = self.load_target
            self.status = f"Kafka {self.options.settings.bootstrap}"
            if self.options.verify_checkpoint and self.start.checkpoint_offset >= 0:
                self.verifier = CheckpointVerifier(self.options.settings, self.start).begin()
        elif now >= self.next_connect and (self._connector is None or not self._connector.is_alive()):
            self._connector = threading.Thread(target=self._connect, name="kafka-connect", daemon=True)
            self._connector.start()

    def _connect(self) -> None:
        settings = self.options.settings
        reader = producer = lookup = None
        try:
            # First: it says in one line what is wrong when Kafka cannot be reached or trusted.
            topic = ensure_match_topic(settings, self.options.match, timeout=3.0)
            lookup = IdentityLookup(settings)
            if login_of(settings) is not None:
                lookup.warm()  # only servers with logins have guarded matches
            # Then, so the proof's lead (PROOF_LEAD_MS) passes while the match loads.
            self.proof = self._prove(settings, lookup)
            producer = ActionProducer(settings)
            # A long match is joined from its latest checkpoint: only what follows is folded.
            start = (
                start_of(settings, self.options.match, self.replica.world.maps)
                if self.options.use_checkpoint
                else Start(new_replica(self.options.match, self.replica.world.maps), 0, "from offset 0")
            )
            start.replica.identities = lookup
            reader = MatchReader(settings, self.options.match, start.next_offset)
            target = reader.end_offset()
        except KafkaUnavailable as exc:
            if reader is not None:
                reader.close()  # the next attempt opens its own: leak nothing
            if producer is not None:
                producer.close()
            if lookup is not None:
                lookup.close()
            self.status = f"{exc} (retrying)"
            self.next_connect = time.monotonic() + RECONNECT_EVERY_S
            return
        self.timings["connected_s"] = round(time.monotonic() - self.created, 3)
        self._connected = (topic, producer, reader, target, start)

    def _prove(self, settings: KafkaSettings, lookup: IdentityLookup) -> tuple[str, int] | None:
        """On a server where this login has an identity, the proof of our join: (login, offset).
        The join goes out once the match is loaded and the proof's lead has passed."""
        login = login_of(settings)
        if login is None:
            return None  # no login: an open server, an open join
        tip = self.agent.chain.tip if self.agent.chain is not None else b""
        proof = prove_join(settings, login, proof_value(self.options.match, self.agent.pid, tip))
        if proof is None:
            return None  # a login without an identity here (a shared role login): an open join
        offset, record = proof
        lookup.remember(login, offset, record)  # our own join needs no lookup
        self.proof_acked_at = time.monotonic()
        return login, offset

    def send(self, action: Action | None) -> None:
        if action is None or self.producer is None:
            return
        if not self.producer.send(self.topic, record_key(action.pid), encode(action)):
            self.send_refused += 1

    def read_log(self) -> None:
        if self.reader is None:
            return
        batch = 20_000 if self.state == "loading" else 2_000
        now_ms = time.monotonic() * 1000
        records = self.reader.poll(batch, 0)
        if records:
            self.replica.saw(records[-1].ts)  # one proof lookup answers the whole batch
        for record in records:
            action, outcome = self.replica.read(record.offset, record.ts, record.key, record.value)
            if action is None or outcome is None:
                continue
            if action.pid == self.agent.pid:
                self.agent.on_own_record(action, outcome, self.replica.world)
            if outcome.events and self.state != "loading":
                self.scene.on_events(outcome.events, now_ms, self.replica.world)
        if self.state == "loading" and self.replica.offset + 1 >= self.load_target:
            refusal = rules_refusal(self.replica.world.rules, self.options.match)
            if refusal is not None:  # never join a world this client would fold differently
                self.refuse(refusal)
                return
            if self.proof is not None and time.monotonic() < self.proof_acked_at + PROOF_WAIT_S:
                return  # a join must follow its proof by more than the lead: a frame or two more
            match_map = self.replica.world.map
            if match_map is not None and match_map.name != self.agent.map_name:
                self.adopt_map(match_map)  # a running match keeps the map it started with
            self.state = "joining"
            self.timings["join_sent_s"] = round(time.monotonic() - self.created, 3)
            if self.proof is not None:  # on this server, your login is your name
                self.agent.name, self.agent.proof_at = self.proof
            self.send(self.agent.join())

    def refuse(self, message: str) -> None:
        self.refused_at = time.monotonic()
        self.message = message
        self.exit_code = 2
        self.state = "refused"

    def adopt_map(self, tile_map: TileMap) -> None:
        self.tile_map = tile_map
        self.agent.map_name = tile_map.name
        self.scene = Scene(tile_map)
        if not self.options.headless:
            self.scene.enable_sound(self.agent.pid)
        if self.autopilot is not None:
            self.autopilot.tile_map = tile_map

    # --- the frame ---

    def handle_input(self, dt_ms: float) -> None:
        if self.autopilot is not None:
            intent = self.autopilot.intent(
                self.agent.now_ms(), self.agent.x, self.agent.y, self.replica.world
            )
        else:
            keys = pygame.key.get_pressed()
            intent = Intent(
                direction=(
                    sum(v[0] for k, v in KEYS_MOVE.items() if keys[k]),
                    sum(v[1] for k, v in KEYS_MOVE.items() if keys[k]),
                ),
                attack=bool(keys[pygame.K_SPACE]),
                use=self._use_pressed,
            )
        self._use_pressed = False
        for action in self.agent.act(intent, self.replica.world, dt_ms):
            self.send(action)

    _use_pressed = False

    def display_positions(self, dt_ms: float) -> dict[int, tuple[float, float]]:
        """Me where I predict I am; others gliding toward where the log says they are."""
        positions: dict[int, tuple[float, float]] = {}
        step = SMOOTH_SPEED_PX_MS * dt_ms
        for pid, player in self.replica.world.players.items():
            tx, ty = player.x / UNITS_PER_PX, player.y / UNITS_PER_PX
            if pid == self.agent.pid and self.agent.joined:
                positions[pid] = (self.agent.x / UNITS_PER_PX, self.agent.y / UNITS_PER_PX)
                continue
            sx, sy = self.shown.get(pid, (tx, ty))
            ddx, ddy = tx - sx, ty - sy
            dist = (ddx * ddx + ddy * ddy) ** 0.5
            if dist > SMOOTH_SNAP_PX or dist <= step:
                sx, sy = tx, ty
            else:
                sx, sy = sx + ddx / dist * step, sy + ddy / dist * step
            positions[pid] = (sx, sy)
        self.shown = positions
        return positions

    def hud(self, now_ms: float) -> Hud:
        world = self.replica.world
        me = world.players.get(self.agent.pid)
        queued = self._queued_in_outage()
        ok = self.state != "connecting" and queued is None
        status = self.status
        if queued is not None:
            self.outage_frames += 1
            status = f"Kafka unreachable: {queued} actions queued, retrying"
        if self.send_refused:
            status = f"Kafka away too long: {self.send_refused} actions dropped (queue full)"
        elif self.producer is not None and self.producer.throttle_note:
            status = self.producer.throttle_note  # the host's quota holds this client back
        message = self.message
        if not message:
            if self.state == "loading":
                done = self.replica.offset + 1
                message = f"Loading match {self.options.match}: {done}/{self.load_target} records"
            elif self.state == "joining":
                message = f"Joining {self.options.match} as {self.options.name}..."
            elif self.state == "connecting":
                message = "Waiting for Kafka..."
            elif me is not None and not me.alive:
                left = max(0, me.respawn_at - world.clock) / 1000
                message = f"You died - respawning in {left:.1f} s"
        return Hud(
            me=self.agent.pid if self.agent.joined else None,
            status=status,
            status_ok=ok,
            rtt_ms=self.agent.rtt_ms,
            match=self.options.match,
            show_scoreboard=bool(pygame.key.get_pressed()[pygame.K_TAB]),
            show_controls=now_ms < CONTROLS_SHOWN_MS or self._show_controls,
            message=message,
            rank=self.rank,
            match_now=self.match_clock.now(world, time.monotonic() * 1000),
        )

    _show_controls = False

    def update_rank(self, now: float) -> None:
        """This player's rank by score: in a match with rounds, among the players of this round
        (our own world); else among the stats topic's standings of the match when the processor
        has counted us (it also counts those who left), else among our own world's."""
        if now - self._rank_at < RANK_EVERY_S or not self.agent.joined:
            return
        self._rank_at = now
        rounds = bool(self.replica.world.round_ms)  # the standings sum every round: not this one's
        found = None if rounds else stats_rank(self.stats_feed.values, self.options.match, self.options.name)
        if found is not None:
            self.rank, self.rank_source = f"{found[0]}/{found[1]}", "stats"
            return
        found = world_rank(self.replica.world, self.agent.pid)
        if found is not None:
            self.rank, self.rank_source = f"{found[0]}/{found[1]}", "world"

    def _queued_in_outage(self) -> int | None:
        """The actions waiting while Kafka is away; None while it is not."""
        producer = self.producer
        return producer.pending if producer is not None and producer.unreachable else None

    def run(self) -> int:
        pygame.init()
        if not self.options.headless:
            self.scene.enable_sound(self.agent.pid)  # everyone's, your own louder
        width, height = self.scene.size
        flags = 0 if self.options.headless else pygame.SCALED | pygame.RESIZABLE
        screen = pygame.display.set_mode((width, height + HUD_HEIGHT), flags)
        pygame.display.set_caption(f"Kafka Arena - {self.options.name} in {self.options.match}")
        clock = pygame.time.Clock()
        started = time.monotonic()
        running = True
        self.stats_feed.start()
        try:
            while running:
                dt_ms = clock.tick(FPS)
                now = time.monotonic()
                for event in pygame.event.get():
                    if event.type == pygame.QUIT:
                        running = False
                    elif event.type == pygame.KEYDOWN:
                        if event.key == pygame.K_ESCAPE:
                            running = False
                        elif event.key == pygame.K_e:
                            self._use_pressed = True
                        elif event.key == pygame.K_F1:
                            self._show_controls = not self._show_controls
                if self.state == "connecting":
                    self.connect_in_background(now)
                self.read_log()
                if self.state == "joining" and self.agent.joined:
                    self.state = "playing"
                    self.ready_s = round(time.monotonic() - self.created, 3)
                if self.agent.join_rejected and self.refused_at is None:
                    self.refuse(self._refusal())
                if self.refused_at is not None and (
                    self.options.headless or now - self.refused_at > self.options.refusal_shown_s
                ):
                    break
                if self.verifier is not None and self.verifier.mismatch:
                    self.message = self.verifier.mismatch  # loud: the window shows it
                if self.state == "playing":
                    self.handle_input(dt_ms)
                if self.producer is not None:
                    self.producer.poll()
                self.update_rank(now)
                positions = self.display_positions(dt_ms)
                draw_player_frame(
                    screen,
                    self.scene,
                    self.replica.world,
                    now * 1000,
                    positions,
                    self.hud((now - started) * 1000),
                )
                pygame.display.flip()
                self.frames += 1
                if self.options.seconds is not None and now - started >= self.options.seconds:
                    running = False
        except KeyboardInterrupt:
            pass
        finally:
            save_screenshot(screen, self.options.screenshot)
            self.shutdown()
            pygame.quit()
        if self.refused_at is not None:
            print(self.message, file=sys.stderr)
        if self.options.headless:
            summary = self.replica.summary()
            summary.update(
                name=self.agent.name,
                proof_at=self.agent.proof_at,
                pid=self.agent.pid,
                frames=self.frames,
                rtt_ms=self.agent.rtt_ms,
                sent=self.agent.seq,
                state=self.state,
                outage_frames=self.outage_frames,
                delivered=self.producer.delivered if self.producer else 0,
                rank=self.rank,
                rank_source=self.rank_source,
                checkpoint_offset=self.start.checkpoint_offset if self.start else -1,
                ready_s=self.ready_s,
                timings=self.timings,
                identity_lookups=self._lookup_figures(),
                rss_mb=peak_rss_mb(),
                checkpoint_verified=self.verifier.state if self.verifier else None,
            )
            print_summary(summary)
        if self.state == "connecting" and self.exit_code == 0:
            print(self.status, file=sys.stderr)
            return 2
        return self.exit_code

    def _lookup_figures(self) -> dict[str, float] | None:
        lookup = self.replica.identities
        if not isinstance(lookup, IdentityLookup) or not lookup.lookups:
            return None
        return {
            "requests": lookup.lookups,
            "waited_s": round(lookup.lookup_s, 3),
            "undecided": lookup.undecided,
        }

    def _refusal(self) -> str:
        reason = self.agent.join_rejected
        if reason == "name_taken":
            return (
                f"The name {self.agent.name!r} is already playing in match {self.options.match!r}: "
                "pick another with --name"
            )
        if reason == "wrong_rules":
            return rules_refusal(self.replica.world.rules, self.options.match) or (
                f"Match {self.options.match!r} is played under other rules"
            )
        if reason == "no_identity":
            return (
                f"Match {self.options.match!r} admits only players with their own login on this server: "
                "ask the host for one (python -m broker user add NAME), or play another match"
            )
        if reason == "unproven":
            return f"Match {self.options.match!r} could not find the proof of your join: try again"
        if reason == "wrong_map":
            return (
                f"Match {self.options.match!r} is played on another map: "
                "leave out --map or pick another match"
            )
        return f"Could not join match {self.options.match!r}: {reason}"

    def shutdown(self) -> None:
        """Leave the match and flush what is pending, within a bound (Kafka may be away)."""
        self.stats_feed.stop()
        if self.producer is not None:
            if self.agent.joined:
                self.send(self.agent.leave())
            self.producer.flush(3.0)
        if self.reader is not None:
            self.reader.close()
        if isinstance(self.replica.identities, IdentityLookup):
            self.replica.identities.close()
        if self.state == "playing":
            self.state = "left"


def run_player(options: PlayerOptions) -> int:
    return PlayerClient(options).run()


@dataclass(frozen=True, slots=True)
class PlayerResult:
    code: int  # the exit code run_player returns
    refusal: str | None = None  # why the match would not have us (the line shown), None if it did
    reason: str = ""  # the join's rejection reason: name_taken, match_full, wrong_rules, wrong_map


def play_match(options: PlayerOptions) -> PlayerResult:
    """run_player for a caller that goes on after a refusal (the title screen): the refusal is
    returned to it, to say on its own screen, instead of ending the program."""
    client = PlayerClient(options)
    code = client.run()
    if client.refused_at is None:
        return PlayerResult(code)
    return PlayerResult(code, client.message, client.agent.join_rejected or "wrong_rules")


def stats_rank(values: Mapping[str, Any], match: str, name: str) -> tuple[int, int] | None:
    """(rank, players) of `name` among the stats topic's standings of `match`; None when absent."""
    return rank_of(name, match_standings(values, match))


def world_rank(world: World, pid: int) -> tuple[int, int] | None:
    """(rank, players) of `pid` among the players present, ordered as every scoreboard is."""
    player = world.players.get(pid)
    return None if player is None else rank_of(player.name, {p.name: p for p in world.players.values()})
