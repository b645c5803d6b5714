"""bench proof, once each way on the secure broker, so it cannot rot."""

from __future__ import annotations

from pathlib import Path

from broker.accounts import AccountHost, Accounts
from broker.local import DEFAULT_BASE_DIR
from broker.secure import PLAYER, write_client_config
from tests.helpers import last_json, run_program
from tests.integration.broker.conftest import SECURE_PORT


def test_bench_proof_compares_an_open_join_with_a_proven_one(secure_bootstrap: str, tmp_path: Path) -> None:
    keeper = Accounts(AccountHost.secure(SECURE_PORT, DEFAULT_BASE_DIR / f"test-secure-{SECURE_PORT}"))
    path = keeper.host.config_path("prover")
    proven = path if path.exists() else keeper.add("prover")
    shared = write_client_config(tmp_path / "player.properties", PLAYER)
    done = run_program(
        "bench", "proof", "--bootstrap", secure_bootstrap, "--open-config", str(shared),
        "--proven-config", str(proven), "--runs", "1",
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    figures = last_json(done.stdout)
    assert figures["bench"] == "proof" and figures["runs"] == 1
    assert 0 < figures["open_median_s"] < 30 and 0 < figures["proven_median_s"] < 30
    assert figures["added_ms"] == round((figures["proven_median_s"] - figures["open_median_s"]) * 1000)
