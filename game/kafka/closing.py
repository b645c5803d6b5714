"""`with` for the edge's clients: each has a `close()`, and leaving the block calls it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """A base for whatever holds librdkafka handles: `with Reader(...) as reader:` closes it."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
