"""The rules have a version: its fingerprint is pinned, and a client refuses a match of other rules."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from game.agent.player import PlayerAgent
from game.core import constants, rules
from game.core.actions import Join
from game.core.maps import MAPS_DIR
from game.core.replica import all_maps
from game.core.rules import RULE_MODULES, RULES_VERSION, _code_digest, rules_fingerprint, rules_refusal
from game.core.world import Outcome, apply, new_world

# The fingerprint of each rules version, as released. A version's rules never change: a change
# to them is a new version, with its own line here.
FINGERPRINTS = {1: "09b1f62fd4c86c9f", 2: "67fc8b55b4f4c3c0"}


def test_the_rules_are_the_ones_pinned_for_their_version() -> None:
    fingerprint = rules_fingerprint()
    assert fingerprint == FINGERPRINTS.get(RULES_VERSION), (
        f"The rules changed (the code of game/core/{{{','.join(RULE_MODULES)}}}, a constant or a map): "
        f"fingerprint {fingerprint}, but rules v{RULES_VERSION} are {FINGERPRINTS.get(RULES_VERSION)}. "
        f"Readers with other rules fold a match's log into another world, so when what any log folds "
        f"to changes, bump RULES_VERSION in game/core/rules.py and pin "
        f"{{{RULES_VERSION + 1}: {fingerprint!r}}} in FINGERPRINTS here (keep the old line). Only a "
        f"change that leaves every fold as it was (a refactor, a faster equivalent) may re-pin "
        f"v{RULES_VERSION} instead."
    )


def test_the_fingerprint_is_stable_and_short() -> None:
    assert rules_fingerprint() == rules_fingerprint()
    assert len(rules_fingerprint()) == 16
    assert all((Path(rules.__file__).parent / name).is_file() for name in RULE_MODULES)


def test_a_changed_constant_changes_the_fingerprint(monkeypatch: pytest.MonkeyPatch) -> None:
    before = rules_fingerprint()
    monkeypatch.setattr(constants, "MAX_HEALTH_HP", constants.MAX_HEALTH_HP + 1)
    changed = rules_fingerprint()
    assert changed != before
    monkeypatch.setattr(constants, "NEW_RULE", 1, raising=False)
    assert rules_fingerprint() not in (before, changed)


def test_a_changed_map_changes_the_fingerprint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    before = rules_fingerprint()
    maps = tmp_path / "maps"
    shutil.copytree(MAPS_DIR, maps)
    monkeypatch.setattr(rules, "MAPS_DIR", maps)
    assert rules_fingerprint() == before  # the same maps elsewhere: the same rules
    arena = maps / "arena.txt"
    arena.write_text(arena.read_text(encoding="utf-8").replace(".", "#", 1), encoding="utf-8")
    assert rules_fingerprint() != before


SOURCE = '''"""A rule."""

from __future__ import annotations

REACH: int = 3


def hits(distance: int, *, boost: bool = False) -> bool:
    """True when in reach."""
    return distance <= REACH + (1 if boost else 0)  # inclusive


class Sword:
    """A sword."""

    weight: float = 2.5

    def swing(self) -> None:
        """Swing it."""
        return None
'''

# The same code written down differently: docstrings reworded or gone, comments, annotations
# and formatting changed.
SAME_CODE = '''"""Another wording of the module's docstring."""
from __future__ import annotations
REACH: "Final[int]" = 3
def hits(distance, *, boost: "bool | None" = False) -> "bool":
    return (distance <= REACH + (1 if boost else 0))
class Sword:
    weight: int = 2.5  # kg
    def swing(self):
        """Swing it, hard."""
        return None
'''


def test_the_code_digest_ignores_comments_docstrings_annotations_and_formatting() -> None:
    assert _code_digest(SOURCE) == _code_digest(SAME_CODE)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("REACH: int = 3", "REACH: int = 4"),
        ("distance <= REACH", "distance < REACH"),
        ("boost: bool = False", "boost: bool = True"),
        ("(1 if boost else 0)", "(2 if boost else 0)"),
        ("weight: float = 2.5", "weight: float = 3.5"),
        ("return None", "return 0"),
    ],
)
def test_the_code_digest_sees_a_change_of_the_code(old: str, new: str) -> None:
    assert old in SOURCE
    assert _code_digest(SOURCE.replace(old, new)) != _code_digest(SOURCE)


# --- refusing a match of other rules ---


def test_a_match_of_the_same_rules_or_unversioned_is_not_refused() -> None:
    assert rules_refusal(RULES_VERSION, "m") is None
    assert rules_refusal(0, "m") is None
    assert rules_refusal(3, "m", ours=3) is None


def test_a_match_of_newer_rules_asks_for_an_update_in_one_line() -> None:
    line = rules_refusal(2, "duel", ours=1)
    assert line == (
        "match 'duel' is played under rules v2, this client has rules v1: "
        "update Kafka Arena (git pull) or play another match"
    )


def test_a_match_of_older_rules_is_refused_in_one_line_too() -> None:
    line = rules_refusal(1, "old", ours=2)
    assert line is not None and "\n" not in line
    assert line.startswith("match 'old' is played under rules v1, this client has rules v2: ")
    assert "git pull" not in line  # updating would not help


def test_a_player_joins_with_this_clients_rules_and_other_rules_refuse_it() -> None:
    join = PlayerAgent("ann", "arena", pid=5).join()
    assert join.rules == RULES_VERSION
    world = new_world(all_maps())
    other = RULES_VERSION + 1
    assert apply(world, Join(9, 1, 0, "bob", 0, 0, "arena", rules=other), 1_000).applied
    assert apply(world, join, 1_000) == Outcome(False, "wrong_rules")
    assert rules_refusal(world.rules, "m") == (
        f"match 'm' is played under rules v{other}, this client has rules v{RULES_VERSION}: "
        "update Kafka Arena (git pull) or play another match"
    )
