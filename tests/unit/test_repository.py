"""What the repository may hold: no stray captures (three 600 KB screenshots once sat at the root)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAX_BYTES = 500 * 1024
BIG_FILES_LIVE_IN = ("assets/", "docs/")


def tracked_files() -> list[str]:
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run([git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [name for name in listed.stdout.decode().split("\0") if name]


def oversized(names: list[str], root: Path) -> list[str]:
    """Files over MAX_BYTES outside the folders meant for pictures and sounds."""
    return [
        f"{name} ({(root / name).stat().st_size // 1024} KB)"
        for name in names
        if not name.startswith(BIG_FILES_LIVE_IN)
        and (root / name).is_file()
        and (root / name).stat().st_size > MAX_BYTES
    ]


def test_no_large_file_is_tracked_outside_assets_and_docs() -> None:
    assert oversized(tracked_files(), ROOT) == []


def test_the_size_check_catches_a_stray_capture(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "ctl").write_bytes(b"\0" * (MAX_BYTES + 1))
    (tmp_path / "assets" / "big.png").write_bytes(b"\0" * (MAX_BYTES + 1))
    (tmp_path / "small.txt").write_bytes(b"ok")
    assert oversized(["ctl", "assets/big.png", "small.txt"], tmp_path) == ["ctl (500 KB)"]
