"""A game hosted for friends (`python -m broker start --lan`), on loopback only.

The hosted broker listens on 127.0.0.2 and advertises it: to the programs of this machine it
is a friend's computer. The broker is started the way a host starts it, with the command,
and the tests join with what that command printed.
"""

from __future__ import annotations

import atexit
import shlex
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from broker.lan import LanBroker
from broker.local import DEFAULT_BASE_DIR, JAVA_MISSING
from tests.helpers import ROOT, report, run_program

HOST = "127.0.0.2"  # the host's computer, as its friends reach it
HOSTED_PORT = 19492  # and 19493 (controller), 19494 (its loopback listener)


@dataclass(frozen=True)
class Hosted:
    bootstrap: str
    printed: str  # what the host command printed on stdout
    play: list[str]  # the printed commands, as `python -m` arguments
    watch: list[str]
    broker: LanBroker

    def config(self, role: str) -> Path:
        """The --kafka-config file the printed command of a role names."""
        argv = self.play if role == "player" else self.watch
        return ROOT / argv[argv.index("--kafka-config") + 1]


def printed_command(printed: str, who: str) -> list[str]:
    """The arguments after `python -m` of the command the host command printed for `who`."""
    line = next(line for line in printed.splitlines() if line.strip().startswith(f"{who}:"))
    argv = shlex.split(line.split(":", 1)[1])
    assert argv[:2] == ["python", "-m"], line
    return argv[2:]


def host_a_game(port: int, advertise: str, pytestconfig: pytest.Config) -> Iterator[Hosted]:
    """`python -m broker start --lan` bound to HOST, advertising `advertise`; stopped after."""
    if shutil.which("java") is None:
        pytest.skip(JAVA_MISSING)
    base_dir = DEFAULT_BASE_DIR / f"test-lan-{port}"
    broker = LanBroker(port, base_dir / "lan", bind=HOST, advertise=advertise, say=lambda line: None)
    broker.stop()  # one left behind by an interrupted run, before wiping its files
    shutil.rmtree(base_dir, ignore_errors=True)
    atexit.register(broker.stop)  # an abnormal teardown still stops the JVM
    try:
        started = run_program(
            "broker", "start", "--lan", "--bind", HOST, "--advertise", advertise,
            "--port", str(port), "--dir", str(base_dir), timeout=180,
        )  # fmt: skip
        if started.returncode != 0:
            pytest.fail(f"could not host a game on {HOST}:{port}:\n{started.stderr[-3000:]}")
        report(pytestconfig, f"lan tests: hosted broker on {HOST}:{port} advertising {advertise}")
        yield Hosted(
            started.stdout.strip().splitlines()[-1],
            started.stdout + started.stderr,
            printed_command(started.stdout, "play"),
            printed_command(started.stdout, "watch"),
            broker,
        )
    finally:
        broker.stop()


@pytest.fixture(scope="package")
def hosted(pytestconfig: pytest.Config) -> Iterator[Hosted]:
    yield from host_a_game(HOSTED_PORT, HOST, pytestconfig)
