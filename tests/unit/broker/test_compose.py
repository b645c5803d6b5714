"""The compose file, checked on paper (no Docker engine runs these tests): every profile's
advertised listeners must be bound on the same port inside the container and published on
it, or clients get an answer from the bootstrap address and then nothing (the `secure`
profile once published 9192 onto a listener on 9092 that advertised 9192, and never started).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from broker.lan import DEFAULT_LAN_DIR, shown_path
from broker.secure import QUOTAS

ROOT = Path(__file__).resolve().parents[3]
ADVERTISED_HOST = "$KAFKA_ADVERTISED_HOST"  # stands for the address the lan profile is given
# Addresses a client on the host computer (or a friend's) uses: these must be published.
FROM_OUTSIDE = {"localhost", ADVERTISED_HOST}


# --- the little YAML the compose file uses -----------------------------------------------
# Block mappings and lists of scalars, flow lists, quotes, comments, anchors and `<<` merges:
# enough for docker-compose.yaml without a YAML library among the dependencies.


def parse_yaml(text: str) -> Any:
    lines = []
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        lines.append((len(raw) - len(raw.lstrip(" ")), _uncomment(stripped)))
    value, end = _block(lines, 0, lines[0][0], {})
    assert end == len(lines), f"unparsed from line {lines[end]}"
    return value


def _uncomment(text: str) -> str:
    quote = ""
    for index, char in enumerate(text):
        if char in "\"'" and quote in ("", char):
            quote = "" if quote else char
        elif char == "#" and not quote and index and text[index - 1] == " ":
            return text[:index].rstrip()
    return text


def _block(lines: list[tuple[int, str]], i: int, indent: int, anchors: dict[str, Any]) -> tuple[Any, int]:
    if lines[i][1].startswith("- "):
        items = []
        while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
            items.append(_scalar(lines[i][1][2:], anchors))
            i += 1
        return items, i
    mapping: dict[str, Any] = {}
    while i < len(lines) and lines[i][0] == indent:
        text = lines[i][1]
        key, rest = (text[:-1], "") if text.endswith(":") else text.split(": ", 1)
        anchor = None
        if rest.startswith("&"):
            anchor, _, rest = rest[1:].partition(" ")
        i += 1
        if rest:
            value = _scalar(rest, anchors)
        elif i < len(lines) and lines[i][0] > indent:
            value, i = _block(lines, i, lines[i][0], anchors)
        else:
            value = None  # `key:` alone, e.g. a named volume with default settings
        if anchor:
            anchors[anchor] = value
        if key == "<<":
            for merged_key, merged_value in value.items():
                mapping.setdefault(merged_key, merged_value)
        else:
            mapping[key] = value
    return mapping, i


def _scalar(text: str, anchors: dict[str, Any]) -> Any:
    text = text.strip()
    if text.startswith("*"):
        return anchors[text[1:]]
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(item, anchors) for item in text[1:-1].split(",") if item.strip()]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def test_the_little_parser_reads_what_the_compose_file_uses() -> None:
    parsed = parse_yaml(
        "x-node: &node\n  image: kafka  # the image\n  profiles: [a, 'b']\n"
        'services:\n  one:\n    <<: *node\n    image: other\n    ports:\n      - "1:2"\n'
    )
    assert parsed["services"]["one"] == {"image": "other", "profiles": ["a", "b"], "ports": ["1:2"]}


# --- what each profile binds, advertises and publishes -------------------------------------

COMPOSE = parse_yaml((ROOT / "docker-compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
Endpoint = tuple[str, int]  # (host, port)


def listener_map(spec: str) -> dict[str, Endpoint]:
    """NAME://host:port,... as {NAME: (host, port)}."""
    found = {}
    for item in spec.split(","):
        name, _, address = item.strip().partition("://")
        host, _, port = address.rpartition(":")
        found[name] = (host, int(port))
    return found


def script_of(service: dict[str, Any]) -> str:
    """The entry script a service runs, read from the file its volume mounts."""
    inside = service["entrypoint"][-1]
    for volume in service["volumes"]:
        source, _, target = volume.partition(":")
        if target.split(":")[0] == inside:
            return (ROOT / source).read_text()
    raise AssertionError(f"{inside} is not mounted")


def listeners_of(service: dict[str, Any]) -> tuple[dict[str, Endpoint], dict[str, Endpoint]]:
    """(listeners, advertised listeners) of a service, from its environment, or from the
    properties its entry script writes (or renders from broker/lan.properties)."""
    env = service.get("environment", {})
    if "KAFKA_LISTENERS" in env:
        return listener_map(env["KAFKA_LISTENERS"]), listener_map(env["KAFKA_ADVERTISED_LISTENERS"])
    script = script_of(service)
    port = int(env["ARENA_PORT"])
    assert f"\nPORT=${{ARENA_PORT:-{port}}}\n" in script, "PORT comes from ARENA_PORT"
    if "lan.properties" in script:
        assert 'port="$PORT"' in script and 'advertise="$ADVERTISE"' in script and "bind=0.0.0.0" in script
        text = (ROOT / "broker" / "lan.properties").read_text()
        values = {"port": str(port), "controller_port": str(port + 1), "internal_port": str(port + 2)}
        values |= {"bind": "0.0.0.0", "advertise": ADVERTISED_HOST}  # noqa: S104 - what it renders
        for name, value in values.items():
            text = text.replace("${" + name + "}", value)
    else:
        text = script.replace("${PORT}", str(port))
    found = dict(
        line.split("=", 1) for line in text.splitlines() if line.startswith(("listeners=", "advertised."))
    )
    return listener_map(found["listeners"]), listener_map(found["advertised.listeners"])


def published(service: dict[str, Any]) -> dict[int, tuple[str, int]]:
    """{host port: (host address or '' for every interface, container port)}."""
    found = {}
    for mapping in service.get("ports", []):
        parts = mapping.split(":")
        address = parts[0] if len(parts) == 3 else ""
        found[int(parts[-2])] = (address, int(parts[-1]))
    return found


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_advertised_ports_match_listeners_and_published_ports(name: str) -> None:
    service = SERVICES[name]
    listeners, advertised = listeners_of(service)
    ports = published(service)
    for listener, (host, port) in advertised.items():
        assert listeners[listener][1] == port, (
            f"{name}: {listener} advertises {port}, binds {listeners[listener]}"
        )
        if host in FROM_OUTSIDE:
            assert ports.get(port, ("", 0))[1] == port, f"{name}: {host}:{port} is advertised, not published"
    bound = {port for _, port in listeners.values()}
    for host_port, (_, container_port) in ports.items():
        assert container_port in bound, (
            f"{name}: publishes {host_port} onto {container_port}, where nothing listens"
        )


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_only_the_lan_profile_is_published_beyond_this_computer(name: str) -> None:
    service = SERVICES[name]
    addresses = {address for address, _ in published(service).values()}
    if "lan" in service.get("profiles", []):
        assert addresses == {""}
        assert service["environment"]["KAFKA_ADVERTISED_HOST"] == "${KAFKA_ADVERTISED_HOST:-}"
    else:
        assert addresses == {"127.0.0.1"}


def test_every_service_is_in_a_profile_make_stop_names() -> None:
    makefile = (ROOT / "Makefile").read_text()
    stop = next(line for line in makefile.splitlines() if "docker compose" in line and " down" in line)
    for service in SERVICES.values():
        for profile in service.get("profiles", []):
            assert f"--profile {profile}" in stop, f"`make stop` would skip the {profile} profile"


def test_the_lan_profile_keeps_in_step_with_the_local_lan_broker() -> None:
    script = script_of(SERVICES["kafka-lan"])
    assert f"JOIN_CA={shown_path(DEFAULT_LAN_DIR / 'join' / 'ca.pem')} " in script


@pytest.mark.parametrize("name", ["kafka-secure", "kafka-lan"])
def test_the_scripted_profiles_set_the_local_brokers_quotas_per_user(name: str) -> None:
    library = (ROOT / "broker" / "compose-lib.sh").read_text()
    quotas = ",".join(f"{key}={value}" for key, value in QUOTAS.items())
    assert f"QUOTAS={quotas} " in library
    setter = library[library.index("set_quotas() {") :]
    setter = setter[: setter.index("\n}\n")]
    add = next(line for line in setter.splitlines() if "--add-config" in line)
    assert "--entity-type users --entity-default --add-config" in add and "clients" not in add
    assert 'set_quotas "' in script_of(SERVICES[name])


def test_the_scripted_profiles_let_every_login_read_identity_topics() -> None:
    library = (ROOT / "broker" / "compose-lib.sh").read_text()
    grant = library[library.index("grant_acls() {") : library.index("set_quotas() {")]
    lines = grant.splitlines()
    (at,) = (index for index, line in enumerate(lines) if "--topic arena.id." in line)
    assert "'User:*'" in lines[at] and "--resource-pattern-type prefixed" in lines[at]
    assert lines[at - 1].strip() == "for op in Read Describe; do"  # nobody writes them here


@pytest.mark.parametrize("name", ["kafka-secure", "kafka-lan"])
def test_the_scripted_profiles_flag_readiness_only_for_this_run(name: str) -> None:
    service = SERVICES[name]
    library = (ROOT / "broker" / "compose-lib.sh").read_text()
    assert "READY=$WORK/arena-ready" in library and "WORK=${ARENA_WORK_DIR:-/tmp}" in library
    assert service["healthcheck"]["test"] == ["CMD-SHELL", "test -f /tmp/arena-ready"]
    start = library[library.index("start_kafka() {") :]
    assert start.index('rm -f "$READY"') < start.index("kafka-server-start.sh")
    assert "trap forward_stop TERM INT" in library
    assert any(volume.startswith("./broker/compose-lib.sh:") for volume in service["volumes"])
