"""Per-player accounts: ``python -m broker user add|list|remove`` on the secure and LAN brokers.

An account is a SCRAM-SHA-256 login of its own and an identity topic, ``arena.id.<login>``,
that only that login may write (Kafka's ACLs: WRITE on the LITERAL topic name). What a record
there says is therefore that player's word, and every reader can check it from the log alone:
a player proves its join by writing a proof there (game.kafka.identity). Otherwise an account
may do what the shared ``player`` login may (broker/secure.py player_acls).

The broker's admin does this (the secure broker's development admin, or the LAN broker's
from its users.json), from this computer: the admin's login never leaves it. The new login is
written to a client config file for the friend, owner-only, next to the broker's state.

A removed account loses its login and its ACLs at once (the broker checks ACLs at every
request), but its identity topic stays: the proofs in it are named by the matches they
admitted, and a replay checks them again. Its name is then not given again.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from confluent_kafka import KafkaError, KafkaException

# Imported from where they are defined: confluent_kafka.admin re-exports them only implicitly.
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from broker.lan import LanBroker, shown_path, tls_client_settings
from broker.local import BrokerError
from broker.secure import ADMIN, Credentials, account_acls, properties, write_private
from game.core.constants import MAX_NAME_CHARS
from game.kafka.identity import IDENTITY_TOPIC_PREFIX, identity_topic

# The game's player-name rule (1..MAX_NAME_CHARS printable characters) cut down to what a
# Kafka topic name and a SCRAM user name both take without escaping.
ACCOUNT_NAME = re.compile(rf"[A-Za-z0-9_-]{{1,{MAX_NAME_CHARS}}}")
# The brokers' own principals, in any case: a login named ANONYMOUS would be a super user
# (super.users names User:ANONYMOUS for the PLAINTEXT controller listener).
RESERVED = ("admin", "player", "spectator", "stats", "anonymous")
SCRAM_ITERATIONS = 8192  # Kafka takes 4096..16384 for SHA-256; paid once per login
IDENTITY_TOPIC_CONFIG = {
    # Proofs stay as long as the matches that name them: forever, like a match's log.
    "retention.ms": "-1",
    "retention.bytes": "-1",
    "message.timestamp.type": "LogAppendTime",  # broker time, as in a match
}


def check_name(name: str) -> str:
    """The name, if it may name an account; else a BrokerError saying why in one line."""
    if name.lower() in RESERVED:
        raise BrokerError(
            f"{name!r} is one of the broker's own users ({', '.join(RESERVED)}, in any case): "
            "pick another name for the account"
        )
    if not ACCOUNT_NAME.fullmatch(name):
        raise BrokerError(
            f"an account name is 1-{MAX_NAME_CHARS} letters, digits, '-' or '_' (it names a login "
            f"and the topic {IDENTITY_TOPIC_PREFIX}NAME), not {name!r}"
        )
    return name


@dataclass(frozen=True)
class AccountHost:
    """A broker that keeps accounts, as its admin reaches it and as friends do."""

    what: str  # "the secure broker", "the LAN broker"
    admin_bootstrap: str
    admin_settings: dict[str, str]
    bootstrap: Callable[[], str]  # what friends pass as --bootstrap (asked once it answers)
    client_settings: Callable[[Credentials], dict[str, str]]
    accounts_dir: Path
    start_hint: str  # the command that starts it
    also_give: tuple[Path, ...] = ()  # files a friend needs besides their login (the CA)

    def config_path(self, name: str) -> Path:
        return self.accounts_dir / f"{name}.properties"

    @classmethod
    def secure(cls, port: int, base_dir: Path) -> AccountHost:
        """The secure local broker (or the compose `secure` profile) on 127.0.0.1:port."""
        bootstrap = f"127.0.0.1:{port}"
        return cls(
            "the secure broker",
            bootstrap,
            ADMIN.client_settings(),
            lambda: bootstrap,
            Credentials.client_settings,
            base_dir / "accounts",
            f"python -m broker start --secure --port {port}",
        )

    @classmethod
    def lan(cls, broker: LanBroker) -> AccountHost:
        """The LAN broker this computer hosts: its admin on the loopback listener."""
        if not broker.users_path.exists():
            raise BrokerError(
                f"no LAN broker was hosted from {shown_path(broker.base_dir)} (no users.json): "
                f"start it with `python -m broker start --lan` (or pass --port, --dir)"
            )
        ca = broker.ca_location()
        return cls(
            "the LAN broker",
            broker.internal_bootstrap,
            broker.users().admin.client_settings(),
            lambda: broker.bootstrap,
            lambda user: tls_client_settings(user, ca),
            broker.base_dir / "accounts",
            f"python -m broker start --lan --port {broker.port}",
            (broker.join_dir / "ca.pem",),
        )


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    login: bool  # it has a SCRAM credential (False: removed, its identity topic kept)
    config: Path | None  # its client config file on this computer, if there


class Accounts:
    """Add, list and remove the accounts of one broker, as its admin."""

    def __init__(self, host: AccountHost, timeout: float = 15.0) -> None:
        self.host = host
        self.timeout = timeout
        self._admin: AdminClient | None = None
        self._brokers = 1

    def admin(self) -> AdminClient:
        """The admin client, once the broker has answered it (else one line: start it)."""
        if self._admin is None:
            admin = AdminClient(
                {"bootstrap.servers": self.host.admin_bootstrap, **self.host.admin_settings, "log_level": 0}
            )
            try:
                metadata = admin.list_topics(timeout=min(self.timeout, 5.0))
            except KafkaException:
                raise BrokerError(
                    f"{self.host.what} does not answer its admin at {self.host.admin_bootstrap}: "
                    f"is it running? (start it with `{self.host.start_hint}`)"
                ) from None
            self._admin, self._brokers = admin, max(1, len(metadata.brokers))
        return self._admin

    # -- what there is -------------------------------------------------------------------

    def logins(self) -> set[str]:
        """Every SCRAM login of the broker (its own users included)."""
        # Asked for every user: one future (for some users: a future each).
        future = cast(
            "Future[dict[str, object]]",
            self.admin().describe_user_scram_credentials(request_timeout=self.timeout),
        )
        return set(future.result(timeout=self.timeout))

    def has_login(self, name: str) -> bool:
        futures = cast(
            "dict[str, Future[object]]",
            self.admin().describe_user_scram_credentials([name], request_timeout=self.timeout),
        )
        future = futures[name]
        try:
            future.result(timeout=self.timeout)
        except KafkaException as exc:
            if exc.args[0].code() == KafkaError.RESOURCE_NOT_FOUND:
                return False
            raise
        return True

    def identity_topics(self) -> set[str]:
        """The names whose identity topic exists."""
        topics = self.admin().list_topics(timeout=self.timeout).topics
        prefix = IDENTITY_TOPIC_PREFIX
        return {topic[len(prefix) :] for topic in topics if topic.startswith(prefix)}

    def list(self) -> list[Account]:
        """The accounts (not the broker's own users), by name."""
        with_login = {name for name in self.logins() if name.lower() not in RESERVED}
        names = sorted(with_login | self.identity_topics())
        return [Account(name, name in with_login, self._config_if_here(name)) for name in names]

    def _config_if_here(self, name: str) -> Path | None:
        path = self.host.config_path(name)
        return path if path.exists() else None

    # -- add -----------------------------------------------------------------------------

    def add(self, name: str, password: str | None = None) -> Path:
        """Create the account: identity topic, login, ACLs; write its client config file and
        return its path. A name taken (a login or an identity topic) is refused."""
        check_name(name)
        if password is not None and not password:
            raise BrokerError("--password is empty: leave it out for a random one")
        topic = identity_topic(name)
        if self.has_login(name):
            raise BrokerError(f"the name {name!r} is taken: {self.host.what} has a login {name!r} already")
        if name in self.identity_topics():
            raise BrokerError(self._kept(name))
        self._create_identity_topic(name)  # the one that creates the topic owns the name
        user = Credentials(name, password or secrets.token_urlsafe(18))
        try:
            admin = self.admin()
            upsert = UserScramCredentialUpsertion(
                name,
                ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, SCRAM_ITERATIONS),
                user.password.encode(),
            )
            done = admin.alter_user_scram_credentials([upsert], request_timeout=self.timeout)
            done[name].result(self.timeout)
            for future in admin.create_acls(account_acls(name), request_timeout=self.timeout).values():
                future.result(timeout=self.timeout)
        except KafkaException as exc:
            self._undo(name, topic)
            raise BrokerError(f"could not create the account {name!r}: {exc.args[0].str()}") from None
        path = self.host.config_path(name)
        settings = self.host.client_settings(user)
        write_private(path, properties(settings, f"{name}'s login to Kafka Arena at {self.host.bootstrap()}"))
        return path

    def _kept(self, name: str) -> str:
        return (
            f"the name {name!r} is taken: {identity_topic(name)} exists (the identity topic of an "
            "account, kept after `user remove` so the proofs the matches name stay checkable)"
        )

    def _create_identity_topic(self, name: str) -> None:
        topic = identity_topic(name)
        replicas = min(3, self._brokers)  # as the match topics (game/kafka/topics.py)
        config = {**IDENTITY_TOPIC_CONFIG, "min.insync.replicas": str(max(1, replicas - 1))}
        future = self.admin().create_topics(
            [NewTopic(topic, 1, replicas, config=config)], operation_timeout=self.timeout
        )[topic]
        try:
            future.result(timeout=self.timeout)
        except KafkaException as exc:
            if exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                raise BrokerError(self._kept(name)) from None
            raise BrokerError(f"could not create {topic}: {exc.args[0].str()}") from None

    def _undo(self, name: str, topic: str) -> None:
        """Best effort, after a failed add: no half-made account keeps the name."""
        admin = self.admin()
        try:
            self._revoke(name)
            admin.delete_topics([topic], operation_timeout=self.timeout)[topic].result(self.timeout)
        except KafkaException:
            pass

    # -- remove --------------------------------------------------------------------------

    def remove(self, name: str) -> None:
        """Take the login and its ACLs away (its identity topic stays), and its config file."""
        check_name(name)
        if not self.has_login(name):
            raise BrokerError(f"{self.host.what} has no account {name!r} (`python -m broker user list`)")
        try:
            self._revoke(name)
        except KafkaException as exc:
            raise BrokerError(f"could not remove the account {name!r}: {exc.args[0].str()}") from None
        self.host.config_path(name).unlink(missing_ok=True)

    def _revoke(self, name: str) -> None:
        admin = self.admin()
        if self.has_login(name):
            deletion = UserScramCredentialDeletion(name, ScramMechanism.SCRAM_SHA_256)
            done = admin.alter_user_scram_credentials([deletion], request_timeout=self.timeout)
            done[name].result(self.timeout)
        anything = cast(str, None)  # a filter's None matches every name and host (typed str)
        everything = AclBindingFilter(
            ResourceType.ANY,
            anything,
            ResourcePatternType.ANY,
            f"User:{name}",
            anything,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        for future in admin.delete_acls([everything], request_timeout=self.timeout).values():
            future.result(timeout=self.timeout)
