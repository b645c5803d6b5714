"""Per-player accounts on the secure broker (`python -m broker user add|list|remove --secure`):
each login alone writes its identity topic `arena.id.<login>`, reads everyone's, and plays
matches as the shared `player` login does. The accounts are made with the command, as a host
makes them, and the tests log in with the config file it wrote."""

from __future__ import annotations

import shlex
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from broker.secure import ADMIN, PLAYER, SPECTATOR, Credentials
from game.kafka import KafkaSettings, MatchReader, ensure_match_topic, read_config_file
from game.kafka.identity import identity_topic
from tests.helpers import ROOT, run_program


@dataclass(frozen=True)
class Made:
    name: str
    config: Path  # the --kafka-config file `user add` wrote
    printed: str

    def settings(self) -> dict[str, str]:
        return dict(read_config_file(str(self.config)))


def user(bootstrap: str, state: Path, *args: str) -> tuple[int, str, str]:
    """`python -m broker user ARGS --secure` against the test broker; (exit code, out, err)."""
    port = bootstrap.rsplit(":", 1)[1]
    done = run_program("broker", "user", *args, "--secure", "--port", port, "--dir", str(state), timeout=60)
    return done.returncode, done.stdout, done.stderr


def add(bootstrap: str, state: Path, name: str) -> Made:
    code, out, err = user(bootstrap, state, "add", name)
    assert code == 0, err
    line = next(line for line in out.splitlines() if line.strip().startswith("play:"))
    argv = shlex.split(line.split(":", 1)[1])
    assert argv[:3] == ["python", "-m", "game"] and argv[argv.index("--bootstrap") + 1] == bootstrap
    return Made(name, ROOT / argv[argv.index("--kafka-config") + 1], out)


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("accounts")


@pytest.fixture(scope="module")
def pair(secure_bootstrap: str, state: Path) -> Iterator[tuple[Made, Made]]:
    """Two accounts, ann and bob (made unique to this run)."""
    tag = uuid.uuid4().hex[:6]
    yield add(secure_bootstrap, state, f"ann-{tag}"), add(secure_bootstrap, state, f"bob_{tag}")


def write(bootstrap: str, login: dict[str, str], topic: str, value: bytes) -> KafkaError | None:
    """Produce one record with a login; the delivery error (None: written)."""
    reports: list[KafkaError | None] = []
    producer = Producer(
        {"bootstrap.servers": bootstrap, **login, "message.timeout.ms": 10_000, "log_level": 0}
    )
    producer.produce(topic, value, b"k", on_delivery=lambda err, msg: reports.append(err))
    producer.flush(20)
    assert len(reports) == 1
    return reports[0]


def read_all(bootstrap: str, login: dict[str, str], topic: str) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            **login,
            "group.id": "arena-reader-accounts-test",
            "enable.auto.commit": False,
            "log_level": 0,
        }
    )
    try:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        consumer.assign([TopicPartition(topic, 0, 0)])
        values: list[bytes] = []
        while len(values) < high:
            message = consumer.poll(10)
            assert message is not None, f"read {len(values)} of {high} records of {topic}"
            assert message.error() is None, message.error()
            values.append(message.value() or b"")
        return values
    finally:
        consumer.close()


def test_an_account_alone_writes_its_identity_topic_and_everyone_reads_it(
    secure_bootstrap: str, pair: tuple[Made, Made]
) -> None:
    ann, bob = pair
    assert ann.config.stat().st_mode & 0o077 == 0  # the login is its owner's alone
    assert write(secure_bootstrap, ann.settings(), identity_topic(ann.name), b"ann's proof") is None
    assert write(secure_bootstrap, bob.settings(), identity_topic(bob.name), b"bob's proof") is None
    # Nobody writes another's: not another account, not the shared player login.
    for login, topic in (
        (ann.settings(), identity_topic(bob.name)),
        (bob.settings(), identity_topic(ann.name)),
        (PLAYER.client_settings(), identity_topic(ann.name)),
        (SPECTATOR.client_settings(), identity_topic(ann.name)),
    ):
        refused = write(secure_bootstrap, login, topic, b"forged proof")
        assert refused is not None and refused.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, (login, topic)
    # Every reader of matches reads every proof.
    for login in (ann.settings(), PLAYER.client_settings(), SPECTATOR.client_settings()):
        assert read_all(secure_bootstrap, login, identity_topic(bob.name)) == [b"bob's proof"]
    assert read_all(secure_bootstrap, bob.settings(), identity_topic(ann.name)) == [b"ann's proof"]


def test_the_identity_topic_keeps_its_proofs_in_broker_time(
    secure_bootstrap: str, pair: tuple[Made, Made]
) -> None:
    topic = identity_topic(pair[0].name)
    admin = AdminClient({"bootstrap.servers": secure_bootstrap, **ADMIN.client_settings(), "log_level": 0})
    assert len(admin.list_topics(topic, timeout=10).topics[topic].partitions) == 1
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = admin.describe_configs([resource], request_timeout=10)[resource].result(10)
    assert configs["retention.ms"].value == "-1"
    assert configs["retention.bytes"].value == "-1"
    assert configs["message.timestamp.type"].value == "LogAppendTime"


def test_an_account_plays_a_match(secure_bootstrap: str, pair: tuple[Made, Made]) -> None:
    ann, bob = pair
    match = "a" + uuid.uuid4().hex[:8]
    topic = ensure_match_topic(KafkaSettings(secure_bootstrap, tuple(ann.settings().items())), match)
    assert write(secure_bootstrap, ann.settings(), topic, b"ann acts") is None
    assert write(secure_bootstrap, bob.settings(), topic, b"bob acts") is None
    with MatchReader(KafkaSettings(secure_bootstrap, tuple(bob.settings().items())), match) as reader:
        assert reader.end_offset() == 2
    assert read_all(secure_bootstrap, ann.settings(), topic) == [b"ann acts", b"bob acts"]


def test_user_list_shows_the_accounts_and_not_the_brokers_own_users(
    secure_bootstrap: str, state: Path, pair: tuple[Made, Made]
) -> None:
    code, out, err = user(secure_bootstrap, state, "list")
    assert code == 0, err
    names = {line.split()[0] for line in out.splitlines()}
    assert {pair[0].name, pair[1].name} <= names
    assert not names & {"admin", "player", "spectator", "stats"}


def test_a_taken_reserved_or_malformed_name_is_refused_in_one_line(
    secure_bootstrap: str, state: Path, pair: tuple[Made, Made]
) -> None:
    for name, says in (
        (pair[0].name, "is taken"),
        ("player", "broker's own users"),
        ("ANONYMOUS", "broker's own users"),  # a super user's name: never an account's
        ("has.dot", "letters, digits"),
        ("x" * 17, "letters, digits"),
    ):
        code, out, err = user(secure_bootstrap, state, "add", name)
        assert code == 2, (name, out, err)
        assert err.count("\n") == 1 and err.startswith("error: ") and says in err, (name, err)
        assert "Traceback" not in err
    code, _, err = user("127.0.0.1:1", state, "add", "nobody")  # no broker there
    assert code == 2 and err.count("\n") == 1 and "does not answer" in err, err


def test_a_removed_account_can_no_longer_write_and_its_name_stays_taken(
    secure_bootstrap: str, state: Path
) -> None:
    gone = add(secure_bootstrap, state, "gone-" + uuid.uuid4().hex[:6])
    login = gone.settings()
    assert write(secure_bootstrap, login, identity_topic(gone.name), b"proof") is None
    code, out, err = user(secure_bootstrap, state, "remove", gone.name)
    assert code == 0, err
    assert not gone.config.exists()
    refused = write(secure_bootstrap, login, identity_topic(gone.name), b"late proof")
    assert refused is not None  # the login is refused (or, on a live connection, the ACL)
    code, out, err = user(secure_bootstrap, state, "list")
    assert any(line.split()[0] == gone.name and "removed" in line for line in out.splitlines()), out
    # Its proofs stay readable, and its name is not given again.
    assert read_all(secure_bootstrap, SPECTATOR.client_settings(), identity_topic(gone.name)) == [b"proof"]
    code, _, err = user(secure_bootstrap, state, "add", gone.name)
    assert code == 2 and "is taken" in err, err


def test_a_wrong_password_for_an_account_is_refused(secure_bootstrap: str, pair: tuple[Made, Made]) -> None:
    wrong = Credentials(pair[0].name, "not-the-password").client_settings()
    refused = write(secure_bootstrap, wrong, identity_topic(pair[0].name), b"x")
    assert refused is not None
