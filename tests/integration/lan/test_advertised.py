"""The advertised-listener trap: the broker answers at the address a friend was given, then
sends them on to an address they cannot reach. The host is warned when it starts, and every
program says so in one line, naming the advertised address and the fix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import HEADLESS_ENV, run_program
from tests.integration.lan.conftest import HOST, Hosted, host_a_game

MISADVERTISED_PORT = 19495  # and 19496, 19497
NOWHERE = "127.0.0.3"  # nothing listens there: the broker binds HOST only
ADVERTISED = f"{NOWHERE}:{MISADVERTISED_PORT}"


@pytest.fixture(scope="module")
def misadvertised(pytestconfig: pytest.Config) -> Iterator[Hosted]:
    yield from host_a_game(MISADVERTISED_PORT, NOWHERE, pytestconfig)


def test_the_host_is_warned(misadvertised: Hosted) -> None:
    assert misadvertised.bootstrap == ADVERTISED
    warnings = [line for line in misadvertised.printed.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert f"cannot connect to {ADVERTISED}" in warnings[0] and "--advertise" in warnings[0]


def advertised_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if "advertises" in line]
    assert len(lines) == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    line = lines[0]
    assert f"Kafka at {HOST}:{MISADVERTISED_PORT} answered, but it advertises {ADVERTISED}" in line
    assert "--advertise HOST" in line and "KAFKA_ADVERTISED_HOST=HOST" in line
    return line


def test_a_player_gets_one_line_naming_the_advertised_address(misadvertised: Hosted) -> None:
    # The friend was told the host's real address; the broker sends them elsewhere.
    bootstrap = f"{HOST}:{MISADVERTISED_PORT}"
    played = run_program(
        *misadvertised.play[:1], "--bootstrap", bootstrap, *misadvertised.play[3:],
        "--name", "bob", "--headless", "--seconds", "4", env=HEADLESS_ENV, timeout=60,
    )  # fmt: skip
    assert played.returncode == 2
    advertised_line(played.stderr)
    bots = run_program(
        "game.bots", "--bootstrap", bootstrap, *misadvertised.play[3:], "--count", "1", "--seconds", "2",
        timeout=60,
    )  # fmt: skip
    assert bots.returncode == 2
    assert advertised_line(bots.stderr).startswith("error: ")


def test_a_spectator_gets_the_same_line(misadvertised: Hosted) -> None:
    watched = run_program(
        *misadvertised.watch[:1], "--bootstrap", f"{HOST}:{MISADVERTISED_PORT}", *misadvertised.watch[3:],
        "--headless", env=HEADLESS_ENV, timeout=60,
    )  # fmt: skip
    assert watched.returncode == 2
    assert advertised_line(watched.stderr).startswith("error: ")
