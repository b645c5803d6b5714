"""A local broker with SASL/SCRAM and ACLs: players may write and read match topics,
spectators may only read them.

Kafka's ACLs guard topics and groups, never what a record says: they keep a spectator from
writing, but cannot stop one player writing another's id into a match. That is what the
game's signed actions are for (game/auth.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

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
    BROKER_SRC,
    LOG4J2_PROPERTIES,
    LocalBroker,
    metadata_answers,
)

MATCH_TOPIC_PREFIX = "arena.match."
# Readers' private groups (game.kafka.settings.private_group); the processors' own group is
# theirs alone, so no player can join it and take matches from it or commit its offsets.
READER_GROUP_PREFIX = "arena-reader-"
STATS_GROUP_PREFIX = "arena-stats"
STATS_TOPIC_PREFIX = "arena.stats"
CHECKPOINT_TOPIC_PREFIX = "arena.checkpoint."


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
        template = Template((BROKER_SRC / "secure.properties").read_text())
        self.config_path.write_text(
            template.substitute(
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
        # Readiness is checked with the admin's login, then the ACLs are put in place.
        super().wait_ready(pid, began, timeout)
        grant_acls(self.bootstrap)


def grant_acls(
    bootstrap: str, timeout: float = 30.0, *, admin_settings: dict[str, str] | None = None
) -> None:
    """Players: read, write and create match topics. Spectators: read them only. The stats
    processor: read match topics, and alone write the stats and checkpoint topics (in its
    transactions), so no checkpoint but its own can reach a reader; everyone reads those.

    The principals are the users' names; `admin_settings` log in as the admin (default: this
    module's development admin over SASL_PLAINTEXT; the LAN broker passes its own, over TLS).
    """

    def allow(
        user: Credentials,
        resource: ResourceType,
        name: str,
        operation: AclOperation,
        pattern: ResourcePatternType = ResourcePatternType.PREFIXED,
    ) -> AclBinding:
        return AclBinding(
            resource,
            name,
            pattern,
            f"User:{user.username}",
            "*",
            operation,
            AclPermissionType.ALLOW,
        )

    topic, group = ResourceType.TOPIC, ResourceType.GROUP
    bindings = [
        allow(PLAYER, topic, MATCH_TOPIC_PREFIX, AclOperation.READ),
        allow(PLAYER, topic, MATCH_TOPIC_PREFIX, AclOperation.WRITE),
        allow(PLAYER, topic, MATCH_TOPIC_PREFIX, AclOperation.CREATE),
        allow(PLAYER, topic, MATCH_TOPIC_PREFIX, AclOperation.DESCRIBE),
        allow(PLAYER, group, READER_GROUP_PREFIX, AclOperation.READ),
        allow(SPECTATOR, topic, MATCH_TOPIC_PREFIX, AclOperation.READ),
        allow(SPECTATOR, topic, MATCH_TOPIC_PREFIX, AclOperation.DESCRIBE),
        allow(SPECTATOR, group, READER_GROUP_PREFIX, AclOperation.READ),
        allow(STATS, topic, MATCH_TOPIC_PREFIX, AclOperation.READ),
        allow(STATS, topic, MATCH_TOPIC_PREFIX, AclOperation.DESCRIBE),
        allow(STATS, group, READER_GROUP_PREFIX, AclOperation.READ),
        allow(STATS, group, STATS_GROUP_PREFIX, AclOperation.READ),
        *(
            allow(STATS, topic, prefix, operation)
            for prefix in (STATS_TOPIC_PREFIX, CHECKPOINT_TOPIC_PREFIX)
            for operation in (
                AclOperation.READ,
                AclOperation.WRITE,
                AclOperation.CREATE,
                AclOperation.DESCRIBE,
            )
        ),
        *(
            allow(STATS, ResourceType.TRANSACTIONAL_ID, "*", operation, ResourcePatternType.LITERAL)
            for operation in (AclOperation.WRITE, AclOperation.DESCRIBE)
        ),
        *(
            allow(user, topic, prefix, operation)
            for user in (PLAYER, SPECTATOR)
            for prefix in (STATS_TOPIC_PREFIX, CHECKPOINT_TOPIC_PREFIX)
            for operation in (AclOperation.READ, AclOperation.DESCRIBE)
        ),
    ]
    login = ADMIN.client_settings() if admin_settings is None else admin_settings
    admin = AdminClient({"bootstrap.servers": bootstrap, **login, "log_level": 0})
    for future in admin.create_acls(bindings, request_timeout=timeout).values():
        future.result(timeout=timeout)


def write_client_config(path: Path, user: Credentials) -> Path:
    """A --kafka-config file for a user of the secure local broker."""
    path.write_text("".join(f"{key}={value}\n" for key, value in user.client_settings().items()))
    return path
