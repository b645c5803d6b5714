"""How a window's link to a topic stands, and the one place that reads librdkafka's error codes
to tell a missing topic from a broker that cannot be reached, and to say in one line what no
retry will fix: a certificate we do not trust, a login refused, a broker that advertises an
address this computer cannot reach.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from enum import StrEnum

from confluent_kafka import KafkaError, KafkaException

from game.kafka.settings import KafkaUnavailable


class LinkStatus(StrEnum):
    """A background reader's link: its value is the word a headless summary prints."""

    CONNECTING = "connecting"  # not answered yet
    OK = "ok"  # following the topic
    TOPIC_MISSING = "topic_missing"  # the cluster answered: no such topic (yet)
    UNREACHABLE = "unreachable"  # no answer, refused, or any other failure


class TopicMissing(KafkaUnavailable):
    """The cluster answered, and the topic (or its partition) does not exist."""


# KafkaError's _NAMES are librdkafka's local error codes: public, despite the underscore.
MISSING_CODES = frozenset(
    {
        KafkaError._UNKNOWN_PARTITION,  # noqa: SLF001
        KafkaError._UNKNOWN_TOPIC,  # noqa: SLF001
        KafkaError.UNKNOWN_TOPIC_OR_PART,
    }
)


def link_status(error: BaseException | KafkaError) -> LinkStatus:
    """TOPIC_MISSING when the cluster said the topic does not exist, UNREACHABLE for any other
    failure: a KafkaUnavailable is judged by the librdkafka error it was raised from."""
    if isinstance(error, TopicMissing):
        return LinkStatus.TOPIC_MISSING
    while isinstance(error, KafkaUnavailable) and error.__cause__ is not None:
        error = error.__cause__
    if isinstance(error, KafkaException) and error.args:
        error = error.args[0]
    if isinstance(error, KafkaError) and error.code() in MISSING_CODES:
        return LinkStatus.TOPIC_MISSING
    return LinkStatus.UNREACHABLE


# --- one line for what retrying will not fix ---

HOST_COMMAND = "python -m broker start --lan --advertise HOST"
COMPOSE_VARIABLE = "KAFKA_ADVERTISED_HOST"
CA_HINT = "the ca.pem of the folder the host's `python -m broker start --lan` printed"
_AUTH_CODES = frozenset(
    {KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED}  # noqa: SLF001
)
_TLS_CODES = frozenset({KafkaError._SSL, KafkaError._TRANSPORT})  # noqa: SLF001


def untrusted_certificate(errors: Iterable[KafkaError]) -> KafkaError | None:
    """The TLS handshake failure of a broker whose certificate our CA does not vouch for."""
    found = [e for e in errors if e.code() in _TLS_CODES and "certificate verify failed" in e.str()]
    return found[-1] if found else None


def login_refused(errors: Iterable[KafkaError]) -> KafkaError | None:
    """The last failure to authenticate (SASL) among `errors`."""
    found = [e for e in errors if e.code() in _AUTH_CODES or "SASL" in e.str()]
    return found[-1] if found else None


def tls_failed(errors: Iterable[KafkaError]) -> KafkaError | None:
    """The last other TLS failure (e.g. a TLS client at a plaintext listener)."""
    found = [e for e in errors if e.code() == KafkaError._SSL or "SSL" in e.str()]  # noqa: SLF001
    return found[-1] if found else None


def tls_refusal(bootstrap: str, ca_location: str | None) -> str:
    """One line: the broker's TLS certificate is not one our ssl.ca.location trusts."""
    now = f"ssl.ca.location is {ca_location}" if ca_location else "no ssl.ca.location is set"
    return (
        f"Kafka at {bootstrap} has a TLS certificate this client does not trust (certificate verify "
        f"failed; {now}): set ssl.ca.location in your --kafka-config to {CA_HINT}"
    )


def unreadable_ca(bootstrap: str, ca_location: str, error: str) -> str:
    return (
        f"cannot read the CA certificate ssl.ca.location={ca_location} to reach Kafka at {bootstrap} "
        f"({error}): copy {CA_HINT} to that path"
    )


def advertised_refusal(bootstrap: str, advertised: list[str]) -> str:
    """One line: the broker answered at `bootstrap`, but sends clients on to addresses that
    cannot be reached from here (the advertised-listener trap), and how the host fixes it."""
    where = ", ".join(advertised)
    return (
        f"Kafka at {bootstrap} answered, but it advertises {where} as its address and this computer "
        f"cannot connect there: the host must advertise an address the players reach "
        f"(`{HOST_COMMAND}`, or {COMPOSE_VARIABLE}=HOST with docker compose)"
    )


# librdkafka names a broker it learned from metadata `proto://host:port/<node id>` (a bootstrap
# server is `.../bootstrap`): a failure to connect to one means the bootstrap server answered.
_LEARNED_BROKER = re.compile(r"^(?:[a-z_]+://)?(\S+:\d+)/\d+: ")


def unreached_brokers(errors: Iterable[KafkaError]) -> list[str]:
    """host:port of the brokers the cluster advertised that we failed to connect to."""
    found: dict[str, None] = {}
    for error in errors:
        match = _LEARNED_BROKER.match(error.str())
        if match and error.code() == KafkaError._TRANSPORT:  # noqa: SLF001
            found[match.group(1)] = None
    return list(found)


def bootstrap_addresses(bootstrap: str) -> set[str]:
    """host:port of each bootstrap server, without a protocol prefix (`SSL://h:p`)."""
    return {server.strip().split("://")[-1] for server in bootstrap.split(",") if server.strip()}


def unreachable_advertised(bootstrap: str, advertised: list[str], timeout: float = 2.0) -> list[str]:
    """The advertised addresses, when none of them is a bootstrap server and none accepts a
    TCP connection from here; else [] (nothing to say).

    Only checked when they differ from the bootstrap list: a client that bootstraps from every
    broker (the local cluster) pays nothing, and a cluster with one broker down is not blamed.
    """
    if not advertised or bootstrap_addresses(bootstrap) & set(advertised):
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(advertised))) as pool:
        if any(pool.map(lambda address: _accepts(address, timeout), advertised)):
            return []
    return advertised


def _accepts(address: str, timeout: float) -> bool:
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False
