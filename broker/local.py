"""A real single-node KRaft Apache Kafka broker run from the jars in ``.broker/lib``.

Used by ``python -m broker`` and by the test suite (``tests/conftest.py``). The broker runs
detached in its own session so it outlives the command that started it; its pid, rendered
config and log live in the base dir (``.broker`` by default), named by port.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template

REPO_ROOT = Path(__file__).resolve().parent.parent
BROKER_SRC = Path(__file__).resolve().parent
DEFAULT_BASE_DIR = REPO_ROOT / ".broker"
DEFAULT_PORT = 9092
KAFKA_VERSION = "4.1.1"
JAVA_MISSING = (
    "Java 17 is needed for the local broker: install it "
    "(e.g. apt-get install openjdk-17-jre-headless) or use docker compose up -d --wait"
)
JVM_OPTS = (
    "-Xms256m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)

# Log to stdout, which start() sends to broker-PORT.log; the noisiest loggers (config dumps,
# request logs) are kept at WARN.
LOG4J2_PROPERTIES = """\
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.network.name = kafka.network.RequestChannel$
logger.network.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
logger.state.name = state.change.logger
logger.state.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
"""


def request_threads(cores: int | None = None) -> dict[str, int]:
    """The broker's request threads for a machine of `cores` cores (this one's by default).

    Kafka's defaults (3 network and 8 request-handler threads) are sized for a server; a game
    broker's load is many tiny fetches and produces, whose cost is mostly waking threads. On
    the 2-core machines here, 100 players (`python -m bench fanout --players 100`) cost the
    broker 106 % of a core with the defaults, with the machine saturated and delivery p99 at
    63-90 ms, and 72-86 % with 1 and 2 (p99 33-51 ms); 1 and 1 gave 74-80 %, 2 and 2 89-97 %.
    """
    cores = cores or os.cpu_count() or 1
    return {"num.network.threads": max(1, cores // 4), "num.io.threads": max(2, cores // 2)}


def render_properties(name: str, **values: object) -> str:
    """A broker's properties: the template `name` (in broker/) with its ${...} filled in, and
    the request threads sized for this machine."""
    text = Template((BROKER_SRC / name).read_text()).substitute(**values)
    sized = "".join(f"{key}={value}\n" for key, value in request_threads().items())
    return f"{text.rstrip()}\n\n# Request threads sized for this machine (broker/local.py).\n{sized}"


class BrokerError(Exception):
    """A one-line, user-facing reason the broker could not be started or reached."""

    def __init__(self, message: str, exit_code: int = 2, log_tail: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.log_tail = log_tail


@dataclass(frozen=True)
class PortOwner:
    """Who listens on a port, as far as /proc tells."""

    pid: int
    command: str


@dataclass(frozen=True)
class BrokerStatus:
    running: bool
    pid: int | None
    bootstrap: str
    answers: bool


@dataclass(frozen=True)
class StartResult:
    bootstrap: str
    pid: int
    seconds: float
    already_running: bool


def random_cluster_id() -> str:
    """A Kafka Uuid string: 16 random bytes, base64url, no padding (22 chars)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        # Kafka's own generator skips ids starting with '-': they read as CLI flags.
        if not text.startswith("-"):
            return text


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # Like the JVM's server socket: TIME_WAIT leftovers of a stopped broker don't count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_accepts(port: int, host: str = "127.0.0.1", timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def port_owner(port: int) -> PortOwner | None:
    """The process listening on TCP ``port`` (Linux /proc), or None if it can't be told."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(f"socket:[{inode}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fds = list((proc / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target in inodes:
                return PortOwner(int(proc.name), _cmdline(int(proc.name)))
    return None


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def pid_alive(pid: int) -> bool:
    """True if ``pid`` runs and is not a zombie (a stopped child not reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def java_major_version(java: str) -> int | None:
    out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    # Java 8 and older say "1.8.0".
    return int(match.group(2) or 0) if major == 1 else major


def metadata_answers(bootstrap: str, timeout: float = 3.0, **settings: str) -> bool:
    """True if the broker answers a metadata request and lists itself."""
    from confluent_kafka.admin import AdminClient  # lazy: `stop` must not need it

    # log_level 0: a broker that is still coming up must not spam librdkafka errors.
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0, **settings})
    try:
        metadata = admin.list_topics(timeout=timeout)
    except Exception:  # any KafkaException means "not yet"
        return False
    return bool(metadata.brokers)


class LocalBroker:
    """One local broker, identified by its port, with its files under ``base_dir``."""

    jvm_opts: tuple[str, ...] = JVM_OPTS
    # Where the client listener binds, and the address this computer reaches it at.
    bind_host = "127.0.0.1"
    host = "127.0.0.1"

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        base_dir: Path | str = DEFAULT_BASE_DIR,
        *,
        controller_port: int | None = None,
        lib_dir: Path | str | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        self.port = port
        self.controller_port = controller_port if controller_port is not None else port + 1
        self.base_dir = Path(base_dir).resolve()
        # Jars are shared by every broker (tests use their own base dir but the same jars).
        self.lib_dir = Path(lib_dir).resolve() if lib_dir else DEFAULT_BASE_DIR / "lib"
        self.say = say
        self.data_dir = self.base_dir / "data" / str(port)
        self.config_path = self.base_dir / f"server-{port}.properties"
        self.log_path = self.base_dir / f"broker-{port}.log"
        self.pid_path = self.base_dir / f"broker-{port}.pid"
        self.log4j_path = self.base_dir / "log4j2.properties"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    # -- state -----------------------------------------------------------------------------

    def pid(self) -> int | None:
        """Pid of our broker if it is running, else None (a stale pid file is removed)."""
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None
        if self._proc is not None and self._proc.pid == pid:
            self._proc.poll()  # reap our own child so it can't linger as a zombie
        # The pid may have been reused: it's ours only if it runs kafka.Kafka on our config.
        cmd = _cmdline(pid)
        if pid_alive(pid) and "kafka.Kafka" in cmd and str(self.config_path) in cmd:
            return pid
        self.reap()
        self.pid_path.unlink(missing_ok=True)
        return None

    def reap(self, timeout: float = 10.0) -> None:
        """Collect the exit status of our child once it has died (it's then no zombie)."""
        proc = self._proc
        if proc is None or pid_alive(proc.pid):
            return
        # A killed JVM's main thread shows as a zombie while its other threads still exit, and
        # poll() can't collect it until they have: wait for it.
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return
        self._proc = None

    def answers(self, timeout: float = 3.0) -> bool:
        """True when the broker answers a metadata request (as a client of it would ask)."""
        return metadata_answers(self.bootstrap, timeout)

    def status(self) -> BrokerStatus:
        pid = self.pid()
        answers = pid is not None and port_accepts(self.port, self.host) and self.answers()
        return BrokerStatus(pid is not None, pid, self.bootstrap, answers)

    # -- start -----------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> str:
        """Start the broker (or find it running) and return its bootstrap address."""
        return self.start_verbose(timeout).bootstrap

    def start_verbose(self, timeout: float = 60.0) -> StartResult:
        began = time.monotonic()
        pid = self.pid()
        if pid is not None:
            # Idempotent: our broker is up already (or still coming up: wait for it).
            self.wait_ready(pid, began, timeout)
            return StartResult(self.bootstrap, pid, time.monotonic() - began, True)
        java = self.check_java()
        self.check_ports()
        self.ensure_jars()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self._write_config()
        self._format_storage(java)
        pid = self.launch(java)
        self.wait_ready(pid, began, timeout)
        return StartResult(self.bootstrap, pid, time.monotonic() - began, False)

    def check_java(self) -> str:
        java = shutil.which("java")
        if java is None:
            raise BrokerError(JAVA_MISSING)
        major = java_major_version(java)
        if major is not None and major < 17:
            raise BrokerError(f"found Java {major} at {java}, but " + JAVA_MISSING)
        return java

    def check_ports(self) -> None:
        ports = ((self.port, "broker", self.bind_host), (self.controller_port, "controller", "127.0.0.1"))
        for port, role, host in ports:
            if port_is_free(port, host):
                continue
            raise BrokerError(f"port {port} (the {role} port) on {host} is taken" + _advice(port))

    def ensure_jars(self) -> None:
        # The jars are a pure function of broker/pom.xml: fetch again only when it changed.
        stamp = self.lib_dir / ".pom.sha256"
        want = hashlib.sha256((BROKER_SRC / "pom.xml").read_bytes()).hexdigest()
        if _has_jars(self.lib_dir) and _read(stamp) in (want, ""):
            if not stamp.exists():
                stamp.write_text(want)  # jars copied by hand from this pom: adopt them
            return
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError(
                f"no Kafka jars in {self.lib_dir} and no `mvn` to fetch them: install Maven "
                "(e.g. apt-get install maven) or use docker compose up -d --wait"
            )
        self.say(
            f"fetching the Apache Kafka {KAFKA_VERSION} jars from Maven Central "
            f"into {self.lib_dir} (first time only)"
        )
        # Into a fresh dir, swapped in only when complete: no half-filled or stale lib.
        fresh = self.lib_dir.with_name(self.lib_dir.name + ".new")
        shutil.rmtree(fresh, ignore_errors=True)
        argv = [
            mvn,
            "-q",
            "-B",
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={fresh}",
        ]
        done = subprocess.run(argv, cwd=BROKER_SRC, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not _has_jars(fresh):
            raise BrokerError(
                "mvn could not fetch the Kafka jars (exit "
                f"{done.returncode}); run `cd broker && mvn -B dependency:copy-dependencies "
                f"-DincludeScope=runtime -DoutputDirectory={self.lib_dir}` to see why",
                log_tail=tail(done.stdout + done.stderr),
            )
        (fresh / ".pom.sha256").write_text(want)
        shutil.rmtree(self.lib_dir, ignore_errors=True)
        fresh.rename(self.lib_dir)

    def _write_config(self) -> None:
        self.config_path.write_text(
            render_properties(
                "server.properties",
                port=self.port,
                controller_port=self.controller_port,
                data_dir=self.data_dir,
            )
        )
        self.log4j_path.write_text(LOG4J2_PROPERTIES)

    # Extra StorageTool arguments (the secure broker adds its SCRAM users here).
    format_extra: tuple[str, ...] = ()
    # Reuse formatted storage across restarts (the secure broker formats anew each start).
    keep_storage = True

    def _format_storage(self, java: str) -> None:
        # The standalone quorum records the controller endpoint at format time, so storage
        # formatted for another controller port is scratch: wipe and format again.
        marker = self.data_dir / ".controller-port"
        formatted = (self.data_dir / "meta.properties").exists()
        same_quorum = marker.exists() and marker.read_text() == str(self.controller_port)
        if self.keep_storage and formatted and same_quorum:
            return
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True)
        argv = [
            *self.java_argv(java),
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            random_cluster_id(),
            "--config",
            str(self.config_path),
            "--standalone",
            *self.format_extra,
        ]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BrokerError(
                f"formatting the broker storage in {self.data_dir} failed (exit {done.returncode})",
                log_tail=tail(done.stdout + done.stderr),
            )
        marker.write_text(str(self.controller_port))

    def java_argv(self, java: str) -> list[str]:
        """The JVM command line up to the main class: this broker's jars and logging."""
        return [
            java,
            *self.jvm_opts,
            f"-Dlog4j2.configurationFile={self.log4j_path}",
            "-cp",
            str(self.lib_dir / "*"),
        ]

    def launch(self, java: str) -> int:
        argv = [*self.java_argv(java), "kafka.Kafka", str(self.config_path)]
        with open(self.log_path, "wb") as log, open(os.devnull, "rb") as devnull:
            # New session: the broker outlives this command and ignores its Ctrl-C.
            self._proc = subprocess.Popen(
                argv,
                stdin=devnull,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.base_dir,
                start_new_session=True,
            )
        self.pid_path.write_text(f"{self._proc.pid}\n")
        return self._proc.pid

    def wait_ready(self, pid: int, began: float, timeout: float) -> None:
        deadline = began + timeout
        while time.monotonic() < deadline:
            if self._proc is not None:
                self._proc.poll()
            if not pid_alive(pid):
                if self._proc is not None and self._proc.pid == pid:
                    self._proc.wait(timeout=10)
                    self._proc = None
                self.pid_path.unlink(missing_ok=True)
                log = _read(self.log_path)
                raise BrokerError(
                    f"the broker (pid {pid}) exited while starting{_cause(log)}: see {self.log_path}",
                    exit_code=1,
                    log_tail=tail(log),
                )
            # Wait for the listener first: librdkafka would otherwise retry in the background.
            if port_accepts(self.port, self.host) and self.answers(timeout=2.0):
                return
            time.sleep(0.2)
        raise BrokerError(
            f"the broker (pid {pid}) did not answer on {self.bootstrap} within {timeout:.0f}s: "
            f"see {self.log_path}, or `python -m broker stop --port {self.port}`",
            exit_code=1,
            log_tail=tail(_read(self.log_path)),
        )

    # -- stop ------------------------------------------------------------------------------

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop our broker: SIGTERM, then SIGKILL after ``timeout``. False if none ran."""
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        if not self.wait_exit(pid, timeout):
            os.kill(pid, signal.SIGKILL)
            self.wait_exit(pid, 10.0)
        self.pid_path.unlink(missing_ok=True)
        if self._proc is not None and self._proc.pid == pid:
            self._proc.wait(timeout=10)  # reap our child: no zombie, no ResourceWarning
        self._proc = None
        return True

    def wait_exit(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.pid == pid:
                self._proc.poll()
            if not pid_alive(pid):
                return True
            time.sleep(0.1)
        return False


def _advice(port: int) -> str:
    """Who holds ``port`` and what to do about it, as the tail of a one-line error."""
    other = f"or start on another port with --port {port + 100}"
    owner = port_owner(port)
    if owner is None:
        return f" (by a process not visible here): stop it, {other}"
    ours = re.search(r"kafka\.Kafka .*server-(\d+)\.properties", owner.command)
    if ours:
        n = ours.group(1)
        return (
            f" by the local broker for port {n} (pid {owner.pid}): "
            f"`python -m broker stop --port {n}`, {other}"
        )
    if "docker" in owner.command:
        return f" by docker (pid {owner.pid}): `docker compose down`, {other}"
    return f" by pid {owner.pid} ({owner.command[:60]}): stop it, {other}"


def _has_jars(lib_dir: Path) -> bool:
    return any(lib_dir.glob("kafka_2.13-*.jar")) and any(lib_dir.glob("kafka-clients-*.jar"))


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _cause(log: str) -> str:
    """The exception message of the broker's last fatal error, as ' (...)', if it logged one."""
    lines = log.splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if " ERROR " in lines[i] or " FATAL " in lines[i]:
            following = lines[i + 1] if i + 1 < len(lines) else ""
            # The exception line right after "Exiting Kafka due to fatal exception" says why.
            why = following if re.match(r"^[\w.$]+(Exception|Error)\b", following) else lines[i]
            return f" ({why.strip()[:240]})"
    return ""


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
