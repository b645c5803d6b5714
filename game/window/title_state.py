"""The title screen's logic, pure: a state and `update(state, event) -> state`; no pygame.

The screen is a column of rows the cursor moves over: your name, the matches being played
now, and a new match. Text typed goes to the field under the cursor (the name, or the new
match's name); Enter on a match joins it, Enter on the new-match row creates it on the
chosen map (Left/Right). The drawing (game/window/title.py) turns keys and clicks into the
events below, and draws the rectangles `layout` returns, which are also where clicks land.
A headless run can be driven by a script of the same events (`parse_script`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from game.core.constants import MAX_NAME_CHARS, MAX_PLAYERS
from game.core.rules import RULES_VERSION, rules_refusal
from game.kafka.lobby import LobbyMatch
from game.kafka.settings import MATCH_NAME

# The cursor's fixed rows. Neither is a possible match name (MATCH_NAME takes letters, digits,
# `_` and `-`), so matches called `name` or `new` are rows of their own.
NAME = "<name>"
NEW = "<new>"
MAX_MATCH_CHARS = 32  # what the new-match field takes (MATCH_NAME allows 64: the screen is narrower)
VISIBLE_ROWS = 7  # match rows shown at once; the list scrolls with the cursor

ADJECTIVES = (
    "brave", "swift", "quiet", "bold", "clever", "lucky", "mighty", "sly",
    "golden", "iron", "wild", "rusty", "silver", "grim", "merry", "fierce",
)  # fmt: skip
ANIMALS = (
    "otter", "falcon", "badger", "wolf", "lynx", "heron", "boar", "fox",
    "raven", "stag", "viper", "bear", "hare", "owl", "ram", "newt",
)  # fmt: skip


def generated_name(seed: int) -> str:
    """A match name like "swift-otter-42", the same for the same seed."""
    rng = random.Random(seed)
    return f"{rng.choice(ADJECTIVES)}-{rng.choice(ANIMALS)}-{rng.randrange(10, 100)}"


# --- events ---


@dataclass(frozen=True, slots=True)
class Key:
    """A key: up, down, left, right, enter, backspace, clear, tab, shift-tab, escape."""

    key: str


@dataclass(frozen=True, slots=True)
class Text:
    """Characters typed (the text input the keyboard layout produced)."""

    text: str


@dataclass(frozen=True, slots=True)
class Click:
    """A click on a target of `layout`: NAME, NEW, create, reroll, map-prev, map-next, quit,
    or match:MATCH."""

    target: str


@dataclass(frozen=True, slots=True)
class Listed:
    """A fresh listing from Kafka, or why there is none (the broker is away)."""

    matches: tuple[LobbyMatch, ...] = ()
    error: str = ""


@dataclass(frozen=True, slots=True)
class Refused:
    """The match we chose would not have us: say why; `focus` puts the cursor where the fix is."""

    message: str
    focus: str = ""


Event = Key | Text | Click | Listed | Refused


# --- state ---


@dataclass(frozen=True, slots=True)
class Choice:
    match: str
    name: str
    map_name: str
    created: bool  # True: the new-match row (a match of that name already running is joined)


@dataclass(frozen=True, slots=True)
class TitleState:
    name: str
    maps: tuple[str, ...]
    map_index: int = 0
    cursor: str = NEW  # NAME, NEW or the name of a listed match
    moved: bool = False  # the player moved the cursor: refreshes no longer place it
    matches: tuple[LobbyMatch, ...] = ()
    listed: bool = False  # a listing has arrived
    broker_error: str = ""
    new_match: str = ""  # typed; empty: the generated name is used
    seed: int = 0
    message: str = ""
    choice: Choice | None = None
    quit: bool = False
    rules: int = RULES_VERSION
    fresh_name: bool = False  # the name is the login's, as if selected: typing replaces it

    @property
    def generated(self) -> str:
        return generated_name(self.seed)

    @property
    def map_name(self) -> str:
        return self.maps[self.map_index % len(self.maps)]

    @property
    def rows(self) -> list[str]:
        return [NAME, *(m.match for m in self.matches), NEW]

    @property
    def new_match_name(self) -> str:
        return self.new_match or self.generated


def initial_state(
    name: str, maps: list[str] | tuple[str, ...], *, remembered: bool, seed: int = 0, map_name: str = ""
) -> TitleState:
    """A fresh title screen. With a remembered name the cursor waits below it (on the first
    match once the list arrives); without one it starts on the name."""
    maps = tuple(maps)
    index = maps.index(map_name) if map_name in maps else 0
    if remembered:
        return TitleState(name=name, maps=maps, map_index=index, seed=seed)
    return TitleState(
        name=name, maps=maps, map_index=index, seed=seed, cursor=NAME, moved=True, fresh_name=True
    )


def update(state: TitleState, event: Event) -> TitleState:
    if isinstance(event, Listed):
        return _listed(state, event)
    if isinstance(event, Refused):
        cursor = event.focus if event.focus in state.rows else state.cursor
        return replace(state, message=event.message, choice=None, cursor=cursor, moved=True)
    if isinstance(event, Text):
        return _typed(state, event.text)
    if isinstance(event, Click):
        return _clicked(state, event.target)
    return _key(state, event.key)


def _listed(state: TitleState, event: Listed) -> TitleState:
    matches = tuple(event.matches) if not event.error else ()
    new = replace(state, matches=matches, listed=state.listed or not event.error, broker_error=event.error)
    rows = new.rows
    if not state.moved:
        cursor = rows[1] if len(rows) > 2 else NEW
    elif state.cursor in rows:
        cursor = state.cursor
    else:  # the match under the cursor ended: the next one still listed, else the one before
        old = state.rows
        at = old.index(state.cursor) if state.cursor in old else len(old) - 1
        after = [row for row in old[at + 1 :] if row in rows]
        before = [row for row in old[:at] if row in rows and row != NAME]
        cursor = after[0] if after and (after[0] != NEW or not before) else (before[-1] if before else NEW)
    return replace(new, cursor=cursor)


def _typed(state: TitleState, text: str) -> TitleState:
    if state.cursor == NAME:
        name = "" if state.fresh_name else state.name
        for char in text:
            if char.isprintable() and len(name) < MAX_NAME_CHARS:
                name += char
        return replace(state, name=name, fresh_name=False)
    if state.cursor == NEW:
        match = state.new_match
        for char in text:
            char = "-" if char == " " else char
            if MATCH_NAME.match(char) and len(match) < MAX_MATCH_CHARS:
                match += char
        return replace(state, new_match=match)
    return state  # a match row has nothing to type into


def _key(state: TitleState, key: str) -> TitleState:
    rows = state.rows
    at = rows.index(state.cursor) if state.cursor in rows else len(rows) - 1
    if key in ("up", "down", "tab", "shift-tab"):
        if key == "up":
            at = max(0, at - 1)
        elif key == "down":
            at = min(len(rows) - 1, at + 1)
        else:
            at = (at + (1 if key == "tab" else -1)) % len(rows)
        return replace(state, cursor=rows[at], moved=True)
    if key in ("left", "right"):
        if state.cursor != NEW:
            return state
        step = 1 if key == "right" else -1
        return replace(state, map_index=(state.map_index + step) % len(state.maps))
    if key == "backspace":
        if state.cursor == NAME:
            return replace(state, name="" if state.fresh_name else state.name[:-1], fresh_name=False)
        if state.cursor == NEW:
            return replace(state, new_match=state.new_match[:-1])
        return state
    if key == "clear":
        if state.cursor == NAME:
            return replace(state, name="", fresh_name=False)
        if state.cursor == NEW:
            return replace(state, new_match="")
        return state
    if key == "enter":
        return _enter(state)
    if key == "escape":
        return replace(state, quit=True)
    return state


def _clicked(state: TitleState, target: str) -> TitleState:
    if target == "quit":
        return replace(state, quit=True)
    if target == NAME:
        return replace(state, cursor=NAME, moved=True)
    if target in (NEW, "map-prev", "map-next", "reroll", "create"):
        state = replace(state, cursor=NEW, moved=True)
        if target == "map-prev":
            return _key(state, "left")
        if target == "map-next":
            return _key(state, "right")
        if target == "reroll":
            return replace(state, seed=state.seed + 1, new_match="")
        return _enter(state) if target == "create" else state
    if target.startswith("match:"):
        match = target[len("match:") :]
        if match in state.rows:
            return _enter(replace(state, cursor=match, moved=True))
    return state


def _enter(state: TitleState) -> TitleState:
    name = state.name.strip()
    if state.cursor == NAME:
        if not name:
            return replace(state, message="Type your name first", moved=True)
        rows = state.rows
        return replace(state, name=name, cursor=rows[1], moved=True)
    if not name:
        return replace(state, cursor=NAME, moved=True, message="Type your name first, then choose a match")
    state = replace(state, name=name)
    if state.cursor == NEW:
        match = state.new_match_name
        if not MATCH_NAME.match(match):
            return replace(state, message="A match name is letters, digits, '-' or '_'")
        listed = next((m for m in state.matches if m.match == match), None)
        if listed is not None:
            return _join(state, listed)
        return replace(state, choice=Choice(match, name, state.map_name, True), message="")
    listed = next((m for m in state.matches if m.match == state.cursor), None)
    if listed is None:
        return state
    return _join(state, listed)


def _join(state: TitleState, match: LobbyMatch) -> TitleState:
    problem = join_problem(match, state.rules)
    if problem:
        return replace(state, message=problem)
    map_name = match.map_name if match.map_name in state.maps else state.map_name
    return replace(state, choice=Choice(match.match, state.name, map_name, False), message="")


def join_problem(match: LobbyMatch, rules: int = RULES_VERSION) -> str:
    """Why this client cannot join a listed match ("" when it can): full, or other rules."""
    if match.players >= MAX_PLAYERS:
        return f"Match {match.match!r} is full ({MAX_PLAYERS} players): pick another or create one"
    refusal = rules_refusal(match.rules, match.match, rules)
    return refusal[0].upper() + refusal[1:] if refusal else ""


def refusal_message(reason: str, line: str, choice: Choice) -> Refused:
    """What the title screen says when the match refused the join it chose."""
    if reason == "name_taken":
        return Refused(
            f"The name {choice.name!r} is already playing in {choice.match!r}: type another name",
            NAME,
        )
    if reason == "match_full":
        return Refused(f"Match {choice.match!r} is full: pick another match or create one")
    if reason == "wrong_map":
        return Refused(f"Match {choice.match!r} is played on another map: join it from the list")
    return Refused(line[0].upper() + line[1:] if line else f"Could not join {choice.match!r}")


# --- where things are (the drawing uses it; clicks land on it) ---

Rect = tuple[int, int, int, int]  # x, y, w, h
WIDTH, HEIGHT = 960, 696
PANEL_X, PANEL_W = 150, 660
NAME_FIELD: Rect = (PANEL_X + 170, 196, 320, 40)
LIST_TOP = 290  # the first match row
ROW_H = 36
NEW_ROW_Y = LIST_TOP + VISIBLE_ROWS * ROW_H + 18


def first_visible(state: TitleState) -> int:
    """The index (among matches) of the first match row shown: the cursor stays in view."""
    count = len(state.matches)
    if count <= VISIBLE_ROWS:
        return 0
    at = next((i for i, m in enumerate(state.matches) if m.match == state.cursor), 0)
    return max(0, min(at - VISIBLE_ROWS // 2, count - VISIBLE_ROWS))


def layout(state: TitleState) -> dict[str, Rect]:
    """Every clickable rectangle by its target (Click.target)."""
    out: dict[str, Rect] = {NAME: NAME_FIELD}
    first = first_visible(state)
    for i, match in enumerate(state.matches[first : first + VISIBLE_ROWS]):
        out[f"match:{match.match}"] = (PANEL_X, LIST_TOP + i * ROW_H, PANEL_W, ROW_H - 4)
    y = NEW_ROW_Y
    out[NEW] = (PANEL_X + 150, y + 4, 210, 34)
    out["reroll"] = (PANEL_X + 364, y + 4, 34, 34)
    out["map-prev"] = (PANEL_X + 410, y + 4, 28, 34)
    out["map-next"] = (PANEL_X + 546, y + 4, 28, 34)
    out["create"] = (PANEL_X + 582, y + 4, 74, 34)
    return out


def target_at(state: TitleState, x: int, y: int) -> str | None:
    for target, (rx, ry, rw, rh) in layout(state).items():
        if rx <= x < rx + rw and ry <= y < ry + rh:
            return target
    return None


# --- scripts (headless runs and tests) ---


class ScriptError(ValueError):
    pass


KEYS = frozenset({"up", "down", "left", "right", "enter", "backspace", "clear", "tab", "shift-tab", "escape"})


@dataclass(frozen=True, slots=True)
class Step:
    """One script step: type TEXT, key K, click TARGET, wait MS, until-listed MATCH,
    select MATCH (the arrow keys that bring the cursor onto it)."""

    verb: str
    arg: str


def parse_script(text: str) -> list[Step]:
    """`type alice; key enter; until-listed m1; select m1; key enter` -> steps."""
    steps = []
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        verb, _, arg = part.partition(" ")
        verb = verb.lower()
        if verb == "type":
            if not arg:
                raise ScriptError("type needs text")
        elif verb == "key":
            arg = arg.strip().lower()
            if arg not in KEYS:
                raise ScriptError(f"unknown key {arg!r}; keys: {', '.join(sorted(KEYS))}")
        elif verb == "wait":
            if not arg.strip().isdigit():
                raise ScriptError("wait needs milliseconds")
        elif verb in ("until-listed", "select", "click"):
            arg = arg.strip()
            if not arg:
                raise ScriptError(f"{verb} needs an argument")
        else:
            raise ScriptError(f"unknown step {verb!r}: type, key, click, wait, until-listed, select")
        steps.append(Step(verb, arg))
    return steps


def script_row(arg: str) -> str:
    """The row a script names: `name` and `new` are the fixed rows, `match:M` or M a match."""
    words = {"name": NAME, "new": NEW}
    if arg in words:
        return words[arg]
    return arg[len("match:") :] if arg.startswith("match:") else arg


def keys_to(state: TitleState, row: str) -> list[Key]:
    """The Up or Down presses that move the cursor onto `row` ([] when it is not listed)."""
    rows = state.rows
    if row not in rows or state.cursor not in rows:
        return []
    delta = rows.index(row) - rows.index(state.cursor)
    return [Key("down" if delta > 0 else "up")] * abs(delta)
