"""The title screen's state machine: typing, the list, creating, joining, errors; no pygame."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from game.core.constants import MAX_NAME_CHARS, MAX_PLAYERS
from game.core.rules import RULES_VERSION
from game.kafka.lobby import LobbyMatch
from game.window.title_state import (
    NAME,
    NEW,
    Choice,
    Click,
    Key,
    Listed,
    ScriptError,
    Step,
    Text,
    TitleState,
    generated_name,
    initial_state,
    keys_to,
    layout,
    parse_script,
    refusal_message,
    script_row,
    target_at,
    update,
)

MAPS = ["arena", "crossroads"]


def match(name: str, map_name: str = "arena", players: int = 3, rules: int = RULES_VERSION) -> LobbyMatch:
    return LobbyMatch(name, map_name, rules, players, (), 1_000, 60_000, 500)


def play(state: TitleState, *events: Key | Text | Click | Listed) -> TitleState:
    for event in events:
        state = update(state, event)
    return state


def test_the_module_is_pure() -> None:
    source = Path(__file__).resolve().parents[3] / "game" / "window" / "title_state.py"
    imported = {
        node.module or ""
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.ImportFrom)
    } | {
        a.name
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Import)
        for a in node.names
    }
    assert not any(name.split(".")[0] == "pygame" for name in imported)


def test_a_first_run_starts_on_the_name_and_typing_replaces_the_login_name() -> None:
    state = initial_state("root", MAPS, remembered=False)
    assert state.cursor == NAME
    state = play(state, Text("al"), Text("ice"))
    assert state.name == "alice"
    state = play(state, Key("backspace"), Key("backspace"))
    assert state.name == "ali"
    state = play(state, Key("clear"), Text("x" * 40))
    assert state.name == "x" * MAX_NAME_CHARS


def test_backspace_on_the_untouched_login_name_clears_it() -> None:
    state = play(initial_state("root", MAPS, remembered=False), Key("backspace"), Text("bo"))
    assert state.name == "bo"


def test_non_printable_characters_are_not_typed() -> None:
    state = play(initial_state("", MAPS, remembered=False), Text("a\tb\x07c"))
    assert state.name == "abc"


def test_a_remembered_name_puts_the_cursor_on_the_first_match_when_the_list_arrives() -> None:
    state = initial_state("alice", MAPS, remembered=True)
    assert state.cursor == NEW
    state = update(state, Listed((match("m1"), match("m2"))))
    assert state.cursor == "m1"
    state = play(state, Key("enter"))
    assert state.choice == Choice("m1", "alice", "arena", False)


def test_up_and_down_move_over_name_matches_and_new_and_stop_at_the_ends() -> None:
    state = play(initial_state("alice", MAPS, remembered=True), Listed((match("m1"), match("m2"))))
    seen = [state.cursor]
    for _ in range(4):
        state = update(state, Key("down"))
        seen.append(state.cursor)
    assert seen == ["m1", "m2", NEW, NEW, NEW]
    for _ in range(4):
        state = update(state, Key("up"))
    assert state.cursor == NAME
    assert update(state, Key("shift-tab")).cursor == NEW  # tab wraps


def test_a_refresh_keeps_the_cursor_on_its_match_and_moves_it_when_the_match_ends() -> None:
    state = play(
        initial_state("alice", MAPS, remembered=True),
        Listed((match("a"), match("b"), match("c"))),
        Key("down"),
    )
    assert state.cursor == "b"
    state = update(state, Listed((match("z"), match("a"), match("b"), match("c"))))
    assert state.cursor == "b"  # a new match above did not move it
    state = update(state, Listed((match("a"), match("c"))))
    assert state.cursor == "c"  # b ended: the row where it was


def test_enter_on_the_name_moves_to_the_list_and_an_empty_name_is_refused() -> None:
    state = play(initial_state("", MAPS, remembered=False), Listed((match("m1"),)), Key("enter"))
    assert state.cursor == NAME and "name" in state.message
    state = play(state, Text("bob"), Key("enter"))
    assert state.cursor == "m1"
    state = play(state, Key("up"), Key("clear"), Key("down"), Key("enter"))
    assert state.choice is None and state.cursor == NAME and "name" in state.message


def test_create_a_match_with_a_typed_name_and_a_chosen_map() -> None:
    state = play(initial_state("alice", MAPS, remembered=True), Listed(()))
    assert state.cursor == NEW
    state = play(state, Key("right"), Text("my match!"), Key("enter"))
    assert state.choice == Choice("my-match", "alice", "crossroads", True)  # space: '-', '!' dropped


def test_create_with_the_generated_name_and_map_choice_wraps() -> None:
    state = play(initial_state("alice", MAPS, remembered=True, seed=7), Key("left"), Key("left"), Key("left"))
    assert state.map_name == "crossroads"
    state = update(state, Key("enter"))
    assert state.choice == Choice(generated_name(7), "alice", "crossroads", True)


def test_generated_names_look_like_adjective_animal_number() -> None:
    name = generated_name(3)
    adjective, animal, number = name.split("-")
    assert adjective.isalpha() and animal.isalpha() and 10 <= int(number) <= 99
    assert generated_name(3) == name


def test_creating_a_match_that_is_already_listed_joins_it_on_its_own_map() -> None:
    state = play(initial_state("alice", MAPS, remembered=True), Listed((match("m1", "crossroads"),)))
    state = play(state, Key("down"), Text("m1"), Key("enter"))
    assert state.choice == Choice("m1", "alice", "crossroads", False)


def test_a_full_match_or_one_under_other_rules_is_refused_on_the_screen() -> None:
    full = match("busy", players=MAX_PLAYERS)
    other = match("future", rules=RULES_VERSION + 1)
    state = play(initial_state("alice", MAPS, remembered=True), Listed((full, other)), Key("enter"))
    assert state.choice is None and "full" in state.message
    state = play(state, Key("down"), Key("enter"))
    assert state.choice is None and f"rules v{RULES_VERSION + 1}" in state.message


def test_an_unreachable_broker_is_said_and_the_screen_keeps_working() -> None:
    state = play(initial_state("alice", MAPS, remembered=True), Listed((match("m1"),)))
    state = update(state, Listed(error="Kafka is not reachable at x:1: start one with `make broker`"))
    assert state.broker_error.startswith("Kafka is not reachable") and state.matches == ()
    assert state.cursor == NEW
    state = play(state, Key("up"), Text("!"), Key("down"), Key("enter"))
    assert state.name == "alice!" and state.choice is not None and state.choice.created
    state = update(state, Listed((match("m1"),)))
    assert state.broker_error == ""


def test_a_taken_name_comes_back_as_a_message_with_the_cursor_on_the_name() -> None:
    state = play(initial_state("alice", MAPS, remembered=True), Listed((match("m1"),)), Key("enter"))
    assert state.choice is not None
    refused = refusal_message("name_taken", "taken", state.choice)
    state = update(state, refused)
    assert state.choice is None and state.cursor == NAME
    assert "'alice' is already playing in 'm1'" in state.message and "another name" in state.message
    state = play(state, Key("clear"), Text("alice2"), Key("enter"), Key("enter"))
    assert state.choice == Choice("m1", "alice2", "arena", False)


def test_other_refusals_say_what_to_do() -> None:
    choice = Choice("m1", "alice", "arena", False)
    assert "full" in refusal_message("match_full", "", choice).message
    rules = refusal_message(
        "wrong_rules", "match 'm1' is played under rules v9, this client has rules v1", choice
    )
    assert rules.message.startswith("Match 'm1' is played under rules v9")


def test_escape_quits() -> None:
    assert update(initial_state("a", MAPS, remembered=True), Key("escape")).quit


def test_clicks_land_on_the_layout() -> None:
    state = play(
        initial_state("alice", MAPS, remembered=True), Listed((match("m1"), match("m2", "crossroads")))
    )
    rects = layout(state)

    def centre(target: str) -> tuple[int, int]:
        x, y, w, h = rects[target]
        return x + w // 2, y + h // 2

    for target in (NAME, NEW, "create", "reroll", "map-prev", "map-next", "match:m1", "match:m2"):
        assert target_at(state, *centre(target)) == target
    assert target_at(state, 2, 2) is None
    clicked = update(state, Click("match:m2"))
    assert clicked.choice == Choice("m2", "alice", "crossroads", False)
    state = play(state, Click("map-next"), Click("reroll"))
    assert state.cursor == NEW and state.map_name == "crossroads" and state.seed == 1
    assert update(state, Click("create")).choice == Choice(generated_name(1), "alice", "crossroads", True)


def test_a_long_list_scrolls_with_the_cursor() -> None:
    many = tuple(match(f"m{i:02d}") for i in range(20))
    state = play(initial_state("alice", MAPS, remembered=True), Listed(many))
    state = play(state, *keys_to(state, "m15"))
    assert state.cursor == "m15" and "match:m15" in layout(state)
    assert "match:m00" not in layout(state)


def test_scripts_parse_and_refuse_what_they_do_not_know() -> None:
    steps = parse_script("type alice; key Enter; wait 200; until-listed m1; select m1; click create")
    assert steps == [
        Step("type", "alice"),
        Step("key", "enter"),
        Step("wait", "200"),
        Step("until-listed", "m1"),
        Step("select", "m1"),
        Step("click", "create"),
    ]
    for bad in ("jump", "key f13", "wait soon", "select", "type"):
        with pytest.raises(ScriptError):
            parse_script(bad)


def test_matches_called_name_and_new_are_rows_of_their_own() -> None:
    state = play(initial_state("alice", MAPS, remembered=True), Listed((match("name"), match("new"))))
    assert state.rows == [NAME, "name", "new", NEW]
    seen = [state.cursor]
    for _ in range(3):
        state = update(state, Key("down"))
        seen.append(state.cursor)
    assert seen == ["name", "new", NEW, NEW]
    state = update(update(state, Key("up")), Key("up"))
    chosen = update(state, Key("enter")).choice
    assert chosen is not None and chosen.match == "name" and not chosen.created
    assert update(state, Click("match:new")).choice == Choice("new", "alice", chosen.map_name, False)


def test_scripts_name_the_fixed_rows_by_word_and_matches_by_name() -> None:
    assert (script_row("name"), script_row("new")) == (NAME, NEW)
    assert (script_row("match:new"), script_row("m1"), script_row("match:m1")) == ("new", "m1", "m1")
