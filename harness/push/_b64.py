"""Unpadded base64url, the encoding of every key and token in web push."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def encode(data: bytes) -> str:
    """Encode ``data`` as base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode(text: str) -> bytes:
    """Decode base64url with or without padding; raise ValueError if malformed."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise ValueError(f"{text[:16]!r}... is not base64url: {error}") from error


def public_point(key: ec.EllipticCurvePublicKey) -> str:
    """Return a P-256 public key as base64url of its uncompressed point."""
    return encode(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def load_point(text: str) -> ec.EllipticCurvePublicKey:
    """Load a P-256 public key from base64url of its uncompressed point."""
    raw = decode(text)
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError(
            f"{text[:16]!r}... is not an uncompressed P-256 point (65 bytes "
            "starting 0x04)."
        )
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
