"""The local CA: made once per state folder, reused after, and the server's names."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from harness.serve.errors import TlsError
from harness.serve.tls import (
    CA_FILE,
    CA_KEY_FILE,
    KEY_FILE,
    certificate_names,
    prepare,
)


def test_first_start_makes_a_ca_and_later_starts_reuse_it(tmp_path: Path) -> None:
    first = prepare(tmp_path)
    made = first.ca.read_bytes()

    second = prepare(tmp_path)

    assert (first.ca_created, second.ca_created) == (True, False)
    assert second.ca.read_bytes() == made


def test_server_certificate_changes_each_start_but_chains_to_the_same_ca(
    tmp_path: Path,
) -> None:
    first = prepare(tmp_path).cert.read_bytes()
    tls = prepare(tmp_path)

    ca = x509.load_pem_x509_certificate(tls.ca.read_bytes())
    leaf = x509.load_pem_x509_certificate(tls.cert.read_bytes())
    assert tls.cert.read_bytes() != first
    leaf.verify_directly_issued_by(ca)


def test_server_certificate_covers_loopback_and_the_android_emulator_host(
    tmp_path: Path,
) -> None:
    tls = prepare(tmp_path)

    names = certificate_names(tls.cert)

    assert {"127.0.0.1", "localhost", "::1", "10.0.2.2"} <= set(names)


def test_listen_address_is_added_and_a_wildcard_address_left_out(
    tmp_path: Path,
) -> None:
    tls = prepare(tmp_path, ("192.168.1.20", "0.0.0.0", "shop.test", "::"))

    names = certificate_names(tls.cert)

    assert {"192.168.1.20", "shop.test"} <= set(names)
    assert "0.0.0.0" not in names and "::" not in names


def test_server_certificate_lives_under_apples_825_day_limit(tmp_path: Path) -> None:
    leaf = x509.load_pem_x509_certificate(prepare(tmp_path).cert.read_bytes())

    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc

    assert lifetime < timedelta(days=825)
    assert leaf.not_valid_before_utc < datetime.now(UTC) < leaf.not_valid_after_utc


def test_private_keys_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    prepare(tmp_path)

    for name in (CA_KEY_FILE, KEY_FILE):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, f"{name} has mode {oct(mode)}"


def test_state_folder_is_made_and_kept_out_of_git(tmp_path: Path) -> None:
    state = tmp_path / "deep" / ".harness"

    prepare(state)

    assert (state / ".gitignore").read_text().splitlines()[-1] == "*"


@pytest.mark.parametrize("kept", [CA_FILE, CA_KEY_FILE])
def test_half_a_ca_raises_tls_error_naming_the_missing_half(
    tmp_path: Path, kept: str
) -> None:
    prepare(tmp_path)
    missing = CA_KEY_FILE if kept == CA_FILE else CA_FILE
    (tmp_path / missing).unlink()

    with pytest.raises(TlsError) as caught:
        prepare(tmp_path)

    message = str(caught.value)
    assert f"{missing} is not" in message
    assert "delete the other" in message


def test_unreadable_ca_raises_tls_error_saying_to_delete_both(tmp_path: Path) -> None:
    (tmp_path / CA_FILE).write_text("not a certificate")
    (tmp_path / CA_KEY_FILE).write_text("not a key")

    with pytest.raises(TlsError, match="delete both"):
        prepare(tmp_path)
