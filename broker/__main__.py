"""``python -m broker start|stop|status [--port 9092] [--dir .broker]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from broker.local import DEFAULT_BASE_DIR, DEFAULT_PORT, KAFKA_VERSION, BrokerError, LocalBroker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m broker",
        description=f"Run a local single-node KRaft Apache Kafka {KAFKA_VERSION} broker.",
    )
    parser.add_argument("command", choices=("start", "stop", "status"))
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="broker port")
    parser.add_argument(
        "--controller-port", type=int, default=None, help="KRaft controller port (port+1)"
    )
    parser.add_argument("--dir", type=Path, default=DEFAULT_BASE_DIR, help="state directory")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait on start")
    args = parser.parse_args(argv)

    broker = LocalBroker(args.port, args.dir, controller_port=args.controller_port)
    try:
        if args.command == "start":
            return _start(broker, args.timeout)
        if args.command == "stop":
            return _stop(broker)
        return _status(broker)
    except BrokerError as err:
        if err.log_tail:
            print(err.log_tail, file=sys.stderr)
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


def _start(broker: LocalBroker, timeout: float) -> int:
    result = broker.start_verbose(timeout)
    if result.already_running:
        print(f"broker already running (pid {result.pid}), answering on {result.bootstrap}")
    else:
        print(
            f"Apache Kafka {KAFKA_VERSION} broker started in {result.seconds:.1f}s "
            f"(pid {result.pid}, log {broker.log_path})"
        )
    print(result.bootstrap)  # last line: the bootstrap address, for scripts
    return 0


def _stop(broker: LocalBroker) -> int:
    pid = broker.pid()
    if pid is None:
        print(f"no broker running on port {broker.port}")
        return 0
    broker.stop()
    print(f"broker stopped (pid {pid}, port {broker.port})")
    return 0


def _status(broker: LocalBroker) -> int:
    status = broker.status()
    if not status.running:
        print(f"not running (port {broker.port})")
        return 1
    answers = "answers metadata" if status.answers else "does NOT answer metadata"
    print(f"running: pid {status.pid}, {status.bootstrap}, {answers}")
    return 0 if status.answers else 1


if __name__ == "__main__":
    sys.exit(main())
