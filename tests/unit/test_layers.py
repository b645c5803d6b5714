"""The layer rules of the tree, checked on every module's imports (top level and inside functions).

- game.core (the rules) and game.agent (player logic) are pure: no pygame, no confluent_kafka,
  and nothing from the layers above them.
- confluent_kafka is imported by game.kafka only (bench's raw baselines and the tests' raw
  attackers aside: a raw baseline is the point of a benchmark).
- pygame is imported by window code only: game.window and the spectator's window modules.
- Lower layers never import higher ones: core < agent < kafka < stats < window < programs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("game", "spectator")

# The spectator's modules that draw; the rest of the spectator (timeline, feeds, text) is not.
SPECTATOR_WINDOWS = frozenset({"spectator.app", "spectator.render", "spectator.picker"})

# What each layer may import from the project (itself included); None = anything.
MAY_IMPORT: dict[str, tuple[str, ...] | None] = {
    "game.core": ("game.core",),
    "game.agent": ("game.core", "game.agent"),
    "game.kafka": ("game.core", "game.kafka"),
    "game.stats": ("game.core", "game.kafka", "game.stats", "game.shutdown"),
    "game.window": ("game.core", "game.agent", "game.kafka", "game.stats", "game.window"),
}
# Modules that must stay pure even inside a layer that is not.
PURE_MODULES = frozenset({"game.stats.standings", "game.stats.topic"})


@dataclass(frozen=True)
class Violation:
    module: str
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.module} imports {self.imported}: {self.rule}"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str) -> Iterator[str]:
    """Every absolute module an import statement names, anywhere in the module."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module in PACKAGES:  # `from game import kafka` names the module game.kafka
                yield from (f"{node.module}.{alias.name}" for alias in node.names)
            else:
                yield node.module


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_of(module: str) -> str | None:
    return next((layer for layer in MAY_IMPORT if _within(module, layer)), None)


def check_module(module: str, imported: str) -> str | None:
    """The rule `module` breaks by importing `imported`, or None."""
    top = imported.split(".")[0]
    layer = layer_of(module)
    pure = layer in ("game.core", "game.agent") or module in PURE_MODULES
    if top == "confluent_kafka" and not _within(module, "game.kafka"):
        return "only game.kafka may import confluent_kafka"
    if top == "pygame":
        if pure:
            return "pure code never imports pygame"
        if not (_within(module, "game.window") or module in SPECTATOR_WINDOWS):
            return "only window code (game.window, the spectator's windows) imports pygame"
    if top not in PACKAGES:
        return None
    if module in PURE_MODULES and not (_within(imported, "game.core") or imported in PURE_MODULES):
        return "a pure stats module imports only game.core and the other pure stats modules"
    allowed = MAY_IMPORT.get(layer) if layer else None
    if top == "spectator" and _within(module, "game"):
        return "game never imports the spectator"
    inside_game = _within(imported, "game") and imported != "game"
    if allowed is not None and inside_game and not any(_within(imported, ok) for ok in allowed):
        return f"{layer} may import only {', '.join(allowed)}"
    return None


def violations(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[Violation]:
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(path, root)
            for imported in imports_of(path.read_text(encoding="utf-8")):
                rule = check_module(module, imported)
                if rule is not None:
                    found.append(Violation(module, imported, rule))
    return found


def test_the_tree_keeps_its_layers() -> None:
    assert [str(v) for v in violations(ROOT)] == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return tmp_path


@pytest.mark.parametrize(
    ("path", "source", "rule"),
    [
        ("game/core/world.py", "import pygame\n", "pure code never imports pygame"),
        ("game/core/world.py", "def f():\n    import confluent_kafka\n", "only game.kafka"),
        ("game/core/world.py", "from game.window.scene import Scene\n", "game.core may import only"),
        ("game/agent/player.py", "from game.kafka import MatchReader\n", "game.agent may import only"),
        ("game/agent/player.py", "import pygame.draw\n", "pure code never imports pygame"),
        ("game/stats/topic.py", "from game.kafka.topics import STATS_TOPIC\n", "pure stats module"),
        ("game/stats/processor.py", "from game.window import hud\n", "game.stats may import only"),
        ("spectator/timeline.py", "import pygame\n", "only window code"),
        ("spectator/source.py", "from confluent_kafka import KafkaError\n", "only game.kafka"),
        ("game/crowd.py", "from spectator.synth import brawl\n", "game never imports the spectator"),
    ],
)
def test_the_checker_catches_each_kind_of_break(tmp_path: Path, path: str, source: str, rule: str) -> None:
    root = _tree(tmp_path, {path: source})
    [found] = violations(root)
    assert rule in found.rule


def test_the_checker_allows_what_the_layers_allow(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "game/core/world.py": "import msgpack\nfrom game.core.maps import TileMap\n",
            "game/agent/player.py": "from game.core.world import World\n",
            "game/kafka/reader.py": "import confluent_kafka\nfrom game.core.records import Record\n",
            "game/window/scene.py": "import pygame\nfrom game.agent.player import PlayerAgent\n",
            "game/bots.py": "from game.kafka import MatchReader\nfrom game.agent.player import PlayerAgent\n",
            "spectator/render.py": "import pygame\nfrom game.window.scene import Scene\n",
        },
    )
    assert violations(root) == []
