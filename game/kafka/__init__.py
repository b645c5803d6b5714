"""The Kafka edge: the only package that imports confluent-kafka.

settings (flags, environment, config files), topics (naming, admin), producer (actions out),
reader (a match in), processor (exactly-once read-process-write), compacted (latest values).
Nothing here blocks a frame: the game loops poll with zero timeouts; only start-up, seek and
shutdown wait, each with a bound.
"""

from __future__ import annotations

from game.kafka.compacted import (
    FEED_ABSENT,
    FEED_CONNECTING,
    FEED_OK,
    FEED_UNREACHABLE,
    CompactedTopicFeed,
    CompactedTopicReader,
)
from game.kafka.processor import (
    AssignedCallback,
    Output,
    RevokedCallback,
    TransactionAborted,
    TransactionalProcessor,
    TransactionFailed,
)
from game.kafka.producer import MAX_BACKLOG, ActionProducer, DeliveryCallback
from game.kafka.reader import MatchReader, raw_records, record_of
from game.kafka.settings import (
    DEFAULT_BOOTSTRAP,
    MATCH_NAME,
    SECURITY_ENVIRONMENT,
    KafkaSettings,
    KafkaUnavailable,
    add_kafka_arguments,
    parse_overrides,
    private_group,
    read_config_file,
    settings_from_args,
)
from game.kafka.topics import (
    MATCH_TOPIC_PATTERN,
    RECENT_RECORDS,
    STATS_PARTITIONS,
    STATS_TOPIC,
    TOPIC_PREFIX,
    MatchInfo,
    ensure_compacted_topic,
    ensure_match_topic,
    list_matches,
    match_log_range,
    match_of,
    topic_for,
)

__all__ = [
    "ActionProducer",
    "AssignedCallback",
    "CompactedTopicFeed",
    "CompactedTopicReader",
    "DEFAULT_BOOTSTRAP",
    "DeliveryCallback",
    "FEED_ABSENT",
    "FEED_CONNECTING",
    "FEED_OK",
    "FEED_UNREACHABLE",
    "KafkaSettings",
    "KafkaUnavailable",
    "MATCH_NAME",
    "MATCH_TOPIC_PATTERN",
    "MAX_BACKLOG",
    "MatchInfo",
    "MatchReader",
    "Output",
    "RECENT_RECORDS",
    "RevokedCallback",
    "SECURITY_ENVIRONMENT",
    "STATS_PARTITIONS",
    "STATS_TOPIC",
    "TOPIC_PREFIX",
    "TransactionAborted",
    "TransactionFailed",
    "TransactionalProcessor",
    "add_kafka_arguments",
    "ensure_compacted_topic",
    "ensure_match_topic",
    "list_matches",
    "match_log_range",
    "match_of",
    "parse_overrides",
    "private_group",
    "raw_records",
    "read_config_file",
    "record_of",
    "settings_from_args",
    "topic_for",
]
