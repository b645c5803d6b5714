"""The rules of the game and its wire format: pure (no I/O, no clock, no pygame, no Kafka).

actions (what a player can do) -> codec (msgpack records) -> world (the reducer: `apply`),
on maps and a collision grid; replica (a reader's fold of one match), records (a consumed
record), auth (hash-chain tokens), constants (every number of the game, in units).
"""
