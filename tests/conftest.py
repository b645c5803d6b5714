"""Shared fixtures. Only tests that ask for ``kafka_bootstrap`` ever start a broker."""

from __future__ import annotations

import atexit
import os
import shutil
import uuid
from collections.abc import Iterator

import pytest

from broker.local import DEFAULT_BASE_DIR, KAFKA_VERSION, BrokerError, LocalBroker
from tests.helpers import report

TEST_PORT = int(os.environ.get("KAFKA_TEST_PORT", "19092"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration talks to a real broker: `-m "not integration"` skips it."""
    for item in items:
        if "integration" in item.path.parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def kafka_bootstrap(session_broker: tuple[str, LocalBroker | None]) -> str:
    return session_broker[0]


@pytest.fixture(scope="session")
def local_broker(session_broker: tuple[str, LocalBroker | None]) -> LocalBroker:
    """The broker this session started, for tests that stop and restart it."""
    if session_broker[1] is None:
        pytest.skip("the broker is external ($KAFKA_BOOTSTRAP_SERVERS): it is not ours to stop")
    return session_broker[1]


@pytest.fixture(scope="session")
def session_broker(pytestconfig: pytest.Config) -> Iterator[tuple[str, LocalBroker | None]]:
    """Bootstrap servers: $KAFKA_BOOTSTRAP_SERVERS, else a local broker for this session."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        report(pytestconfig, f"integration tests: using the Kafka broker at {external}")
        yield external, None
        return

    base_dir = DEFAULT_BASE_DIR / f"test-{TEST_PORT}"
    broker = LocalBroker(TEST_PORT, base_dir, say=lambda line: report(pytestconfig, line))
    broker.stop()  # a broker left behind by an interrupted run, before wiping its files
    shutil.rmtree(base_dir, ignore_errors=True)  # each session starts on empty storage
    try:
        result = broker.start_verbose()
    except BrokerError as err:
        broker.stop()  # one that started but never answered must not outlive the session
        pytest.fail(f"could not start the local test broker: {err}\n{err.log_tail}")
    # Belt and braces: a session torn down abnormally still stops its broker.
    atexit.register(broker.stop)
    report(
        pytestconfig,
        f"integration tests: local Apache Kafka {KAFKA_VERSION} broker started at "
        f"{result.bootstrap} (pid {result.pid}) in {result.seconds:.1f}s",
    )
    try:
        yield result.bootstrap, broker
    finally:
        broker.stop()
        report(pytestconfig, f"integration tests: local broker (pid {result.pid}) stopped")


@pytest.fixture
def match_name() -> str:
    """A fresh match name, so each test gets topics of its own."""
    return "t" + uuid.uuid4().hex[:10]
