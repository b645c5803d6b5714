"""Signed players: only the holder of the hash chain can act as the player."""

from __future__ import annotations

import os

import pytest

from game.core.actions import Join, Leave, Move, Ping
from game.core.auth import MAX_GAP, HashChain, chain_hash, verify
from game.core.maps import load_map
from game.core.world import apply, new_world, world_hash

T0 = 1_000_000


@pytest.fixture
def signed():
    world = new_world(load_map("arena"))
    chain = HashChain(512, secret=b"s" * 8)
    outcome = apply(world, Join(7, 1, 0, "ann", 0xFF0000, 0, "arena", chain.tip), T0)
    assert outcome.applied
    return world, chain


def test_a_chain_is_spent_backwards_from_its_tip():
    chain = HashChain(600, secret=b"x" * 8)
    last = chain.tip
    for k in range(1, 600):
        token = chain.token(k)
        assert chain_hash(token) == last
        last = token
    with pytest.raises(IndexError):
        chain.token(601)


def test_verify_walks_across_a_gap_but_not_a_huge_one():
    chain = HashChain(1024, secret=b"y" * 8)
    assert verify(chain.token(10), 10, chain.tip)
    assert not verify(chain.token(10), 9, chain.tip)
    assert not verify(chain.token(MAX_GAP + 1), MAX_GAP + 1, chain.tip)


def test_the_chain_token_is_accepted(signed):
    world, chain = signed
    assert apply(world, Ping(7, 2, 10, chain.token(1)), T0 + 10).applied
    assert apply(world, Ping(7, 3, 20, chain.token(2)), T0 + 20).applied


def test_a_forged_token_is_rejected_and_changes_nothing(signed):
    world, _ = signed
    before = world_hash(world)
    outcome = apply(world, Leave(7, 2, 10, os.urandom(8)), T0 + 10)
    assert (outcome.applied, outcome.reason) == (False, "forged")
    assert 7 in world.players
    assert world_hash(world) == before


def test_an_unsigned_action_for_a_signed_player_is_forged(signed):
    world, _ = signed
    assert apply(world, Leave(7, 2, 10), T0 + 10).reason == "forged"


def test_a_lost_action_leaves_a_gap_the_next_token_bridges(signed):
    world, chain = signed
    assert apply(world, Ping(7, 5, 10, chain.token(4)), T0 + 10).applied


def test_a_token_seen_in_a_rejected_action_cannot_be_replayed(signed):
    world, chain = signed
    player = world.players[7]
    far = Move(7, 2, 10, player.x + 16 * 200, player.y, 2, chain.token(1))
    outcome = apply(world, far, T0 + 10)
    assert not outcome.applied
    # The token is public now; the same sequence number with other content is refused.
    replay = Move(7, 2, 20, player.x, player.y + 16, 4, chain.token(1))
    assert apply(world, replay, T0 + 20).reason == "duplicate"
    # The rightful owner simply goes on with the next token.
    assert apply(world, Ping(7, 3, 30, chain.token(2)), T0 + 30).applied


def test_a_join_cannot_take_over_a_present_player(signed):
    world, _ = signed
    outcome = apply(world, Join(7, 9, 0, "eve", 0, 0, "arena", os.urandom(8)), T0 + 10)
    assert outcome.reason == "pid_taken"


def test_an_old_join_replayed_after_a_leave_cannot_revive_the_player(signed):
    world, chain = signed
    assert apply(world, Leave(7, 2, 10, chain.token(1)), T0 + 10).applied
    replayed = Join(7, 1, 0, "ann", 0xFF0000, 0, "arena", chain.tip)
    assert apply(world, replayed, T0 + 20).reason == "pid_taken"
    assert apply(world, Ping(7, 2, 30, chain.token(1)), T0 + 30).reason == "not_joined"
