"""The spectator: watch (and rewind) a match by reading its Kafka log."""
