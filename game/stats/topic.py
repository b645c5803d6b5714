"""The stats topic's contract: every key and value of `arena.stats`, built and parsed here only."""

from __future__ import annotations

import json
import zlib
from typing import Any

from game.core.replica import MatchReplica
from game.stats.standings import MatchStats, Standing, total


def player_key(match: str, name: str) -> str:
    return f"match/{match}/player/{name}"


def flag_key(match: str, name: str) -> str:
    return f"match/{match}/flag/{name}"


def match_key(match: str) -> str:
    return f"match/{match}"


def session_key(match: str, first_offset: int) -> str:
    return f"match/{match}/session/{first_offset}"


def alltime_key(name: str) -> str:
    return f"alltime/player/{name}"


def parse_key(key: str) -> tuple[str, ...]:
    """('player', M, name), ('flag', M, name), ('session', M, first), ('match', M),
    ('alltime', name), or () for anything else. Match names hold no '/', player names may."""
    parts = key.split("/", 3)
    if parts[0] == "alltime" and len(parts) >= 3 and parts[1] == "player":
        return ("alltime", key.split("/", 2)[2])
    if parts[0] != "match" or len(parts) < 2:
        return ()
    if len(parts) == 2:
        return ("match", parts[1])
    if len(parts) == 4 and parts[2] in ("player", "flag", "session"):
        return (parts[2], parts[1], parts[3])
    return ()


def partition_for(name: str, partitions: int) -> int:
    """Stable across processes and versions (unlike hash())."""
    return zlib.crc32(name.encode()) % partitions


def dumps(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def player_value(match: str, name: str, standing: Standing) -> dict[str, Any]:
    return {"match": match, "player": name, **standing.to_json()}


def alltime_value(name: str, per_match: dict[str, Standing]) -> dict[str, Any]:
    return {"player": name, "matches": len(per_match), **total(per_match.values()).to_json()}


def match_value(replica: MatchReplica, stats: MatchStats) -> dict[str, Any]:
    session = stats.open_session()
    return {
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
        "session": session.to_json() if session is not None else None,
    }
