"""The brokers' request threads: sized by cores, in every broker template `python -m broker`
renders, and in every compose profile."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from broker.local import BROKER_SRC, render_properties, request_threads

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("cores", "network", "io"),
    [(1, 1, 2), (2, 1, 2), (4, 1, 2), (8, 2, 4), (16, 4, 8), (64, 16, 32)],
)
def test_threads_grow_with_the_cores_from_one_network_and_two_handler_threads(
    cores: int, network: int, io: int
) -> None:
    assert request_threads(cores) == {"num.network.threads": network, "num.io.threads": io}


def _template_values(name: str) -> dict[str, str]:
    placeholders = set(re.findall(r"\$\{(\w+)\}", (BROKER_SRC / name).read_text()))
    return {key: f"<{key}>" for key in placeholders}


@pytest.mark.parametrize(
    "name", ["server.properties", "cluster.properties", "secure.properties", "lan.properties"]
)
def test_every_rendered_broker_config_sets_the_machines_threads_once(name: str) -> None:
    text = render_properties(name, **_template_values(name))
    settings = dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#") and "=" in line
    )
    for key, value in request_threads().items():
        assert settings[key] == str(value)
        assert sum(line.startswith(f"{key}=") for line in text.splitlines()) == 1
    assert "${" not in text


def test_every_compose_broker_sets_its_threads() -> None:
    compose = (ROOT / "docker-compose.yaml").read_text()
    # The plain single broker and the cluster's shared environment set them as variables...
    assert compose.count("KAFKA_NUM_NETWORK_THREADS: 1") == 2
    assert compose.count("KAFKA_NUM_IO_THREADS: 2") == 2
    # ...the secure and lan brokers' scripts write their own properties and append them.
    for script in ("compose-secure.sh", "compose-lan.sh"):
        assert 'request_threads >> "$CONF"' in (BROKER_SRC / script).read_text()


@pytest.mark.parametrize("cores", [1, 2, 8, 16])
def test_the_compose_scripts_size_threads_as_python_does(cores: int, tmp_path: Path) -> None:
    fake_nproc = tmp_path / "nproc"
    fake_nproc.write_text(f"#!/bin/sh\necho {cores}\n")
    fake_nproc.chmod(0o755)
    function = re.search(
        r"^request_threads\(\) \{.*?^\}", (BROKER_SRC / "compose-lib.sh").read_text(), re.S | re.M
    )
    assert function is not None
    shell = subprocess.run(
        [shutil.which("bash") or "/bin/bash", "-c", f"{function.group(0)}\nrequest_threads"],
        env={"PATH": f"{tmp_path}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    written = dict(line.split("=", 1) for line in shell.stdout.split())
    assert written == {key: str(value) for key, value in request_threads(cores).items()}
