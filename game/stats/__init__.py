"""Downstream of the match logs: standings (the pure fold), topic (the `arena.stats` contract),
processor (`python -m game.stats`: exactly-once, transactional) and history (a SQLite sink)."""
