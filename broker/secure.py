"""A local broker with SASL/SCRAM and ACLs: players may write and read match topics,
spectators may only read them.

Kafka's ACLs guard topics and groups, never what a record says: they keep a spectator from
writing, but cannot stop one player writing another's id into a match. That is what the
game's signed actions are for (game/auth.py).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Imported from where they are defined: confluent_kafka.admin re-exports them only implicitly.
from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from broker.local import (
    LOG4J2_PROPERTIES,
    BrokerError,
    LocalBroker,
    _read,
    metadata_answers,
    render_properties,
    tail,
)
from game.kafka.identity import IDENTITY_TOPIC_PREFIX, identity_topic

MATCH_TOPIC_PREFIX = "arena.match."
# Readers' private groups (game.kafka.settings.private_group); the processors' own group is
# theirs alone, so no player can join it and take matches from it or commit its offsets.
READER_GROUP_PREFIX = "arena-reader-"
STATS_GROUP_PREFIX = "arena-stats"
STATS_TOPIC_PREFIX = "arena.stats"
CHECKPOINT_TOPIC_PREFIX = "arena.checkpoint."
# Client quotas, per user: every client of one login shares them, whatever its client id (a
# login that opened many clients would otherwise get a budget for each). A player sends 2-3
# KB/s (20 moves a second, a batch each), the stats processor's checkpoints a little more.
# The byte rate is also what bounds a join flood's cost to every reader: 64 KiB/s is about
# 3,000 junk joins a second from one login, which a reader rejects in a few percent of a core
# (README, Security); a process of more than ~20 bots needs a login of its own. Fetches are
# bounded by the share of request time, not by a byte rate: a reader
# catching up on a long match reads fast, and spectators sharing one login read together.
QUOTAS = {
    "producer_byte_rate": 64 * 1024,  # bytes/s
    "request_percentage": 50,  # % of one broker request thread's time
}


@dataclass(frozen=True, slots=True)
class Credentials:
    username: str
    password: str

    def client_settings(self) -> dict[str, str]:
        return {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.username": self.username,
            "sasl.password": self.password,
        }


# Development credentials for the loopback-only local broker (say so, never reuse them).
ADMIN = Credentials("admin", "admin-secret")
PLAYER = Credentials("player", "player-secret")
SPECTATOR = Credentials("spectator", "spectator-secret")
STATS = Credentials("stats", "stats-secret")  # the stats processor: the only checkpoint writer


class SecureBroker(LocalBroker):
    """A LocalBroker whose client listener needs SCRAM logins and whose topics need ACLs."""

    def _write_config(self) -> None:
        self.config_path.write_text(
            render_properties(
                "secure.properties",
                port=self.port,
                controller_port=self.controller_port,
                data_dir=self.data_dir,
                admin_user=ADMIN.username,
                admin_password=ADMIN.password,
            )
        )
        self.log4j_path.write_text(LOG4J2_PROPERTIES)

    # SCRAM users are created at format time (KRaft keeps them in the metadata log), so a
    # secure broker starts from freshly formatted storage with its users every time.
    keep_storage = False
    format_extra = tuple(
        arg
        for user in (ADMIN, PLAYER, SPECTATOR, STATS)
        for arg in ("--add-scram", f"SCRAM-SHA-256=[name={user.username},password={user.password}]")
    )

    def answers(self, timeout: float = 3.0) -> bool:
        return metadata_answers(self.bootstrap, timeout, **ADMIN.client_settings())

    def wait_ready(self, pid: int, began: float, timeout: float) -> None:
        # Readiness is checked with the admin's login, then the ACLs and quotas are put in place.
        super().wait_ready(pid, began, timeout)
        grant_acls(self.bootstrap)
        set_user_quotas(self, self.bootstrap, ADMIN)


def allow(
    principal: str,
    resource: ResourceType,
    name: str,
    operation: AclOperation,
    pattern: ResourcePatternType = ResourcePatternType.PREFIXED,
) -> AclBinding:
    """An ALLOW binding from any host."""
    return AclBinding(resource, name, pattern, principal, "*", operation, AclPermissionType.ALLOW)


def player_acls(principal: str) -> list[AclBinding]:
    """What a player may do: read, write, create and describe match topics, read in its private
    reader groups, read (never write) the stats and checkpoint topics."""
    topic, group = ResourceType.TOPIC, ResourceType.GROUP
    return [
        *(
            allow(principal, topic, MATCH_TOPIC_PREFIX, operation)
            for operation in (
                AclOperation.READ,
                AclOperation.WRITE,
                AclOperation.CREATE,
                AclOperation.DESCRIBE,
            )
        ),
        allow(principal, group, READER_GROUP_PREFIX, AclOperation.READ),
        *(
            allow(principal, topic, prefix, operation)
            for prefix in (STATS_TOPIC_PREFIX, CHECKPOINT_TOPIC_PREFIX)
            for operation in (AclOperation.READ, AclOperation.DESCRIBE)
        ),
    ]


def account_acls(login: str) -> list[AclBinding]:
    """A player's account: everything the shared `player` may do, and alone write (and
    describe) its own identity topic, named LITERALLY: account `al` gets nothing on
    `arena.id.alice`. Reading every identity topic is granted to all (grant_acls)."""
    principal = f"User:{login}"
    own = identity_topic(login)
    return [
        *player_acls(principal),
        *(
            allow(principal, ResourceType.TOPIC, own, operation, ResourcePatternType.LITERAL)
            for operation in (AclOperation.WRITE, AclOperation.DESCRIBE)
        ),
    ]


def identity_read_acls() -> list[AclBinding]:
    """Every login may read and describe the identity topics. A wildcard principal, because
    accounts come and go while the broker runs (no binding to add for each reader), and it is
    sound: a proof is published to be checked by every reader of a match, says nothing a
    reader of the match does not see anyway, and the broker's listeners admit only logins
    (SCRAM), so `User:*` is every authenticated user, never an anonymous client. Writing stays
    each account's own (account_acls): no one is granted WRITE or CREATE on the prefix."""
    return [
        allow("User:*", ResourceType.TOPIC, IDENTITY_TOPIC_PREFIX, operation)
        for operation in (AclOperation.READ, AclOperation.DESCRIBE)
    ]


def grant_acls(
    bootstrap: str, timeout: float = 30.0, *, admin_settings: dict[str, str] | None = None
) -> None:
    """Players: read, write and create match topics. Spectators: read them only. The stats
    processor: read match topics, and alone write the stats and checkpoint topics (in its
    transactions), so no checkpoint but its own can reach a reader; everyone reads those.

    The principals are the users' names; `admin_settings` log in as the admin (default: this
    module's development admin over SASL_PLAINTEXT; the LAN broker passes its own, over TLS).
    """

    def role(user: Credentials) -> str:
        return f"User:{user.username}"

    topic, group = ResourceType.TOPIC, ResourceType.GROUP
    bindings = [
        *player_acls(role(PLAYER)),
        *(
            allow(role(user), topic, prefix, operation)
            for user in (SPECTATOR, STATS)
            for prefix in (MATCH_TOPIC_PREFIX, STATS_TOPIC_PREFIX, CHECKPOINT_TOPIC_PREFIX)
            for operation in (AclOperation.READ, AclOperation.DESCRIBE)
        ),
        *(allow(role(user), group, READER_GROUP_PREFIX, AclOperation.READ) for user in (SPECTATOR, STATS)),
        allow(role(STATS), group, STATS_GROUP_PREFIX, AclOperation.READ),
        *(
            allow(role(STATS), topic, prefix, operation)
            for prefix in (STATS_TOPIC_PREFIX, CHECKPOINT_TOPIC_PREFIX)
            for operation in (AclOperation.WRITE, AclOperation.CREATE)
        ),
        *(
            allow(role(STATS), ResourceType.TRANSACTIONAL_ID, "*", operation, ResourcePatternType.LITERAL)
            for operation in (AclOperation.WRITE, AclOperation.DESCRIBE)
        ),
        *identity_read_acls(),
    ]
    login = ADMIN.client_settings() if admin_settings is None else admin_settings
    admin = AdminClient({"bootstrap.servers": bootstrap, **login, "log_level": 0})
    for future in admin.create_acls(bindings, request_timeout=timeout).values():
        future.result(timeout=timeout)


def write_client_config(path: Path, user: Credentials) -> Path:
    """A --kafka-config file for a user of the secure local broker."""
    path.write_text("".join(f"{key}={value}\n" for key, value in user.client_settings().items()))
    return path


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (passwords, keys, logins)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its old mode through os.open


def properties(settings: dict[str, str], comment: str) -> str:
    """A properties file's text: a comment line, then key=value lines."""
    return f"# {comment}\n" + "".join(f"{key}={value}\n" for key, value in settings.items())


def set_user_quotas(broker: LocalBroker, bootstrap: str, admin: Credentials) -> None:
    """QUOTAS as the default quota of every user (all the clients of one login share it), with
    Kafka's own ConfigCommand (librdkafka has no client-quota API), through `bootstrap` where
    `admin` logs in over SASL_PLAINTEXT.

    A (user, client id) default set by an older version of this code would take precedence
    over the per-user one (Kafka applies the most specific entry), so it is removed first."""
    java = broker.check_java()
    login = broker.base_dir / "admin-java.properties"
    jaas = (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{admin.username}" password="{admin.password}";'
    )
    settings = {**admin.client_settings(), "sasl.jaas.config": jaas}
    del settings["sasl.username"], settings["sasl.password"]  # Java takes them in the JAAS line
    write_private(login, properties(settings, "the broker's admin, for Kafka's tools"))

    def configs(*args: str, absent_is_fine: bool = False) -> None:
        argv = [
            *broker.java_argv(java),
            "kafka.admin.ConfigCommand",
            "--bootstrap-server", bootstrap,
            "--command-config", str(login),
            "--alter",
            *args,
        ]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0 and not (absent_is_fine and "Invalid config(s)" in done.stdout + done.stderr):
            raise BrokerError(
                f"setting the client quotas failed (exit {done.returncode})",
                log_tail=tail(done.stdout + done.stderr),
            )

    users = ("--entity-type", "users", "--entity-default")
    # Once per storage (fresh storage holds no quota of an older version, and after this none).
    scope = broker.data_dir / ".quota-scope"
    if broker.keep_storage and _read(scope) != "user":
        pair = (*users, "--entity-type", "clients", "--entity-default")
        configs(*pair, "--delete-config", ",".join(QUOTAS), absent_is_fine=True)
    configs(*users, "--add-config", ",".join(f"{key}={value}" for key, value in QUOTAS.items()))
    if broker.keep_storage:
        scope.write_text("user")
