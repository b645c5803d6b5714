"""A broker that friends on other computers join: ``python -m broker start --lan``.

It listens on the network (``0.0.0.0``, or ``--bind ADDRESS``) and advertises the address the
others reach this computer at (``--advertise HOST``, else this computer's address on its
default route): a broker that advertised 127.0.0.1 would send every friend back to their own
machine after the first answer. Locked down by default:

- TLS with SCRAM-SHA-256 logins (SASL_SSL). The command makes a certificate authority and a
  broker certificate signed by it, whose subjectAltName holds the advertised address, with
  keytool (Java's, which the broker needs anyway); clients verify the broker against the CA.
- The secure profile's users and ACLs (``broker/secure.py``: players write matches,
  spectators only read), with random passwords made for this computer, never the fixed
  development ones.
- Client quotas per user (all the clients of one login share them): a login that floods is
  slowed down by the broker (produce byte rate, share of request time), the others play on.
- Per-player accounts (``python -m broker user add NAME --lan``, ``broker/accounts.py``):
  a login of their own and an identity topic only that login may write.

Everything a friend needs is written to ``join/`` under the state dir (``.broker/lan``):
a config file per role and the CA certificate. The CA's key and the passwords stay here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import socket
import struct
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from broker.local import (
    DEFAULT_BASE_DIR,
    LOG4J2_PROPERTIES,
    REPO_ROOT,
    BrokerError,
    BrokerStatus,
    LocalBroker,
    StartResult,
    _read,
    metadata_answers,
    port_accepts,
    port_is_free,
    render_properties,
    tail,
)
from broker.secure import QUOTAS as QUOTAS  # the client quotas, named here too (the LAN broker's)
from broker.secure import Credentials, grant_acls, set_user_quotas
from broker.secure import properties as _properties
from broker.secure import write_private as _write_private

LAN_PORT = 9292
DEFAULT_LAN_DIR = DEFAULT_BASE_DIR / "lan"
CA_DAYS = 3650
CERT_DAYS = 825  # what browsers and most TLS stacks accept for a server certificate
# Any routed address does for the route lookup (a UDP connect sends no packet): TEST-NET-1.
ROUTE_PROBE = "192.0.2.1"
_RTF_GATEWAY = 0x2


# --- this computer's address ---------------------------------------------------------------


def default_gateway(route_table: str) -> str | None:
    """The gateway of the default IPv4 route with the lowest metric, from the text of Linux's
    /proc/net/route (addresses in host byte order, hex); None when there is none."""
    best: tuple[int, str] | None = None
    for line in route_table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 7 or fields[1] != "00000000" or not int(fields[3], 16) & _RTF_GATEWAY:
            continue
        gateway = socket.inet_ntoa(struct.pack("<I", int(fields[2], 16)))
        metric = int(fields[6])
        if best is None or metric < best[0]:
            best = (metric, gateway)
    return best[1] if best else None


def lan_address() -> str | None:
    """This computer's address on its default route: the one other computers on its network
    reach it at. None when it has no route out (or only loopback)."""
    try:
        table = Path("/proc/net/route").read_text()
    except OSError:
        table = ""  # not Linux: the kernel's route to any outside address tells the same
    target = default_gateway(table) or ROUTE_PROBE
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect((target, 9))  # UDP: picks the route and source address, sends nothing
            address = str(sock.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address  # noqa: S104


# --- users ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LanUsers:
    """The secure profile's users (same names, same ACLs) with this computer's own passwords."""

    admin: Credentials
    player: Credentials
    spectator: Credentials
    stats: Credentials

    @classmethod
    def load_or_create(cls, path: Path) -> LanUsers:
        """The passwords kept in `path` (JSON, owner-only), made up the first time."""
        names = ("admin", "player", "spectator", "stats")
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            saved = {}
        if not isinstance(saved, dict) or not all(isinstance(saved.get(name), str) for name in names):
            saved = {name: secrets.token_urlsafe(18) for name in names}
            _write_private(path, json.dumps(saved, indent=2) + "\n")
        return cls(*(Credentials(name, saved[name]) for name in names))

    def all(self) -> tuple[Credentials, ...]:
        return (self.admin, self.player, self.spectator, self.stats)

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps([asdict(user) for user in self.all()]).encode()).hexdigest()


def detect_advertise() -> str:
    """This computer's address on its network, or a one-line reason to pass --advertise."""
    found = lan_address()
    if found is None:
        raise BrokerError(
            "could not tell this computer's network address (no default route): "
            "pass --advertise HOST, the address your friends reach this computer at"
        )
    return found


def shown_path(path: Path) -> str:
    """A path as the join files and commands name it: relative to the repository root (where
    every program runs, here and in a friend's clone), absolute outside it."""
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def tls_client_settings(user: Credentials, ca_location: str) -> dict[str, str]:
    """A client's librdkafka settings for the LAN broker: SCRAM over TLS, verifying the broker
    against the host's CA (and its name: librdkafka checks the subjectAltName by default)."""
    return {**user.client_settings(), "security.protocol": "SASL_SSL", "ssl.ca.location": ca_location}


# --- certificates --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TlsFiles:
    ca_pem: Path  # the CA certificate clients trust (public)
    keystore: Path  # the broker's key and certificate chain (PKCS12)
    password: str  # of both keystores


def subject_alt_names(hosts: list[str]) -> str:
    """keytool's SAN extension value: ip: for addresses, dns: for names."""
    entries = []
    for host in dict.fromkeys(hosts):  # in order, once each
        try:
            ipaddress.ip_address(host)
            entries.append(f"ip:{host}")
        except ValueError:
            entries.append(f"dns:{host}")
    return "SAN=" + ",".join(entries)


def ensure_tls(tls_dir: Path, hosts: list[str], keytool: str) -> TlsFiles:
    """A CA (made once, its key kept in tls_dir) and a broker certificate it signed for
    `hosts` (made again whenever the hosts change). keytool only: no OpenSSL needed."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(tls_dir, 0o700)
    password_path = tls_dir / "password"
    password = _read(password_path).strip()
    ca_store, ca_pem = tls_dir / "ca.p12", tls_dir / "ca.pem"
    keystore, hosts_path = tls_dir / "broker.p12", tls_dir / "broker-hosts.txt"
    if not password or not ca_store.exists() or not ca_pem.exists():
        password = secrets.token_urlsafe(24)
        for stale in (ca_store, ca_pem, keystore, hosts_path):
            stale.unlink(missing_ok=True)
        _write_private(password_path, password + "\n")
        name = f"Kafka Arena CA on {socket.gethostname()[:40]} {secrets.token_hex(4)}"
        _keytool(keytool, "-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
                 "-dname", f"CN={name}", "-ext", "bc:c", "-validity", str(CA_DAYS),
                 "-keystore", ca_store, "-storetype", "PKCS12",
                 "-storepass", password, "-keypass", password)  # fmt: skip
        _keytool(keytool, "-exportcert", "-alias", "ca", "-rfc", "-keystore", ca_store,
                 "-storepass", password, "-file", ca_pem)  # fmt: skip
        os.chmod(ca_store, 0o600)  # the CA's key: it stays on this computer, for its owner
    san = subject_alt_names(hosts)
    if keystore.exists() and _read(hosts_path) == san:
        return TlsFiles(ca_pem, keystore, password)
    keystore.unlink(missing_ok=True)
    request, signed = tls_dir / "broker.csr", tls_dir / "broker.crt"
    store = ("-keystore", keystore, "-storepass", password)
    _keytool(keytool, "-genkeypair", "-alias", "broker", "-keyalg", "EC", "-groupname", "secp256r1",
             "-dname", f"CN={hosts[0]}", "-validity", str(CERT_DAYS), "-storetype", "PKCS12",
             "-keypass", password, *store)  # fmt: skip
    _keytool(keytool, "-certreq", "-alias", "broker", "-file", request, *store)
    _keytool(keytool, "-gencert", "-alias", "ca", "-keystore", ca_store, "-storepass", password,
             "-infile", request, "-outfile", signed, "-rfc", "-validity", str(CERT_DAYS), "-ext", san,
             "-ext", "KU=digitalSignature", "-ext", "EKU=serverAuth")  # fmt: skip
    # The chain: the CA as trusted first, so keytool accepts the signed reply for the key.
    _keytool(keytool, "-importcert", "-alias", "ca", "-file", ca_pem, "-noprompt", *store)
    _keytool(keytool, "-importcert", "-alias", "broker", "-file", signed, "-noprompt", *store)
    request.unlink(missing_ok=True)
    os.chmod(keystore, 0o600)
    hosts_path.write_text(san)
    return TlsFiles(ca_pem, keystore, password)


def _keytool(keytool: str, *args: str | Path) -> None:
    argv = [keytool, *map(str, args)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        raise BrokerError(
            f"keytool {args[0]} failed (exit {done.returncode}) making the broker's certificate",
            log_tail=tail(done.stdout + done.stderr),
        )


# --- the broker ----------------------------------------------------------------------------


class LanBroker(LocalBroker):
    """A LocalBroker on the network: SASL_SSL, ACLs and quotas, join files for friends."""

    def __init__(
        self,
        port: int = LAN_PORT,
        base_dir: Path | str = DEFAULT_LAN_DIR,
        *,
        bind: str | None = None,
        advertise: str | None = None,
        controller_port: int | None = None,
        internal_port: int | None = None,
        lib_dir: Path | str | None = None,
        say: Callable[[str], None] = print,
    ) -> None:
        super().__init__(port, base_dir, controller_port=controller_port, lib_dir=lib_dir, say=say)
        self.internal_port = internal_port if internal_port is not None else self.controller_port + 1
        self.bind = bind
        self._listen_on(bind or "0.0.0.0")  # noqa: S104 - listening on the network is the point
        self.advertise = advertise
        self.users_path = self.base_dir / "users.json"
        self.tls_dir = self.base_dir / "tls"
        self.join_dir = self.base_dir / "join"
        self._java: str | None = None

    # -- addresses -------------------------------------------------------------------------

    def _listen_on(self, bind: str) -> None:
        self.bind_host = bind
        self.host = "127.0.0.1" if bind in ("0.0.0.0", "") else bind  # noqa: S104

    def _configured(self, key: str) -> str | None:
        """The host of the EXTERNAL listener in the rendered config's `key` line."""
        for line in _read(self.config_path).splitlines():
            if line.startswith(f"{key}=EXTERNAL://"):
                return line.split("://", 1)[1].split(",", 1)[0].rsplit(":", 1)[0]
        return None

    def status(self) -> BrokerStatus:
        if self.bind is None:  # ask where the running broker listens, not the default
            self._listen_on(self._configured("listeners") or "0.0.0.0")  # noqa: S104
        return super().status()

    @property
    def local_bootstrap(self) -> str:
        """Where this computer reaches the broker (its own checks and admin)."""
        return f"{self.host}:{self.port}"

    @property
    def advertised_host(self) -> str:
        """--advertise, else what the broker's rendered config says, else this computer's
        address on its default route."""
        return self.advertise or self._configured("advertised.listeners") or detect_advertise()

    @property
    def bootstrap(self) -> str:
        """What friends pass as --bootstrap: the advertised address."""
        return f"{self.advertised_host}:{self.port}"

    def ca_location(self) -> str:
        """ssl.ca.location as the join files write it."""
        return shown_path(self.join_dir / "ca.pem")

    def client_config_path(self, role: str) -> Path:
        """The --kafka-config file of a role: player and spectator in join/, stats and admin
        (this computer's own) next to it."""
        folder = self.join_dir if role in ("player", "spectator") else self.base_dir
        return folder / f"{role}.properties"

    def users(self) -> LanUsers:
        return LanUsers.load_or_create(self.users_path)

    @property
    def internal_bootstrap(self) -> str:
        """The loopback listener for this computer's admin (and the broker's own client)."""
        return f"127.0.0.1:{self.internal_port}"

    def admin_settings(self) -> dict[str, str]:
        """The admin's login on the network listener, as a friend's client would connect."""
        return tls_client_settings(self.users().admin, str(self.tls_dir / "ca.pem"))

    # -- start -----------------------------------------------------------------------------

    def start_verbose(self, timeout: float = 60.0) -> StartResult:
        if self.advertise is None and self.pid() is None:
            # Detected afresh at each start (the address may have changed since the last one),
            # and before anything else: a broker that cannot say where it is must not start.
            self.advertise = detect_advertise()
        return super().start_verbose(timeout)

    def check_ports(self) -> None:
        super().check_ports()
        if not port_is_free(self.internal_port):
            raise BrokerError(
                f"port {self.internal_port} (the internal port) on 127.0.0.1 is taken: "
                "pick another with --port (it uses the three ports from there)"
            )

    def check_java(self) -> str:
        self._java = super().check_java()
        return self._java

    def _keytool(self) -> str:
        java = self._java or self.check_java()
        beside = Path(os.path.realpath(java)).parent / "keytool"
        found = str(beside) if beside.exists() else shutil.which("keytool")
        if found is None:
            raise BrokerError(f"no keytool beside {java} nor on PATH: it makes the broker's certificate")
        return found

    def _write_config(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.base_dir, 0o700)
        users = self.users()
        advertise = self.advertised_host
        hosts = [advertise, *([self.host] if self.host != advertise else []), "127.0.0.1", "localhost"]
        tls = ensure_tls(self.tls_dir, hosts, self._keytool())
        _write_private(
            self.config_path,
            render_properties(
                "lan.properties",
                port=self.port,
                controller_port=self.controller_port,
                internal_port=self.internal_port,
                bind=self.bind_host,
                advertise=advertise,
                data_dir=self.data_dir,
                keystore=tls.keystore,
                keystore_password=tls.password,
                ca_pem=tls.ca_pem,
                admin_user=users.admin.username,
                admin_password=users.admin.password,
            ),
        )
        self.log4j_path.write_text(LOG4J2_PROPERTIES)
        # SCRAM users are created at format time (KRaft keeps them in the metadata log).
        self.format_extra = tuple(
            arg
            for user in users.all()
            for arg in ("--add-scram", f"SCRAM-SHA-256=[name={user.username},password={user.password}]")
        )
        self._write_join_files(users, tls)

    def _write_join_files(self, users: LanUsers, tls: TlsFiles) -> None:
        self.join_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(tls.ca_pem, self.join_dir / "ca.pem")
        where = f"the Kafka Arena broker at {self.bootstrap}"
        for role, user in (
            ("player", users.player),
            ("spectator", users.spectator),
            ("stats", users.stats),
            ("admin", users.admin),
        ):
            settings = tls_client_settings(user, self.ca_location())
            _write_private(self.client_config_path(role), _properties(settings, f"{role} of {where}"))

    def _format_storage(self, java: str) -> None:
        # Storage formatted with other passwords (users.json made anew) would refuse every login.
        marker = self.data_dir / ".users"
        fingerprint = self.users().fingerprint()
        if _read(marker) != fingerprint:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        super()._format_storage(java)
        marker.write_text(fingerprint)

    def answers(self, timeout: float = 3.0) -> bool:
        return metadata_answers(self.local_bootstrap, timeout, **self.admin_settings())

    def wait_ready(self, pid: int, began: float, timeout: float) -> None:
        # Ready when it answers over TLS on the network listener; then ACLs and quotas are put
        # in place through the loopback one, which works whatever address is advertised.
        super().wait_ready(pid, began, timeout)
        admin = self.users().admin
        grant_acls(self.internal_bootstrap, admin_settings=admin.client_settings())
        self.set_quotas(admin)

    def set_quotas(self, admin: Credentials) -> None:
        """QUOTAS per user (broker/secure.py), through the loopback listener."""
        set_user_quotas(self, self.internal_bootstrap, admin)

    def advertised_reachable(self, timeout: float = 2.0) -> bool:
        """True if this computer can open a connection to the advertised address (a friend's
        chances are slim when even the host cannot)."""
        return port_accepts(self.port, self.advertised_host, timeout)

    def join_commands(self) -> list[tuple[str, str]]:
        """(who, command) for each role, exactly as they type it."""
        bootstrap = self.bootstrap
        player, spectator = (shown_path(self.client_config_path(role)) for role in ("player", "spectator"))
        return [
            ("play", f"python -m game --bootstrap {bootstrap} --kafka-config {player}"),
            ("watch", f"python -m spectator --bootstrap {bootstrap} --kafka-config {spectator}"),
        ]
