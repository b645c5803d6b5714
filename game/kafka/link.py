"""How a window's link to a topic stands, and the one place that reads librdkafka's error codes
to tell a missing topic from a broker that cannot be reached.
"""

from __future__ import annotations

from enum import StrEnum

from confluent_kafka import KafkaError, KafkaException

from game.kafka.settings import KafkaUnavailable


class LinkStatus(StrEnum):
    """A background reader's link: its value is the word a headless summary prints."""

    CONNECTING = "connecting"  # not answered yet
    OK = "ok"  # following the topic
    TOPIC_MISSING = "topic_missing"  # the cluster answered: no such topic (yet)
    UNREACHABLE = "unreachable"  # no answer, refused, or any other failure


class TopicMissing(KafkaUnavailable):
    """The cluster answered, and the topic (or its partition) does not exist."""


# KafkaError's _NAMES are librdkafka's local error codes: public, despite the underscore.
_MISSING_CODES = frozenset(
    {
        KafkaError._UNKNOWN_PARTITION,  # noqa: SLF001
        KafkaError._UNKNOWN_TOPIC,  # noqa: SLF001
        KafkaError.UNKNOWN_TOPIC_OR_PART,
    }
)


def link_status(error: BaseException | KafkaError) -> LinkStatus:
    """TOPIC_MISSING when the cluster said the topic does not exist, UNREACHABLE for any other
    failure: a KafkaUnavailable is judged by the librdkafka error it was raised from."""
    if isinstance(error, TopicMissing):
        return LinkStatus.TOPIC_MISSING
    while isinstance(error, KafkaUnavailable) and error.__cause__ is not None:
        error = error.__cause__
    if isinstance(error, KafkaException) and error.args:
        error = error.args[0]
    if isinstance(error, KafkaError) and error.code() in _MISSING_CODES:
        return LinkStatus.TOPIC_MISSING
    return LinkStatus.UNREACHABLE
