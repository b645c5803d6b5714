"""Accounts' pure parts: which names may be accounts, the ACLs an account gets, what every
login may do with identity topics, the quotas' scope, and the command line (no broker)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    ResourcePatternType,
    ResourceType,
)

from broker.__main__ import main
from broker.accounts import ACCOUNT_NAME, RESERVED, check_name
from broker.local import BrokerError, LocalBroker
from broker.secure import (
    ADMIN,
    QUOTAS,
    account_acls,
    identity_read_acls,
    player_acls,
    set_user_quotas,
)
from game.core.constants import MAX_NAME_CHARS
from game.kafka.identity import IDENTITY_TOPIC_PREFIX


def shape(binding: AclBinding) -> tuple[object, str, object, str, object]:
    """(resource type, name, pattern type, principal, operation) of an ALLOW from any host."""
    assert binding.host == "*" and binding.permission_type == AclPermissionType.ALLOW
    return (
        binding.restype,
        binding.name,
        binding.resource_pattern_type,
        binding.principal,
        binding.operation,
    )


@pytest.mark.parametrize(
    "name", ["ann", "Bob-2", "x", "under_score", "a" * MAX_NAME_CHARS, "ADMINS", "players"]
)
def test_a_good_name_is_taken_as_is(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "a" * (MAX_NAME_CHARS + 1), "has.dot", "has space", "slash/", "é", "a,b", "a=b", "arena.id.x", "*"],
)
def test_a_name_no_topic_or_login_takes_is_refused_in_one_line(name: str) -> None:
    with pytest.raises(BrokerError) as raised:
        check_name(name)
    assert "\n" not in str(raised.value) and raised.value.exit_code == 2
    assert "letters, digits" in str(raised.value)


@pytest.mark.parametrize(
    "name", ["admin", "player", "spectator", "stats", "Admin", "PLAYER", "ANONYMOUS", "anonymous"]
)
def test_the_brokers_own_users_are_no_ones_account(name: str) -> None:
    with pytest.raises(BrokerError, match="broker's own users"):
        check_name(name)


def test_the_name_rule_is_the_games_cut_to_what_kafka_takes() -> None:
    assert ACCOUNT_NAME.pattern == rf"[A-Za-z0-9_-]{{1,{MAX_NAME_CHARS}}}"
    assert set(RESERVED) >= {"admin", "player", "spectator", "stats", "anonymous"}


def test_an_account_may_do_what_the_player_may_and_write_its_own_identity_topic() -> None:
    bindings = {shape(binding) for binding in account_acls("ann")}
    shared = {shape(binding)[:3] + shape(binding)[4:] for binding in player_acls("User:player")}
    assert {b[:3] + b[4:] for b in bindings if b[1] != "arena.id.ann"} == shared
    assert all(b[3] == "User:ann" for b in bindings)
    own = {b for b in bindings if b[1].startswith(IDENTITY_TOPIC_PREFIX)}
    literal = (ResourceType.TOPIC, "arena.id.ann", ResourcePatternType.LITERAL, "User:ann")
    assert own == {(*literal, AclOperation.WRITE), (*literal, AclOperation.DESCRIBE)}


def test_nothing_but_an_account_writes_an_identity_topic() -> None:
    # Every login reads and describes identity topics; none is granted WRITE or CREATE on
    # the prefix, and an account's WRITE is on its own topic's literal name, never a prefix.
    everyone = {shape(binding) for binding in identity_read_acls()}
    prefixed = (ResourceType.TOPIC, IDENTITY_TOPIC_PREFIX, ResourcePatternType.PREFIXED, "User:*")
    assert everyone == {(*prefixed, AclOperation.READ), (*prefixed, AclOperation.DESCRIBE)}
    for binding in (*player_acls("User:player"), *account_acls("al")):
        restype, name, pattern, _, operation = shape(binding)
        if operation in (AclOperation.WRITE, AclOperation.CREATE, AclOperation.ALL):
            assert not name.startswith("arena.id") or (
                pattern == ResourcePatternType.LITERAL and name == "arena.id.al"
            ), binding
    # The shared player never writes an identity topic.
    assert not any(shape(b)[1].startswith(IDENTITY_TOPIC_PREFIX) for b in player_acls("User:player"))


@pytest.mark.parametrize("keep_storage", [True, False])
def test_quotas_are_each_users_whatever_its_client_ids(
    keep_storage: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = LocalBroker(19999, tmp_path)
    broker.keep_storage = keep_storage
    broker.data_dir.mkdir(parents=True)
    monkeypatch.setattr(broker, "check_java", lambda: "java")
    runs: list[list[str]] = []

    def run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        runs.append(argv)
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(subprocess, "run", run)
    set_user_quotas(broker, "127.0.0.1:19999", ADMIN)
    entities = [argv[argv.index("--alter") + 1 : argv.index("--alter") + 7] for argv in runs]
    add = runs[-1]
    assert add[add.index("--alter") + 1 :] == [
        "--entity-type", "users", "--entity-default",
        "--add-config", ",".join(f"{key}={value}" for key, value in QUOTAS.items()),
    ]  # fmt: skip
    # A (user, client id) default left by an older version would outrank it: removed first
    # from storage that is kept (fresh storage has none), once.
    if keep_storage:
        assert len(runs) == 2 and entities[0][3:] == ["--entity-type", "clients", "--entity-default"]
        assert runs[0][runs[0].index("--delete-config") + 1] == ",".join(QUOTAS)
        runs.clear()
        set_user_quotas(broker, "127.0.0.1:19999", ADMIN)
        assert len(runs) == 1 and "--add-config" in runs[0]
    else:
        assert len(runs) == 1
    login = (tmp_path / "admin-java.properties").read_text()
    assert 'username="admin"' in login and (tmp_path / "admin-java.properties").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["user", "add", "admin", "--secure", "--port", "1"], "broker's own users"),
        (["user", "add", "no.dots", "--secure", "--port", "1"], "letters, digits"),
        (["user", "remove", "player", "--secure", "--port", "1"], "broker's own users"),
    ],
)
def test_a_bad_name_is_refused_before_any_broker_is_asked(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err


@pytest.mark.parametrize(
    "argv",
    [
        ["user", "add"],
        ["user", "remove"],
        ["user", "list", "ann"],
        ["user", "list", "--password", "x"],
        ["user", "add", "ann", "--secure", "--lan"],
        ["user", "rename", "ann"],
        ["--secure", "user"],  # `user` goes first
    ],
)
def test_user_commands_take_what_they_need(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_a_lan_account_wants_a_hosted_broker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "add", "ann", "--lan", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "start it with `python -m broker start --lan`" in err
    assert not (tmp_path / "lan" / "users.json").exists()  # asking makes no passwords
