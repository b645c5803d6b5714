"""Kafka settings: bootstrap servers, security, librdkafka `-X key=value` overrides, from flags,
environment or a config file, built into client configs in one place.

`reader_config` and `producer_config` are the librdkafka settings of the project's readers
and of its action producer: game.kafka's clients build on them, and so do the benchmarks'
raw confluent-kafka baselines, so a baseline compares like with like.
"""

from __future__ import annotations

import argparse
import os
import re
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

DEFAULT_BOOTSTRAP = "localhost:9092"
MATCH_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class KafkaUnavailable(RuntimeError):
    """Kafka cannot be reached or refused us; the message says what to do."""


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    bootstrap: str = DEFAULT_BOOTSTRAP
    overrides: tuple[tuple[str, str], ...] = ()  # librdkafka `-X key=value`, applied last

    def client_config(self, **settings: Any) -> dict[str, Any]:
        # Any, as confluent-kafka types a config: values are strings, numbers and callbacks.
        config: dict[str, Any] = {"bootstrap.servers": self.bootstrap, **settings}
        config.update(self.overrides)
        return config

    def quiet(self) -> KafkaSettings:
        """These settings with librdkafka's own logging off, for clients that report their
        connection trouble themselves."""
        return replace(self, overrides=(("log_level", "0"), *self.overrides))

    def unreachable(self) -> str:
        return (
            f"Kafka is not reachable at {self.bootstrap}: start one with `make broker` "
            "(or `docker compose up -d --wait`), or pass --bootstrap HOST:PORT"
        )


# The match readers': a group of their own (never joined), no commits, from the earliest
# record, and one fetch a frame, however busy the match. With fetch.min.bytes=1 every new record
# answered every waiting fetch, so a match's broker cost grew with players squared (`python -m
# bench fanout`: 40 players cost 72 % of a core, 318 fetches per reader a second). Now:
# - a minimum no frame's records reach (1 MiB) makes the broker hold a fetch until
#   fetch.wait.max.ms, 12 ms, a little under a 60 Hz frame;
# - queued.min.messages=1 stops librdkafka from fetching again while records it fetched wait
#   for the window's next poll, and fetch.queue.backoff.ms=1 lets it fetch again 1 ms after
#   that poll took them (librdkafka's default backoff is a whole second).
# So a window that polls once a frame sends one fetch a frame, answered just before its next
# frame: 55-60 fetches a reader a second at 10 to 100 players, an action on another screen at
# p50 14-16 ms, and 100 players cost the broker 63-70 % of a core where a plain 8 ms wait (up
# to 125 fetches a second) cost 79-87 % (README, Many players in one match). A reader that polls
# continuously (a replay, a catch-up, the spectator's feed) fetches again as soon as it has taken
# the last batch. The price: librdkafka looks at its queue every 1 ms while fetched records wait
# for a poll, and a window drawing slower than 60 Hz gets its records up to a frame later.
FETCH_WAIT_MS = 12
_READER_SETTINGS: dict[str, Any] = {
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "auto.offset.reset": "earliest",
    "socket.nagle.disable": True,
    "fetch.wait.max.ms": FETCH_WAIT_MS,
    "fetch.min.bytes": 1 << 20,
    "queued.min.messages": 1,
    "fetch.queue.backoff.ms": 1,
}
# The action producer's: idempotent, acknowledged by every in-sync replica, out within a frame.
_PRODUCER_SETTINGS: dict[str, Any] = {
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 2,  # leave within a frame, still batching a burst
    "socket.nagle.disable": True,
    "message.timeout.ms": 0,  # never drop a player's action while the client runs
    "queue.buffering.max.messages": 200_000,
}


def reader_config(settings: KafkaSettings, **extra: Any) -> dict[str, Any]:
    """A reader's consumer config (`extra` settings added, the -X overrides still last)."""
    return settings.client_config(**{"group.id": private_group(), **_READER_SETTINGS, **extra})


def producer_config(settings: KafkaSettings, **extra: Any) -> dict[str, Any]:
    """The action producer's config (`extra` settings added, the -X overrides still last)."""
    return settings.client_config(**{**_PRODUCER_SETTINGS, **extra})


# Security settings from the environment, for deployments that keep secrets out of argv.
SECURITY_ENVIRONMENT = {
    "KAFKA_SECURITY_PROTOCOL": "security.protocol",
    "KAFKA_SASL_MECHANISM": "sasl.mechanism",
    "KAFKA_SASL_USERNAME": "sasl.username",
    "KAFKA_SASL_PASSWORD": "sasl.password",
    "KAFKA_SSL_CA_LOCATION": "ssl.ca.location",
}


def add_kafka_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bootstrap",
        help=f"Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS or {DEFAULT_BOOTSTRAP})",
    )
    parser.add_argument(
        "--kafka-config",
        metavar="FILE",
        type=_readable_config,
        default=os.environ.get("KAFKA_CONFIG_FILE"),
        help="librdkafka settings, one key=value a line (e.g. security.protocol, sasl.*); "
        "default $KAFKA_CONFIG_FILE",
    )
    parser.add_argument(
        "-X",
        dest="kafka_overrides",
        action="append",
        type=_override,
        default=[],
        metavar="KEY=VALUE",
        help="a librdkafka setting, as in kcat (repeatable), e.g. -X security.protocol=SASL_SSL",
    )


def settings_from_args(args: argparse.Namespace) -> KafkaSettings:
    """Every setting from its sources, later ones winning: the --kafka-config file, then the
    environment ($KAFKA_BOOTSTRAP_SERVERS and the security variables of SECURITY_ENVIRONMENT),
    then each -X key=value, then --bootstrap; localhost:9092 when none names the servers.
    """
    pairs: list[tuple[str, str]] = []
    config_file = getattr(args, "kafka_config", None)
    if config_file:
        pairs += read_config_file(config_file)
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        pairs.append(("bootstrap.servers", os.environ["KAFKA_BOOTSTRAP_SERVERS"]))
    pairs += [(key, os.environ[name]) for name, key in SECURITY_ENVIRONMENT.items() if os.environ.get(name)]
    pairs += parse_overrides(args.kafka_overrides)
    if args.bootstrap:
        pairs.append(("bootstrap.servers", args.bootstrap))
    named = [value for key, value in pairs if key == "bootstrap.servers"]
    bootstrap = named[-1] if named else DEFAULT_BOOTSTRAP
    return KafkaSettings(bootstrap, tuple((k, v) for k, v in pairs if k != "bootstrap.servers"))


def _override(text: str) -> str:
    """argparse check of one -X, so a typo is one usage line, not a traceback."""
    try:
        parse_overrides([text])
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _readable_config(path: str) -> str:
    try:
        read_config_file(path)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return path


def read_config_file(path: str) -> list[tuple[str, str]]:
    """A properties file of librdkafka settings: key=value lines, '#' comments."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read the Kafka config file {path}: {exc.strerror}") from exc
    pairs = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{path}:{number}: expected key=value, got {line!r}")
        pairs.append((key.strip(), value.strip()))
    return pairs


def parse_overrides(items: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"-X wants KEY=VALUE, got {item!r}")
        pairs.append((key.strip(), value))
    return tuple(pairs)


def private_group() -> str:
    # Readers assign partitions themselves and never commit; a unique group id keeps them
    # from ever sharing state or triggering rebalances with one another.
    return f"arena-reader-{uuid.uuid4().hex[:12]}"
