"""One locked-down broker (SASL/SCRAM logins, ACLs) for the security tests of this folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from broker.local import DEFAULT_BASE_DIR
from broker.secure import SecureBroker

SECURE_PORT = 19392


@pytest.fixture(scope="package")
def secure_bootstrap() -> Iterator[str]:
    base_dir = DEFAULT_BASE_DIR / f"test-secure-{SECURE_PORT}"
    broker = SecureBroker(SECURE_PORT, base_dir, say=lambda line: None)
    broker.stop()  # one left behind by an interrupted run, before wiping its files
    shutil.rmtree(base_dir, ignore_errors=True)
    broker.start(timeout=90)
    try:
        yield broker.bootstrap
    finally:
        broker.stop()
