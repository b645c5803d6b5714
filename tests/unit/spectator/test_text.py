"""spectator.text's wording of a match's age, as the match picker shows it."""

from __future__ import annotations

import time

from spectator.text import describe_age


def test_ages_read_like_a_person_would_say_them() -> None:
    now_ms = time.time() * 1000
    assert describe_age(0) == "empty"
    assert describe_age(int(now_ms - 2_000)) == "live"
    assert describe_age(int(now_ms - 42_000)) == "42 s ago"
    assert describe_age(int(now_ms - 5 * 60_000)) == "5 min ago"
    assert describe_age(int(now_ms - 3 * 3_600_000)) == "3 h ago"
    assert describe_age(int(now_ms - 2 * 86_400_000)) == "2 days ago"
