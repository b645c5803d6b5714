"""The LAN broker's pure parts: the default route, the certificate's names, the passwords,
the config template and the command line (no broker, no network)."""

from __future__ import annotations

import stat
from pathlib import Path
from string import Template

import pytest

from broker.__main__ import main
from broker.lan import LanUsers, default_gateway, subject_alt_names, tls_client_settings
from broker.local import BROKER_SRC
from broker.secure import ADMIN, PLAYER, SPECTATOR, STATS

# /proc/net/route: a LAN route without a gateway, a default route over Wi-Fi (metric 600) and
# one over Ethernet (metric 100): the cheaper one wins. Addresses are little-endian hex.
ROUTES = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t FE01A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
"""


def test_the_default_gateway_is_the_cheapest_default_route() -> None:
    assert default_gateway(ROUTES) == "192.168.1.254"
    assert default_gateway(ROUTES.splitlines()[0] + "\n" + ROUTES.splitlines()[1]) is None
    assert default_gateway("") is None


def test_the_certificate_names_each_address_once_by_kind() -> None:
    names = subject_alt_names(["192.168.1.20", "127.0.0.1", "localhost", "192.168.1.20", "::1", "host.lan"])
    assert names == "SAN=ip:192.168.1.20,ip:127.0.0.1,dns:localhost,ip:::1,dns:host.lan"


def test_passwords_are_made_once_for_this_computer_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    users = LanUsers.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [user.username for user in users.all()] == ["admin", "player", "spectator", "stats"]
    development = {user.password for user in (ADMIN, PLAYER, SPECTATOR, STATS)}
    passwords = [user.password for user in users.all()]
    assert len(set(passwords)) == 4 and not development & set(passwords)
    assert all(len(password) >= 20 for password in passwords)
    assert LanUsers.load_or_create(path) == users  # a restart keeps them
    path.write_text("{not json")
    assert LanUsers.load_or_create(path) != users  # a broken file is replaced, not trusted


def test_a_friend_verifies_the_broker_with_the_hosts_ca() -> None:
    settings = tls_client_settings(PLAYER, ".broker/lan/join/ca.pem")
    assert settings["security.protocol"] == "SASL_SSL"
    assert settings["ssl.ca.location"] == ".broker/lan/join/ca.pem"
    assert settings["sasl.mechanism"] == "SCRAM-SHA-256"
    assert "enable.ssl.certificate.verification" not in settings  # librdkafka verifies by default


def test_the_template_takes_exactly_what_the_broker_fills_in() -> None:
    values = {
        "port": 9292, "controller_port": 9293, "internal_port": 9294, "bind": "0.0.0.0",  # noqa: S104
        "advertise": "192.168.1.20", "data_dir": "/d", "keystore": "/k.p12", "keystore_password": "pw",
        "ca_pem": "/ca.pem", "admin_user": "admin", "admin_password": "secret",
    }  # fmt: skip
    template = Template((BROKER_SRC / "lan.properties").read_text())
    assert set(template.get_identifiers()) == set(values)
    rendered = dict(
        line.split("=", 1)
        for line in template.substitute(values).splitlines()
        if "=" in line and line[0] != "#"
    )
    assert rendered["listeners"].startswith("EXTERNAL://0.0.0.0:9292,")
    assert rendered["advertised.listeners"].startswith("EXTERNAL://192.168.1.20:9292,")
    assert "EXTERNAL:SASL_SSL" in rendered["listener.security.protocol.map"]
    assert rendered["allow.everyone.if.no.acl.found"] == "false"


@pytest.mark.parametrize(
    "argv",
    [["start", "--advertise", "10.0.0.2"], ["start", "--bind", "127.0.0.2"], ["start", "--lan", "--secure"]],
)
def test_lan_options_go_with_lan_alone(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "--lan" in capsys.readouterr().err
