"""The version of the rules: two readers with different rules would fold one log into two worlds.

`RULES_VERSION` is a number a match, a checkpoint and a recording carry. `rules_fingerprint()`
digests what decides a world from a log: the reducer's and the collision grid's code (their
syntax trees, so comments, docstrings, annotations and formatting do not count), every constant of the
game, and the maps. A unit test pins the fingerprint of the current version, so changing a rule
without bumping `RULES_VERSION` fails the suite instead of desyncing players in a match.
"""

from __future__ import annotations

import ast
from hashlib import blake2b
from pathlib import Path

from game.core import constants
from game.core.maps import MAPS_DIR

# 1: versioned joins. 2: rounds (a join's round length; warm-up, round, intermission) and
# guarded matches (proven joins, game/core/identity.py).
RULES_VERSION = 2

_CORE = Path(__file__).resolve().parent
# The modules whose code decides what an action does to a world.
RULE_MODULES = (
    "world.py",
    "grid.py",
    "maps.py",
    "auth.py",
    "identity.py",
    "codec.py",
    "actions.py",
    "constants.py",
)


def _code_digest(source: str) -> bytes:
    """The module's syntax tree without docstrings and type annotations: what runs, not how
    it is written down."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.returns = None
        elif isinstance(node, ast.AnnAssign):
            node.annotation = ast.Constant(None)
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            del body[0]  # a docstring written, rewritten or removed: the same code
    return ast.dump(tree, annotate_fields=False, include_attributes=False).encode()


def rules_fingerprint() -> str:
    digest = blake2b(digest_size=8)
    for name in RULE_MODULES:
        digest.update(name.encode())
        digest.update(_code_digest((_CORE / name).read_text(encoding="utf-8")))
    for name in sorted(dir(constants)):
        if name.isupper():
            digest.update(f"{name}={getattr(constants, name)!r}".encode())
    for path in sorted(MAPS_DIR.glob("*.txt")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def rules_refusal(world_rules: int, match: str, ours: int = RULES_VERSION) -> str | None:
    """The one line a client shows instead of joining a match of other rules; None when it
    may join (same rules, or an unversioned match, rules 0, which takes any join)."""
    if not world_rules or world_rules == ours:
        return None
    if world_rules > ours:
        advice = "update Kafka Arena (git pull) or play another match"
    else:
        advice = "play another match (this client no longer plays those rules)"
    return f"match {match!r} is played under rules v{world_rules}, this client has rules v{ours}: {advice}"
