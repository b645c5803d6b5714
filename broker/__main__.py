"""``python -m broker [cluster] start|stop|status [--port 9092] [--dir .broker]``.

Without ``cluster`` (or ``--cluster``) it runs the single broker; with it, the three-node
cluster of ``broker/cluster.py``, whose ``--port`` is the base port (default 19192).
``--secure`` runs the single broker with SASL/SCRAM logins and ACLs (``broker/secure.py``).
``--lan`` hosts a game for friends on other computers (``broker/lan.py``): on the network,
TLS + SCRAM + ACLs + quotas, and it prints what each friend runs to join.
``user add NAME|list|remove NAME [--secure|--lan]`` keeps per-player accounts on either
(``broker/accounts.py``): a login of their own and an identity topic only it may write.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from confluent_kafka import KafkaException

from broker.accounts import AccountHost, Accounts
from broker.cluster import CLUSTER_BASE_PORT, LocalCluster
from broker.lan import LAN_PORT, LanBroker, shown_path
from broker.local import DEFAULT_BASE_DIR, DEFAULT_PORT, KAFKA_VERSION, BrokerError, LocalBroker
from broker.secure import SecureBroker
from game.kafka.identity import identity_topic

SECURE_PORT = 9192

ACTIONS = ("start", "stop", "status")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["user"]:
        return user_main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m broker",
        description=(
            f"Run a local KRaft Apache Kafka {KAFKA_VERSION} broker, or a three-node cluster "
            "(`cluster start`: brokers on ports BASE..BASE+2, controllers on BASE+3..BASE+5)."
        ),
    )
    parser.add_argument("command", choices=(*ACTIONS, "cluster", "user"), help="`user --help`: accounts")
    parser.add_argument("action", nargs="?", choices=ACTIONS, help="after `cluster`")
    parser.add_argument("--cluster", action="store_true", help="the same as `cluster ACTION`")
    parser.add_argument(
        "--secure",
        action="store_true",
        help="SASL/SCRAM logins and ACLs (users admin, player, spectator; default port 9192)",
    )
    parser.add_argument(
        "--lan",
        action="store_true",
        help=f"host a game for other computers: on the network, TLS + logins + ACLs + quotas "
        f"(default port {LAN_PORT}); prints what each friend runs",
    )
    parser.add_argument(
        "--advertise",
        metavar="HOST",
        help="with --lan: the address friends reach this computer at "
        "(default: this computer's address on its default route)",
    )
    parser.add_argument(
        "--bind",
        metavar="ADDRESS",
        help="with --lan: the address the broker listens on (default 0.0.0.0, every interface)",
    )
    parser.add_argument(
        "--port",
        type=int,
        help=f"broker port (default {DEFAULT_PORT}), or the cluster's base port ({CLUSTER_BASE_PORT})",
    )
    parser.add_argument("--controller-port", type=int, default=None, help="KRaft controller port (port+1)")
    parser.add_argument("--dir", type=Path, default=DEFAULT_BASE_DIR, help="state directory")
    parser.add_argument("--timeout", type=float, help="seconds to wait on start (60, cluster 120)")
    args = parser.parse_args(argv)
    if args.command == "user":
        parser.error("`user` goes first: python -m broker user add|list|remove [NAME] [--secure|--lan]")
    if args.command == "cluster":
        if args.action is None:
            parser.error("`cluster` wants an action: start, stop or status")
        args.command, args.cluster = args.action, True
    elif args.action is not None:
        parser.error(f"unexpected {args.action!r} after {args.command!r}")
    if sum((args.cluster, args.secure, args.lan)) > 1:
        parser.error("pick one of cluster, --secure and --lan")
    if (args.advertise or args.bind) and not args.lan:
        parser.error("--advertise and --bind go with --lan")

    try:
        if args.cluster:
            base = args.port or CLUSTER_BASE_PORT
            cluster = LocalCluster(base, args.dir / f"cluster-{base}")
            if args.command == "start":
                return _cluster_start(cluster, args.timeout or 120.0)
            if args.command == "stop":
                return _cluster_stop(cluster)
            return _cluster_status(cluster)
        if args.lan:
            lan = LanBroker(
                args.port or LAN_PORT,
                args.dir / "lan",
                bind=args.bind,
                advertise=args.advertise,
                controller_port=args.controller_port,
            )
            if args.command == "start":
                return _lan_start(lan, args.timeout or 90.0)
            broker: LocalBroker = lan
        elif args.secure:
            broker = SecureBroker(
                args.port or SECURE_PORT, args.dir / "secure", controller_port=args.controller_port
            )
        else:
            broker = LocalBroker(args.port or DEFAULT_PORT, args.dir, controller_port=args.controller_port)
        args.timeout = args.timeout or 60.0
        if args.command == "start":
            return _start(broker, args.timeout)
        if args.command == "stop":
            return _stop(broker)
        return _status(broker)
    except BrokerError as err:
        if err.log_tail:
            print(err.log_tail, file=sys.stderr)
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


def user_main(argv: list[str]) -> int:
    """``python -m broker user add NAME | list | remove NAME [--secure|--lan]``."""
    parser = argparse.ArgumentParser(
        prog="python -m broker user",
        description=(
            "Per-player accounts on the LAN broker (default) or the secure one: a SCRAM login of "
            "their own, the identity topic arena.id.NAME only that login may write, and what the "
            "shared `player` login may do. `add` writes the friend's --kafka-config file and "
            "prints the command they run."
        ),
    )
    parser.add_argument("action", choices=("add", "list", "remove"))
    parser.add_argument("name", nargs="?", help="the account (1-16 letters, digits, '-' or '_')")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--secure", action="store_true", help=f"the secure local broker (port {SECURE_PORT})")
    where.add_argument("--lan", action="store_true", help=f"the LAN broker hosted here (port {LAN_PORT})")
    parser.add_argument("--port", type=int, help="the broker's port")
    parser.add_argument("--dir", type=Path, default=DEFAULT_BASE_DIR, help="state directory")
    parser.add_argument(
        "--password", help="with add: this password, not a random one (your shell's history keeps it)"
    )
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds to wait on the broker")
    args = parser.parse_args(argv)
    if args.action in ("add", "remove") and not args.name:
        parser.error(f"`user {args.action}` wants the account's NAME")
    if args.action == "list" and args.name:
        parser.error(f"unexpected {args.name!r} after `user list`")
    if args.password is not None and args.action != "add":
        parser.error("--password goes with `user add`")
    try:
        if args.secure:
            host = AccountHost.secure(args.port or SECURE_PORT, args.dir / "secure")
        else:
            host = AccountHost.lan(LanBroker(args.port or LAN_PORT, args.dir / "lan"))
        accounts = Accounts(host, args.timeout)
        if args.action == "list":
            return _user_list(accounts)
        if args.action == "remove":
            accounts.remove(args.name)
            print(
                f"account {args.name} removed from {host.what}: its login and ACLs are gone; its identity "
                f"topic stays (old matches name its proofs), so the name is not given again"
            )
            return 0
        return _user_add(accounts, args.name, args.password)
    except BrokerError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except (KafkaException, TimeoutError) as err:  # the broker went away or stalled mid-way
        reason = err.args[0].str() if isinstance(err, KafkaException) else "no answer in time"
        print(
            f"error: {host.what} did not answer its admin ({reason}): is it running? try again",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130


def _user_add(accounts: Accounts, name: str, password: str | None) -> int:
    host = accounts.host
    path = accounts.add(name, password)
    topic = identity_topic(name)
    bootstrap = host.bootstrap()
    print(f"account {name} created on {host.what} at {bootstrap}: login {name}, identity topic {topic}")
    files = " and ".join(shown_path(file) for file in (path, *host.also_give))
    print(
        f"Give {name} {files} (their login: share it only with them), at the same place in their "
        "clone. Then, from the clone:"
    )
    print(f"  play:  python -m game --bootstrap {bootstrap} --kafka-config {shown_path(path)}")
    return 0


def _user_list(accounts: Accounts) -> int:
    found = accounts.list()
    if not found:
        print(f"no accounts on {accounts.host.what} (`python -m broker user add NAME`)")
    for account in found:
        state = "login" if account.login else "removed (identity topic kept)"
        config = shown_path(account.config) if account.config else "-"
        print(f"{account.name:16}  {state:30}  {config}")
    return 0


def _start(broker: LocalBroker, timeout: float) -> int:
    result = broker.start_verbose(timeout)
    if result.already_running:
        print(f"broker already running (pid {result.pid}), answering on {result.bootstrap}")
    else:
        print(
            f"Apache Kafka {KAFKA_VERSION} broker started in {result.seconds:.1f}s "
            f"(pid {result.pid}, log {broker.log_path})"
        )
    print(result.bootstrap)  # last line: the bootstrap address, for scripts
    return 0


def _lan_start(broker: LanBroker, timeout: float) -> int:
    result = broker.start_verbose(timeout)
    if result.already_running:
        print(f"LAN broker already running (pid {result.pid}), advertised as {result.bootstrap}")
    else:
        print(
            f"Apache Kafka {KAFKA_VERSION} broker for friends started in {result.seconds:.1f}s "
            f"(pid {result.pid}, log {broker.log_path}): TLS + SCRAM logins on "
            f"{broker.bind_host}:{broker.port}, advertised as {result.bootstrap}"
        )
    if not broker.advertised_reachable():
        print(
            f"warning: this computer cannot connect to {result.bootstrap}, the address the broker "
            "advertises: friends will not reach it either. Start it again with --advertise HOST "
            "(an address of this computer they can reach)",
            file=sys.stderr,
        )
    join = shown_path(broker.join_dir)
    print(
        f"Give each friend the folder {join} (their login and the CA certificate: share it only "
        f"with them; spectators need only ca.pem and spectator.properties), at the same place in "
        "their clone. Then, from the clone:"
    )
    for who, command in broker.join_commands():
        print(f"  {who + ':':7}{command}")
    stats = shown_path(broker.client_config_path("stats"))
    print(f"  {'stats:':7}python -m game.stats --bootstrap {result.bootstrap} --kafka-config {stats}  (here)")
    print(result.bootstrap)  # last line: the bootstrap address, for scripts
    return 0


def _stop(broker: LocalBroker) -> int:
    pid = broker.pid()
    if pid is None:
        print(f"no broker running on port {broker.port}")
        return 0
    broker.stop()
    print(f"broker stopped (pid {pid}, port {broker.port})")
    return 0


def _status(broker: LocalBroker) -> int:
    status = broker.status()
    if not status.running:
        print(f"not running (port {broker.port})")
        return 1
    answers = "answers metadata" if status.answers else "does NOT answer metadata"
    print(f"running: pid {status.pid}, {status.bootstrap}, {answers}")
    return 0 if status.answers else 1


def _cluster_start(cluster: LocalCluster, timeout: float) -> int:
    result = cluster.start_verbose(timeout)
    if result.already_running:
        print(f"cluster already running (pids {_pids(result.pids)})")
    else:
        print(
            f"Apache Kafka {KAFKA_VERSION} three-node cluster started in {result.seconds:.1f}s "
            f"(pids {_pids(result.pids)}, logs in {cluster.base_dir})"
        )
    print(result.bootstrap)  # last line: the bootstrap list, for scripts
    return 0


def _cluster_stop(cluster: LocalCluster) -> int:
    stopped = cluster.stop()
    if not stopped:
        print(f"no cluster node running (base port {cluster.base_port})")
    else:
        print(f"cluster stopped (nodes {', '.join(map(str, stopped))}, base port {cluster.base_port})")
    return 0


def _cluster_status(cluster: LocalCluster) -> int:
    statuses = cluster.status()
    for node_id, status in statuses.items():
        if not status.running:
            print(f"node {node_id}: not running ({status.bootstrap})")
            continue
        answers = "answers metadata" if status.answers else "does NOT answer metadata"
        print(f"node {node_id}: pid {status.pid}, {status.bootstrap}, {answers}")
    print(cluster.bootstrap)
    return 0 if all(s.answers for s in statuses.values()) else 1


def _pids(pids: dict[int, int]) -> str:
    return ", ".join(f"{node_id}:{pid}" for node_id, pid in pids.items())


if __name__ == "__main__":
    sys.exit(main())
