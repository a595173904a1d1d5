"""Password and token hashing; only hashes ever reach the database."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> tuple[str, str, str]:
    """Return (token id, full token, its hash); the token is shown once, the hash kept.

    Tokens carry 256 random bits, so a fast keyed hash suffices and keeps API
    authentication cheap, unlike passwords which need a slow hash.
    """
    token_id = secrets.token_hex(6)
    token = f"hub_{token_id}_{secrets.token_urlsafe(32)}"
    return token_id, token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_id_of(token: str) -> str | None:
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "hub":
        return None
    return parts[1]


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
