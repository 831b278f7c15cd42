"""The public address in QR codes follows the served address unless the operator sets one."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epitrace import cli
from epitrace.config import Settings, get_settings, is_loopback, served_address


@pytest.fixture(autouse=True)
def _no_base_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # setenv first so that monkeypatch restores the variable the code under test exports
    monkeypatch.setenv("EPITRACE_BASE_URL", "unset")
    monkeypatch.delenv("EPITRACE_BASE_URL")
    yield
    get_settings.cache_clear()


def test_the_served_host_and_port_become_the_base(capsys: pytest.CaptureFixture[str]) -> None:
    base = cli.public_base_url(Settings(_env_file=None), host="10.1.2.3", port=8123)
    assert base == "http://10.1.2.3:8123"

    assert os.environ["EPITRACE_BASE_URL"] == base
    assert Settings(_env_file=None).base_url == base
    assert get_settings().base_url == base  # what the app loaded afterwards in-process reads
    assert "warning" not in capsys.readouterr().err


def test_a_wildcard_bind_is_reached_at_a_real_address() -> None:
    base = served_address("0.0.0.0", 8000)  # noqa: S104 - the bind being described
    host = base.removeprefix("http://").rsplit(":", 1)[0]
    assert base.endswith(":8000")
    assert not ipaddress.ip_address(host).is_unspecified


def test_a_loopback_base_on_a_reachable_server_is_warned_about(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(_env_file=None, base_url="http://127.0.0.1:8000")
    assert cli.public_base_url(settings, host="0.0.0.0", port=8000) == "http://127.0.0.1:8000"  # noqa: S104
    assert "phones cannot open the QR codes" in " ".join(capsys.readouterr().err.split())


def test_an_explicit_base_is_kept_and_not_warned_about(capsys: pytest.CaptureFixture[str]) -> None:
    settings = Settings(_env_file=None, base_url="https://epitrace.example.gov.vn")
    assert cli.public_base_url(settings, host="0.0.0.0", port=80) == settings.base_url  # noqa: S104
    assert capsys.readouterr().err == ""


def test_ipv6_hosts_are_bracketed() -> None:
    assert served_address("::1", 8000) == "http://[::1]:8000"


@given(st.ip_addresses())
def test_loopback_is_recognised_for_every_address(address: ipaddress._BaseAddress) -> None:
    assert is_loopback(str(address)) == address.is_loopback
    assert is_loopback(f"[{address}]") == address.is_loopback


@pytest.mark.parametrize(
    ("host", "expected"),
    [("localhost", True), ("app.localhost", True), ("epitrace.gov.vn", False), ("", False)],
)
def test_loopback_names(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected
