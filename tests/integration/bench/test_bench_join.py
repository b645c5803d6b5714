"""`python -m bench join` in a tiny configuration, so the join benchmark cannot silently rot.

It runs as a user would (a subprocess, from the repository root) against the session's broker,
and its one JSON line must hold every figure, each sane.
"""

from __future__ import annotations

import json

from tests.helpers import run_program

ACTIONS = 3000
EVERY = 500
SMALL_S = 3.0  # a 3000-record match folds in well under this either way


def test_bench_join(kafka_bootstrap: str) -> None:
    argv = ["bench", "join", "--bootstrap", kafka_bootstrap, "--actions", str(ACTIONS)]
    argv += ["--checkpoint-every", str(EVERY), "--repeats", "1", "--seeks", "5", "--timeout", "60"]
    done = run_program(*argv, timeout=280)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, done.stdout
    result = json.loads(lines[0])

    assert result["bench"] == "join"
    assert result["actions"] == ACTIONS and result["checkpoint_every"] == EVERY
    assert result["notes"] == {}, result["notes"]
    assert result["checkpoint_build_s"] > 0
    assert ACTIONS - EVERY <= result["checkpoint_offset"] < ACTIONS
    assert result["checkpoints_written"] >= 1
    # Both windows started from that checkpoint; the baselines folded the whole (legal) match.
    assert result["player_checkpoint_offset"] > 0
    assert result["spectator_checkpoint_offset"] > 0
    assert result["full_fold"]["applied"] >= 0.99 * ACTIONS

    for window, figure in (("player", "ready_s"), ("spectator", "live_s")):
        with_checkpoint = result[f"{window}_{figure}"]
        baseline = result[f"baseline_{window}_{figure}"]
        assert with_checkpoint is not None and with_checkpoint > 0, window
        assert baseline is not None and baseline > 0, window
        small = max(with_checkpoint, baseline) < SMALL_S
        assert with_checkpoint < baseline or small, (window, result["runs"])
        assert result[f"{window}_rss_mb"] > 0 and result[f"baseline_{window}_rss_mb"] > 0

    assert 0 < result["seek_p50_ms"] <= result["seek_p99_ms"]
    assert 0 < result["seek_indexed_p50_ms"] <= result["seek_indexed_p99_ms"]
    assert result["seek_what"].startswith("checkpoint at or before T + fold to T")
    seek = result["seek"]
    assert seek["seeks"] == 5 and seek["seek_worlds_agree"] == 5
    assert result["seek_found_right_checkpoint"] == "5/5"  # the lookup by time finds the nearest
    assert seek["seek_indexed_folded_max"] <= ACTIONS
    for stage in ("write_s", "checkpoint_s", "seeks_s", "windows_s"):
        assert result["stages_s"][stage] >= 0, stage
