"""A real three-node KRaft Apache Kafka cluster on loopback, from the same jars as the broker.

Each node is one JVM that is both a broker and a controller voter (node ids 1, 2, 3), so the
controller quorum survives the loss of any one node. With a base port B, node i listens for
clients on B+i-1 and for the quorum on B+i+2 (six consecutive ports). All three storages are
formatted with one cluster id and the same ``--initial-controllers`` list (a KIP-853 dynamic
quorum, like the single broker's ``--standalone``). Files live in ``.broker/cluster-B`` by
default: per node its rendered config, log, pid and data dir, named by its client port.

Used by ``python -m broker cluster start|stop|status`` and by ``tests/integration/test_cluster.py``,
which kills and restarts single nodes through ``kill()`` and ``restart()``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broker.local import (
    DEFAULT_BASE_DIR,
    LOG4J2_PROPERTIES,
    BrokerError,
    BrokerStatus,
    LocalBroker,
    random_cluster_id,
    render_properties,
    tail,
)

CLUSTER_BASE_PORT = 19192
NODE_IDS = (1, 2, 3)
# Three JVMs share the machine (CI runners and laptops may have 2 cores): small heaps, no
# more GC threads than a node needs, and only the quick JIT tier, which halves the cluster's
# start-up on 2 cores (22 s instead of 43 s measured) and is plenty for a game's few hundred
# records a second.
CLUSTER_JVM_OPTS = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:TieredStopAtLevel=1",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:ParallelGCThreads=2",
    "-XX:ConcGCThreads=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)


def default_cluster_dir(base_port: int) -> Path:
    return DEFAULT_BASE_DIR / f"cluster-{base_port}"


def directory_id() -> str:
    """A Kafka directory id: a Uuid like the cluster id (never one starting with '-')."""
    return random_cluster_id()


@dataclass(frozen=True)
class ClusterStartResult:
    bootstrap: str
    pids: dict[int, int]  # node id -> pid
    seconds: float
    already_running: bool


class ClusterNode(LocalBroker):
    """One node of a LocalCluster: a LocalBroker with the cluster's config and formatting."""

    jvm_opts = CLUSTER_JVM_OPTS

    def __init__(
        self,
        node_id: int,
        port: int,
        controller_port: int,
        base_dir: Path,
        quorum_bootstrap: str,
        *,
        lib_dir: Path | str | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        super().__init__(port, base_dir, controller_port=controller_port, lib_dir=lib_dir, say=say)
        self.node_id = node_id
        self.quorum_bootstrap = quorum_bootstrap
        self.marker_path = self.data_dir / ".cluster"

    def _write_config(self) -> None:
        self.config_path.write_text(
            render_properties(
                "cluster.properties",
                node_id=self.node_id,
                port=self.port,
                controller_port=self.controller_port,
                bootstrap_servers=self.quorum_bootstrap,
                data_dir=self.data_dir,
            )
        )
        self.log4j_path.write_text(LOG4J2_PROPERTIES)

    def write_config(self) -> None:
        self._write_config()

    def formatted_for(self, stamp: str) -> bool:
        """True if this node's storage was formatted for the cluster described by ``stamp``."""
        return (self.data_dir / "meta.properties").exists() and _read(self.marker_path) == stamp

    def format_argv(self, java: str, cluster_id: str, initial_controllers: str) -> list[str]:
        """Wipe this node's storage; the StorageTool command that formats it again."""
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        return [
            java,
            # A short-lived tool: the quick JIT tier and a serial GC start fastest.
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xmx256m",
            f"-Dlog4j2.configurationFile={self.log4j_path}",
            "-cp",
            str(self.lib_dir / "*"),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            cluster_id,
            "--config",
            str(self.config_path),
            "--initial-controllers",
            initial_controllers,
        ]


class LocalCluster:
    """Three local nodes (brokers and controller voters) on consecutive loopback ports."""

    def __init__(
        self,
        base_port: int = CLUSTER_BASE_PORT,
        base_dir: Path | str | None = None,
        *,
        lib_dir: Path | str | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.base_port = base_port
        self.base_dir = Path(base_dir or default_cluster_dir(base_port)).resolve()
        self.say = say
        count = len(NODE_IDS)
        controller_ports = {i: base_port + count + i - 1 for i in NODE_IDS}
        quorum = ",".join(f"127.0.0.1:{controller_ports[i]}" for i in NODE_IDS)
        self.nodes: dict[int, ClusterNode] = {
            i: ClusterNode(
                i,
                base_port + i - 1,
                controller_ports[i],
                self.base_dir,
                quorum,
                lib_dir=lib_dir,
                say=say,
            )
            for i in NODE_IDS
        }
        self.state_path = self.base_dir / "cluster.json"
        self._admin_client: Any = None

    @property
    def bootstrap(self) -> str:
        """The client bootstrap list: every node, so any one of them may be down."""
        return ",".join(node.bootstrap for node in self.nodes.values())

    def node(self, node_id: int) -> ClusterNode:
        return self.nodes[node_id]

    def pid(self, node_id: int) -> int | None:
        return self.nodes[node_id].pid()

    def pids(self) -> dict[int, int | None]:
        return {i: node.pid() for i, node in self.nodes.items()}

    def running(self) -> list[int]:
        return [i for i, pid in self.pids().items() if pid is not None]

    def status(self) -> dict[int, BrokerStatus]:
        return {i: node.status() for i, node in self.nodes.items()}

    # -- start -----------------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> str:
        """Start every node that is not running and return the bootstrap list."""
        return self.start_verbose(timeout).bootstrap

    def start_verbose(self, timeout: float = 120.0) -> ClusterStartResult:
        began = time.monotonic()
        before = self.pids()
        down = [i for i, pid in before.items() if pid is None]
        if not down:
            self._wait_cluster(began, timeout)
            return ClusterStartResult(self.bootstrap, self._live_pids(), time.monotonic() - began, True)
        first = self.nodes[NODE_IDS[0]]
        java = first.check_java()
        for i in down:
            self.nodes[i].check_ports()
        first.ensure_jars()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        for node in self.nodes.values():
            node.write_config()
        self._ensure_formatted(java, down)
        pids = {i: self.nodes[i].launch(java) for i in down}
        try:
            # A node answers clients only once the quorum (two of three) has a leader, so
            # all are launched before any is waited for.
            for i, pid in pids.items():
                self.nodes[i].wait_ready(pid, began, timeout)
            self._wait_cluster(began, timeout)
        except BrokerError:
            self.stop()
            raise
        return ClusterStartResult(self.bootstrap, self._live_pids(), time.monotonic() - began, False)

    def _live_pids(self) -> dict[int, int]:
        return {i: pid for i, pid in self.pids().items() if pid is not None}

    def _ensure_formatted(self, java: str, down: list[int]) -> None:
        state = _load_json(self.state_path)
        stamp = f"{state.get('cluster_id')} {state.get('initial_controllers')}"
        if state and all(node.formatted_for(stamp) for node in self.nodes.values()):
            return  # a restart: keep the logs
        if len(down) != len(self.nodes):
            raise BrokerError(
                f"nodes {sorted(set(self.nodes) - set(down))} run on storage that does not "
                f"match {self.state_path}: `python -m broker cluster stop --port {self.base_port}`"
                " and start again"
            )
        # Fresh storage for all three, with one cluster id and one voter set.
        cluster_id = random_cluster_id()
        initial_controllers = ",".join(
            f"{i}@127.0.0.1:{node.controller_port}:{directory_id()}" for i, node in self.nodes.items()
        )
        # Three JVMs at once: formatting one after the other costs seconds each.
        procs = {
            i: subprocess.Popen(
                node.format_argv(java, cluster_id, initial_controllers),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for i, node in self.nodes.items()
        }
        for i, proc in procs.items():
            out, _ = proc.communicate(timeout=120)
            if proc.returncode != 0:
                node = self.nodes[i]
                raise BrokerError(
                    f"formatting the storage of node {i} in {node.data_dir} failed (exit {proc.returncode})",
                    log_tail=tail(out),
                )
        for node in self.nodes.values():
            node.marker_path.write_text(f"{cluster_id} {initial_controllers}")
        self.state_path.write_text(
            json.dumps({"cluster_id": cluster_id, "initial_controllers": initial_controllers})
        )

    def _wait_cluster(self, began: float, timeout: float) -> None:
        """Wait until the metadata lists every running node as a live broker."""
        deadline = began + timeout
        want = set(self.running())
        while time.monotonic() < deadline:
            if want <= self.live_brokers():
                return
            time.sleep(0.2)
        raise BrokerError(
            f"the cluster on {self.bootstrap} did not list brokers {sorted(want)} within "
            f"{timeout:.0f}s: see the logs in {self.base_dir}",
            exit_code=1,
        )

    def restart(self, node_id: int, timeout: float = 60.0) -> int:
        """Start one stopped node again on its existing storage; returns its pid."""
        began = time.monotonic()
        node = self.nodes[node_id]
        pid = node.pid()
        if pid is None:
            java = node.check_java()
            node.check_ports()
            node.write_config()
            pid = node.launch(java)
        node.wait_ready(pid, began, timeout)
        self._wait_cluster(began, timeout)
        return pid

    # -- stop ------------------------------------------------------------------------------

    def kill(self, node_id: int, sig: signal.Signals = signal.SIGKILL, timeout: float = 60.0) -> float:
        """Send ``sig`` to one node and wait for it to exit; returns the seconds that took."""
        node = self.nodes[node_id]
        pid = node.pid()
        if pid is None:
            raise BrokerError(f"node {node_id} (port {node.port}) is not running")
        began = time.monotonic()
        os.kill(pid, sig)
        if not node.wait_exit(pid, timeout):
            raise BrokerError(f"node {node_id} (pid {pid}) did not exit within {timeout:.0f}s")
        node.reap()
        node.pid()  # removes the stale pid file
        return time.monotonic() - began

    def stop(self, timeout: float = 30.0) -> list[int]:
        """Stop every node; returns the ids of those that were running."""
        pids = {i: pid for i, pid in self.pids().items() if pid is not None}
        # SIGTERM all at once: stopped one by one, the last two would each wait for a
        # quorum that is already gone.
        for pid in pids.values():
            os.kill(pid, signal.SIGTERM)
        for i in pids:
            self.nodes[i].stop(timeout)
        self._close_admin()
        return sorted(pids)

    # -- metadata --------------------------------------------------------------------------

    def _admin(self) -> Any:
        from confluent_kafka.admin import AdminClient  # lazy: `stop` must not need it

        if self._admin_client is None:
            # log_level 0: a node that is down must not fill the output with connect errors.
            self._admin_client = AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})
        return self._admin_client

    def _close_admin(self) -> None:
        self._admin_client = None

    def live_brokers(self, timeout: float = 3.0) -> set[int]:
        """The node ids the cluster's metadata lists as brokers (empty if none answers)."""
        try:
            metadata = self._admin().list_topics(timeout=timeout)
        except Exception:  # any KafkaException means "not now"
            return set()
        return set(metadata.brokers)

    def partition(self, topic: str, partition: int = 0, timeout: float = 5.0) -> Any:
        """The metadata of one partition (``leader``, ``replicas``, ``isrs``), or None."""
        try:
            metadata = self._admin().list_topics(topic, timeout=timeout)
        except Exception:
            return None
        found = metadata.topics.get(topic)
        if found is None or found.error is not None:
            return None
        return found.partitions.get(partition)

    def leader_of(self, topic: str, partition: int = 0, timeout: float = 5.0) -> int:
        """The node id leading the partition, or -1 while it has none (or none answers)."""
        meta = self.partition(topic, partition, timeout)
        return -1 if meta is None else int(meta.leader)

    def isr_of(self, topic: str, partition: int = 0, timeout: float = 5.0) -> list[int]:
        meta = self.partition(topic, partition, timeout)
        return [] if meta is None else sorted(meta.isrs)

    def elect_preferred_leader(self, topic: str, partition: int = 0, timeout: float = 15.0) -> None:
        """Hand the partition's leadership back to its first replica (if it is in sync)."""
        from confluent_kafka import ElectionType, KafkaError, TopicPartition

        # No timeout keywords: confluent-kafka 2.16 fails on any keyword to elect_leaders.
        future = self._admin().elect_leaders(ElectionType.PREFERRED, [TopicPartition(topic, partition)])
        for error in future.result(timeout=timeout).values():
            # "Election not needed": the preferred replica leads already.
            if error is not None and error.args[0].code() != KafkaError.ELECTION_NOT_NEEDED:
                raise error

    def topic_config(self, topic: str, timeout: float = 15.0) -> dict[str, str]:
        """The topic's effective configuration, as the brokers report it."""
        from confluent_kafka import KafkaError, KafkaException
        from confluent_kafka.admin import ConfigResource  # re-exported only implicitly

        resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
        deadline = time.monotonic() + timeout
        while True:
            future = self._admin().describe_configs([resource])[resource]
            try:
                entries = future.result(timeout=max(1.0, deadline - time.monotonic()))
            except KafkaException as exc:
                # A topic just created reaches each broker's metadata a moment apart.
                unknown = exc.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART
                if not unknown or time.monotonic() >= deadline:
                    raise
                time.sleep(0.1)
                continue
            return {name: entry.value for name, entry in entries.items()}


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
