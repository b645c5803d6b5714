"""Local single-node Apache Kafka broker: ``python -m broker start|stop|status``."""

from broker.local import BrokerError, BrokerStatus, LocalBroker, StartResult

__all__ = ["BrokerError", "BrokerStatus", "LocalBroker", "StartResult"]
