"""The local certificate authority of a state folder, and the server's certificate.

The CA is made once per state folder and kept there as PEM (``ca.pem`` and
``ca-key.pem``), so a phone or a client that trusts it keeps trusting every
later run. The server certificate is issued afresh at each start for the names
the server answers to: 127.0.0.1, localhost, ::1, 10.0.2.2 (the host as the
Android emulator sees it), and the listen address or extra names if given.
"""

from __future__ import annotations

import ipaddress
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme
from cryptography import x509

from .errors import TlsError

logger = logging.getLogger(__name__)

CA_FILE, CA_KEY_FILE = "ca.pem", "ca-key.pem"
CERT_FILE, KEY_FILE = "server.pem", "server-key.pem"
DEFAULT_NAMES = ("127.0.0.1", "localhost", "::1", "10.0.2.2")
# Apple refuses server certificates valid for longer than 825 days; browsers
# want 398 or fewer. A certificate is issued at every start, so a year is plenty.
LEAF_LIFETIME = timedelta(days=365)
CA_UNIT = "harness serve local CA"


@dataclass(frozen=True)
class Tls:
    """The files a TLS server and its clients need, all inside the state folder."""

    ca: Path
    cert: Path
    key: Path
    names: tuple[str, ...]
    ca_created: bool


def prepare(state: Path, names: tuple[str, ...] = ()) -> Tls:
    """Load or make the state folder's CA, then issue the server's certificate.

    ``names`` are added to :data:`DEFAULT_NAMES`; wildcard addresses such as
    0.0.0.0 name no host and are left out.
    """
    state.mkdir(parents=True, exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# made by harness serve: keys live here\n*\n")
    ca, created = _authority(state)
    wanted = _names([*DEFAULT_NAMES, *names])
    now = datetime.now(UTC)
    leaf = ca.issue_cert(
        *wanted,
        common_name="harness serve",
        organization_name="harness",
        not_before=now - timedelta(days=1),
        not_after=now + LEAF_LIFETIME,
    )
    cert, key = state / CERT_FILE, state / KEY_FILE
    _write(cert, b"".join(blob.bytes() for blob in leaf.cert_chain_pems), 0o644)
    _write(key, leaf.private_key_pem.bytes(), 0o600)
    return Tls(state / CA_FILE, cert, key, wanted, created)


def _authority(state: Path) -> tuple[trustme.CA, bool]:
    cert, key = state / CA_FILE, state / CA_KEY_FILE
    if cert.exists() and key.exists():
        try:
            ca = trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())
        except (OSError, ValueError, TypeError) as error:
            raise TlsError(
                f"{cert} or {key} cannot be read as a PEM certificate and key "
                f"({error}); delete both to have a new CA made, then trust the "
                "new ca.pem again."
            ) from None
        logger.info("reusing the local CA in %s", cert)
        return ca, False
    if cert.exists() or key.exists():
        present, missing = (cert, key) if cert.exists() else (key, cert)
        raise TlsError(
            f"{present} is there but {missing} is not; a CA needs both halves. "
            "Put the missing file back, or delete the other to have a new CA made."
        )
    ca = trustme.CA(organization_name="harness", organization_unit_name=CA_UNIT)
    _write(cert, ca.cert_pem.bytes(), 0o644)
    _write(key, ca.private_key_pem.bytes(), 0o600)
    logger.info("made a local CA in %s", cert)
    return ca, True


def _names(given: list[str]) -> tuple[str, ...]:
    kept: list[str] = []
    for name in given:
        try:
            if ipaddress.ip_address(name).is_unspecified:
                continue
        except ValueError:
            pass
        if name not in kept:
            kept.append(name)
    return tuple(kept)


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` so a private key is never readable by others, even briefly."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.chmod(temporary, mode)
    os.replace(temporary, path)


def certificate_names(path: Path) -> list[str]:
    """Return the DNS names and IP addresses a PEM certificate is issued for."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    dns = names.value.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in names.value.get_values_for_type(x509.IPAddress)]
    return [*dns, *ips]
