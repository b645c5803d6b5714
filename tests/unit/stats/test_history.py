"""The history sink without a broker: an idle guess is replaced by the real end, not duplicated."""

from __future__ import annotations

from pathlib import Path

from game.stats.history import HistorySink, list_history, open_db, write_session
from game.stats.standings import Session, Standing


def test_an_idle_guess_is_replaced_by_the_real_end_not_duplicated(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "h.sqlite3")
    open_session = Session("m", "arena", 0, 1_000, 40, 5_000, "", (("ann", Standing(1, 0, 5, 0, 0, 20)),))
    sink = HistorySink(conn, idle_ms=60_000)
    sink.open["m"] = open_session
    sink.check_idle(now_ms=30_000)
    assert list_history(conn) == []
    sink.check_idle(now_ms=70_000)
    sink.check_idle(now_ms=80_000)
    [idle] = list_history(conn)
    assert (idle.ended_by, idle.last_offset, sink.written) == ("idle", 40, 1)
    ended = Session("m", "arena", 0, 1_000, 52, 90_000, "left", (("ann", Standing(2, 0, 10, 0, 0, 40)),))
    assert write_session(conn, ended)
    assert not write_session(conn, ended)  # replayed: nothing changes
    assert not write_session(conn, open_session, "idle")  # an old value seen again: ignored
    [final] = list_history(conn)
    assert (final.ended_by, final.last_offset, final.duration_ms, final.players[0].kills) == (
        "left",
        52,
        89_000,
        2,
    )
