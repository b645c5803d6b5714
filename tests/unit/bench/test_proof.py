"""bench proof's command line: what it needs is asked for with one usage line."""

from __future__ import annotations

import pytest

from bench.proof import parse_args


def test_it_needs_a_broker_and_both_logins() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--bootstrap", "127.0.0.1:9192", "--open-config", "p.properties"])
    args = parse_args(
        ["--bootstrap", "127.0.0.1:9192", "--open-config", "p.properties", "--proven-config", "a.properties"]
    )
    assert (args.runs, args.proven_config) == (9, "a.properties")


def test_runs_must_be_positive() -> None:
    with pytest.raises(SystemExit):
        parse_args(["--bootstrap", "b:1", "--open-config", "p", "--proven-config", "a", "--runs", "0"])
