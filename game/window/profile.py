"""The player's profile: the name typed on the title screen, remembered for next time.

Kept in `$XDG_CONFIG_HOME/kafka-arena/profile.json` (`~/.config/...` when unset). A missing,
unreadable or malformed file is no profile; a profile that cannot be written is not
remembered, and the game goes on.
"""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

from game.core.constants import MAX_NAME_CHARS


def profile_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "kafka-arena" / "profile.json"


def valid_name(name: str) -> bool:
    return 1 <= len(name) <= MAX_NAME_CHARS and name.isprintable() and name.strip() == name


def login_name() -> str:
    """The login name, cut to a player name; "player" when there is none (containers)."""
    try:
        name = getpass.getuser()[:MAX_NAME_CHARS].strip()
    except Exception:  # no user database entry
        return "player"
    return name if valid_name(name) else "player"


def remembered_name() -> str | None:
    """The name saved by the last title screen, or None."""
    try:
        data = json.loads(profile_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and valid_name(name) else None


def remember_name(name: str) -> bool:
    """Save the name for next time; False when it could not be written."""
    path = profile_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({"name": name}) + "\n", encoding="utf-8")
        temporary.replace(path)
    except OSError:
        return False
    return True
