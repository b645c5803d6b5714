"""Who may act as a player: hash-chain tokens any reader can check, no server needed.

At join a client publishes the tip of a hash chain, `tip = H^n(secret)`, and then spends
the chain backwards: its k-th action after the join carries `H^(n-k)(secret)`. A reader
checks a token by hashing it forward to the last token it accepted for that player (one
hash per action, a few more across a gap). Only the holder of the secret can produce the
next token, because that is a preimage of a published one; a token already in the log is
useless again, since readers advance past it. H is BLAKE2b cut to 8 bytes: a forger needs
about 2^64 hashes per action, far beyond the life of a match.

Limits, written down: this authenticates who wrote an action, not what it says (a token
is not bound to its action's fields, so whoever could read a record before it reached the
log could swap its content; Kafka's TLS and ACLs are what keep that path closed), and a
chain has a length, after which the client must join again with a new one.
"""

from __future__ import annotations

import hashlib
import os

TOKEN_BYTES = 8
# Gaps happen (an action lost with its producer); a longer one costs the reader too much.
MAX_GAP = 256
CHECKPOINT_EVERY = 256


def chain_hash(token: bytes) -> bytes:
    return hashlib.blake2b(token, digest_size=TOKEN_BYTES).digest()


def verify(token: bytes, steps: int, last: bytes) -> bool:
    """True when hashing `token` forward `steps` times gives `last`."""
    if not 1 <= steps <= MAX_GAP or len(token) != TOKEN_BYTES:
        return False
    for _ in range(steps):
        token = hashlib.blake2b(token, digest_size=TOKEN_BYTES).digest()
    return token == last


class HashChain:
    """A player's secret chain, spent from the tip backwards; O(sqrt n) memory."""

    def __init__(self, length: int = 1 << 16, secret: bytes | None = None) -> None:
        self.length = length
        link = secret if secret is not None else os.urandom(TOKEN_BYTES)
        # Keep every CHECKPOINT_EVERY-th link; rebuild one segment at a time when spending.
        self._checkpoints: list[bytes] = []
        for i in range(length + 1):
            if i % CHECKPOINT_EVERY == 0:
                self._checkpoints.append(link)
            if i < length:
                link = chain_hash(link)
        self.tip = link
        self._segment_start = -1
        self._segment: list[bytes] = []

    def token(self, k: int) -> bytes:
        """The token of the k-th action after the join (k >= 1): H^(n-k)(secret)."""
        index = self.length - k
        if index < 0:
            raise IndexError("hash chain spent: join again")
        start = index - index % CHECKPOINT_EVERY
        if start != self._segment_start:
            link = self._checkpoints[start // CHECKPOINT_EVERY]
            segment = [link]
            for _ in range(CHECKPOINT_EVERY - 1):
                link = chain_hash(link)
                segment.append(link)
            self._segment_start, self._segment = start, segment
        return self._segment[index - start]
