"""Benchmarks of Kafka Arena: `python -m bench NAME` prints one JSON line per benchmark."""
