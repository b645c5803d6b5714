"""The Kafka edge: the only package that imports confluent-kafka.

settings (flags, environment, config files, the client configs), topics (naming, admin),
producer (actions out), reader (a match in), processor (exactly-once read-process-write),
compacted (latest values), link (how a feed's link stands: the one reader of error codes).
Nothing here blocks a frame: the game loops poll with zero timeouts; only start-up, seek and
shutdown wait, each with a bound.
"""

from __future__ import annotations

from game.kafka.compacted import CompactedTopicFeed, CompactedTopicReader
from game.kafka.link import LinkStatus, TopicMissing, link_status
from game.kafka.processor import (
    AssignedCallback,
    Output,
    RevokedCallback,
    TransactionAborted,
    TransactionalProcessor,
    TransactionFailed,
)
from game.kafka.producer import MAX_BACKLOG, ActionProducer, DeliveryCallback
from game.kafka.reader import MatchReader, record_of
from game.kafka.settings import (
    DEFAULT_BOOTSTRAP,
    MATCH_NAME,
    SECURITY_ENVIRONMENT,
    KafkaSettings,
    KafkaUnavailable,
    add_kafka_arguments,
    parse_overrides,
    private_group,
    producer_config,
    read_config_file,
    reader_config,
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
    link_problem,
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
    "KafkaSettings",
    "KafkaUnavailable",
    "LinkStatus",
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
    "TopicMissing",
    "TransactionAborted",
    "TransactionFailed",
    "TransactionalProcessor",
    "add_kafka_arguments",
    "ensure_compacted_topic",
    "ensure_match_topic",
    "link_problem",
    "link_status",
    "list_matches",
    "match_log_range",
    "match_of",
    "parse_overrides",
    "private_group",
    "producer_config",
    "read_config_file",
    "reader_config",
    "record_of",
    "settings_from_args",
    "topic_for",
]
