"""The local certificate authority of a state folder, and the server's certificate.

The CA is made once per state folder and kept there as PEM (``ca.pem`` and
``ca-key.pem``), so a phone or a client that trusts it keeps trusting every
later run. The server certificate is issued afresh at each start for the names
the server answers to: 127.0.0.1, localhost, ::1, 10.0.2.2 (the host as the
Android emulator sees it), and the listen address or extra names if given.

Servers starting at once on one folder (test workers sharing ``.harness/``) take
turns through a lock on ``tls.lock`` to make the CA, and every file is written
under a name of its own, then moved into place. Each server loads the
certificate it issued from memory, so the ``server.pem`` another start wrote
meanwhile never pairs with this one's key.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import os
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import idna
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
LOCK_FILE = "tls.lock"


@dataclass(frozen=True)
class Tls:
    """The files a TLS server and its clients need, all inside the state folder."""

    ca: Path
    cert: Path
    key: Path
    names: tuple[str, ...]
    ca_created: bool
    chain_pem: bytes = field(default=b"", repr=False)
    key_pem: bytes = field(default=b"", repr=False)

    def server_context(self) -> ssl.SSLContext:
        """Return a server TLS context with the certificate this start issued."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        if not self.chain_pem:
            context.load_cert_chain(self.cert, self.key)
            return context
        # load_cert_chain reads only files: one of this start's own, gone at once
        descriptor, name = tempfile.mkstemp(prefix=".server-", dir=self.cert.parent)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(self.key_pem + self.chain_pem)
            context.load_cert_chain(name)
        finally:
            os.unlink(name)
        return context


def prepare(state: Path, names: tuple[str, ...] = ()) -> Tls:
    """Load or make the state folder's CA, then issue the server's certificate.

    ``names`` are added to :data:`DEFAULT_NAMES`; wildcard addresses such as
    0.0.0.0 name no host and are left out.
    """
    for name in names:
        _check_name(name)
    state.mkdir(parents=True, exist_ok=True)
    ignore = state / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# made by harness serve: keys live here\n*\n")
    with _locked(state):
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
        chain = b"".join(blob.bytes() for blob in leaf.cert_chain_pems)
        private = leaf.private_key_pem.bytes()
        cert, key = state / CERT_FILE, state / KEY_FILE
        _write(cert, chain, 0o644)
        _write(key, private, 0o600)
    return Tls(state / CA_FILE, cert, key, wanted, created, chain, private)


@contextlib.contextmanager
def _locked(state: Path) -> Iterator[None]:
    """Hold the state folder's TLS lock, so one start at a time makes the CA."""
    with (state / LOCK_FILE).open("a+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows has no flock; files are still replaced whole
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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


def _check_name(name: str) -> None:
    """Refuse a name a certificate cannot carry, naming --cert-name."""
    try:
        ipaddress.ip_address(name)
        return
    except ValueError:
        pass
    try:
        idna.encode(name.removeprefix("*."), uts46=True)
    except idna.IDNAError as error:
        raise TlsError(
            f"--cert-name {name!r} is not a host name or IP address ({error}); "
            "give a name such as shop.test or an address such as 192.168.1.20."
        ) from None


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
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def certificate_names(path: Path) -> list[str]:
    """Return the DNS names and IP addresses a PEM certificate is issued for."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    dns = names.value.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in names.value.get_values_for_type(x509.IPAddress)]
    return [*dns, *ips]
