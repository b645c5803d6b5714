"""The stats topic's contract: every key and value of `arena.stats`, built and parsed here only.

Keys (UTF-8; match names hold no '/', player names may):

    match/<M>/player/<name>    a player's standings in match M (all sessions of the topic)
    match/<M>/flag/<name>      a player over the suspicious-rejection threshold, with evidence
    match/<M>/session/<first>  a finished session (first = the offset of its first join)
    match/<M>/round/<n>        a finished round (rules v2): winner, times, offsets, final table
    match/<M>                  the match: counts, present players, the open session, the round
    alltime/player/<name>      the sum of that player's `match/*/player/<name>` values

Values are compact JSON objects. Writers (the processor) use the `*_value` builders and
`dumps`; readers (the history sink, the spectator, the player's HUD) use `parse_key`, `loads`
and the `*_of` parsers, which never raise on a malformed value: they answer None or skip it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from game.core.ranking import ranked_by_name
from game.core.replica import MatchReplica
from game.core.world import Standing as RoundStanding
from game.stats.standings import Flag, MatchStats, RoundResult, Session, Standing, total

KeyKind = Literal["player", "flag", "session", "round", "match", "alltime"]


@dataclass(frozen=True, slots=True)
class StatsKey:
    """A parsed key: `match` is "" for alltime keys, `name` is "" for match keys, for
    session keys `name` is the session's first offset as written, and for round keys the
    round's number."""

    kind: KeyKind
    match: str = ""
    name: str = ""


def player_key(match: str, name: str) -> str:
    return f"match/{match}/player/{name}"


def flag_key(match: str, name: str) -> str:
    return f"match/{match}/flag/{name}"


def match_key(match: str) -> str:
    return f"match/{match}"


def session_key(match: str, first_offset: int) -> str:
    return f"match/{match}/session/{first_offset}"


def round_key(match: str, round_no: int) -> str:
    return f"match/{match}/round/{round_no}"


def alltime_key(name: str) -> str:
    return f"alltime/player/{name}"


def parse_key(key: str | bytes) -> StatsKey | None:
    """The key's kind and parts, or None for a key this contract does not define."""
    if isinstance(key, bytes):
        key = key.decode(errors="replace")
    parts = key.split("/", 3)
    if parts[0] == "alltime" and len(parts) >= 3 and parts[1] == "player":
        return StatsKey("alltime", name=key.split("/", 2)[2])
    if parts[0] != "match" or len(parts) < 2:
        return None
    if len(parts) == 2:
        return StatsKey("match", parts[1])
    if len(parts) == 4:
        match parts[2]:
            case "player":
                return StatsKey("player", parts[1], parts[3])
            case "flag":
                return StatsKey("flag", parts[1], parts[3])
            case "session":
                return StatsKey("session", parts[1], parts[3])
            case "round":
                return StatsKey("round", parts[1], parts[3])
    return None


def partition_for(name: str, partitions: int) -> int:
    """Stable across processes and versions (unlike hash())."""
    return zlib.crc32(name.encode()) % partitions


# --- values: built by the processor ---


def dumps(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def loads(value: bytes) -> Any:
    """A value as JSON; raises ValueError on bytes that are not JSON."""
    return json.loads(value)


def standing_value(standing: Standing) -> dict[str, Any]:
    return {
        "kills": standing.kills,
        "deaths": standing.deaths,
        "score": standing.score,
        "pickups": standing.pickups,
        "coins": standing.coins,
        "damage_dealt": standing.damage_dealt,
        "rejected": dict(standing.rejected),
    }


def player_value(match: str, name: str, standing: Standing) -> dict[str, Any]:
    return {"match": match, "player": name, **standing_value(standing)}


def alltime_value(name: str, per_match: Mapping[str, Standing]) -> dict[str, Any]:
    return {"player": name, "matches": len(per_match), **standing_value(total(per_match.values()))}


def flag_value(flag: Flag) -> dict[str, Any]:
    return {
        "match": flag.match,
        "player": flag.player,
        "suspicious": flag.suspicious,
        "reasons": dict(flag.reasons),
        "offsets": list(flag.offsets),
    }


def session_value(session: Session) -> dict[str, Any]:
    return {
        "match": session.match,
        "map": session.map_name,
        "first_offset": session.first_offset,
        "first_ts": session.first_ts,
        "last_offset": session.last_offset,
        "last_ts": session.last_ts,
        "ended_by": session.ended_by,
        "players": {name: standing_value(s) for name, s in session.players},
    }


def round_value(result: RoundResult) -> dict[str, Any]:
    return {
        "match": result.match,
        "map": result.map_name,
        "round": result.round_no,
        "started_at": result.started_at,
        "ended_at": result.ended_at,
        "start_offset": result.start_offset,
        "end_offset": result.end_offset,
        "winner": result.winner,
        "winner_pid": result.winner_pid,
        # A list, not an object: the table keeps the reducer's order, best first.
        "standings": [
            {"player": s.name, "pid": s.pid, "score": s.score, "kills": s.kills, "deaths": s.deaths}
            for s in result.standings
        ],
    }


def _round_fields(replica: MatchReplica) -> dict[str, Any]:
    """The round being played, in a match of rules with rounds (else nothing)."""
    world = replica.world
    if not world.round_ms:
        return {}
    last = world.last_round
    return {
        "round": world.round_no,
        "round_ms": world.round_ms,
        "phase": world.phase,
        "last_round": None if last is None else {"round": last.round_no, "winner": last.winner_name},
    }


def match_value(replica: MatchReplica, stats: MatchStats) -> dict[str, Any]:
    session = stats.open_session()
    return _round_fields(replica) | {
        "match": stats.match,
        "map": stats.map_name,
        "offset": replica.offset,
        "clock_ms": replica.world.clock,
        "applied": replica.applied,
        "rejected": dict(sorted(replica.rejected.items())),
        "skipped": dict(sorted(replica.skipped.items())),
        "unattributed": dict(sorted(stats.unattributed.items())),
        "present": sorted(stats.names[pid] for pid in stats.present),
        "players": sorted(stats.players),
        "session": session_value(session) if session is not None else None,
    }


# --- values: parsed by every reader ---


def _is_count(found: object) -> bool:
    return isinstance(found, int) and not isinstance(found, bool)


def _int(value: Mapping[str, Any], name: str) -> int:
    found = value.get(name, 0)
    return found if _is_count(found) else 0


def standing_of(value: object) -> Standing | None:
    """The standing in a player, alltime or session-player value; None if it is not one.

    Missing or mistyped figures read as 0, so an older processor's values still show."""
    if not isinstance(value, Mapping):
        return None
    rejected = value.get("rejected")
    reasons = rejected if isinstance(rejected, Mapping) else {}
    return Standing(
        _int(value, "kills"),
        _int(value, "deaths"),
        _int(value, "score"),
        _int(value, "pickups"),
        _int(value, "coins"),
        _int(value, "damage_dealt"),
        tuple(
            sorted((str(k), n) for k, n in reasons.items() if isinstance(n, int) and not isinstance(n, bool))
        ),
    )


def session_of(value: object) -> Session | None:
    """A session value (or a match value's open session); None if it is not one."""
    if not isinstance(value, Mapping):
        return None
    players = value.get("players")
    try:
        return Session(
            str(value["match"]),
            str(value["map"]),
            int(value["first_offset"]),
            int(value["first_ts"]),
            int(value["last_offset"]),
            int(value["last_ts"]),
            str(value["ended_by"]),
            # JSON objects keep no order: the ranking puts the players back best first.
            tuple(
                ranked_by_name(
                    (str(name), standing)
                    for name, s in (players.items() if isinstance(players, Mapping) else ())
                    if (standing := standing_of(s)) is not None
                )
            ),
        )
    except (KeyError, TypeError, ValueError, OverflowError):
        return None


def round_of(value: object) -> RoundResult | None:
    """A round value; None if it is not one. Malformed lines of its table are skipped."""
    if not isinstance(value, Mapping):
        return None
    lines = value.get("standings")
    try:
        return RoundResult(
            str(value["match"]),
            str(value.get("map", "")),
            _number(value["round"]),
            _number(value.get("started_at", 0)),
            _number(value["ended_at"]),
            _number(value.get("start_offset", -1)),
            _number(value["end_offset"]),
            str(value.get("winner", "")),
            _number(value.get("winner_pid", 0)),
            tuple(
                line
                for found in (lines if isinstance(lines, list) else ())
                if (line := _round_line(found)) is not None
            ),
        )
    except (KeyError, TypeError):
        return None


def _round_line(found: object) -> RoundStanding | None:
    if not isinstance(found, Mapping) or "player" not in found:
        return None
    try:
        return RoundStanding(
            _number(found.get("pid", 0)),
            str(found["player"]),
            _number(found.get("score", 0)),
            _number(found.get("kills", 0)),
            _number(found.get("deaths", 0)),
        )
    except TypeError:
        return None


def _number(found: object) -> int:
    """An integer figure of a value; TypeError for anything else (a float, a string, a bool)."""
    if isinstance(found, int) and not isinstance(found, bool):
        return found
    raise TypeError(f"not an integer: {found!r}")


def match_rounds(values: Mapping[str, Any], match: str) -> list[RoundResult]:
    """The finished rounds of one match, from the topic's latest values, by round number."""
    found = []
    for key, value in values.items():
        parsed = parse_key(key)
        if parsed is not None and parsed.kind == "round" and parsed.match == match:
            result = round_of(value)
            if result is not None:
                found.append(result)
    return sorted(found, key=lambda r: r.round_no)


def match_standings(values: Mapping[str, Any], match: str) -> dict[str, Standing]:
    """Every player's standings in one match, from the topic's latest values by key."""
    found = {}
    for key, value in values.items():
        parsed = parse_key(key)
        if parsed is not None and parsed.kind == "player" and parsed.match == match:
            standing = standing_of(value)
            if standing is not None:
                found[parsed.name] = standing
    return found


def flagged_players(values: Mapping[str, Any], match: str) -> set[str]:
    """The players of one match with a cheat flag."""
    flagged = set()
    for key in values:
        parsed = parse_key(key)
        if parsed is not None and parsed.kind == "flag" and parsed.match == match:
            flagged.add(parsed.name)
    return flagged


def alltime_standings(values: Mapping[str, Any]) -> dict[str, tuple[int, Standing]]:
    """(matches played, summed standing) of every player, from the alltime values."""
    found = {}
    for key, value in values.items():
        parsed = parse_key(key)
        if parsed is not None and parsed.kind == "alltime":
            standing = standing_of(value)
            if standing is not None and isinstance(value, Mapping):
                found[parsed.name] = (_int(value, "matches"), standing)
    return found
