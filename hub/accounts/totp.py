"""TOTP second factors (RFC 6238): secrets, codes, recovery codes and their encryption.

Pure functions and one small key holder, no database: :mod:`hub.accounts.totp_store`
keeps what these produce, :mod:`hub.accounts.totp_handlers` decides with them.

Why these choices:

* SHA1, 6 digits, 30-second steps: what every authenticator app understands from an
  ``otpauth://`` URI without asking the user anything.
* A code matches the current step or one step either side (clock drift of phones and
  servers); :func:`matching_step` says *which* step matched so the caller can refuse
  a code of a step already used (replay), as RFC 6238 section 5.2 asks.
* The shared secret must be readable again to compute codes, so it is encrypted
  (AES-GCM) rather than hashed, with a key derived by HKDF from the hub's secret key
  and the user name as associated data: a ciphertext copied onto another account's
  row does not decrypt. Recovery codes are only ever compared, so they are hashed
  (argon2), like passwords.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DIGITS = 6
INTERVAL = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
#: Letters and digits that cannot be misread for one another (no 0/o, 1/l/i).
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
BOX_VERSION = "v1"

# Recovery codes carry 50 random bits, so moderate argon2 costs suffice; checking
# ten of them on a sign-in must stay well under a second on a busy machine.
_recovery_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def now() -> float:
    """The time codes are checked against (tests replace it to move the clock)."""
    return time.time()


class SecretUnreadableError(Exception):
    """A stored secret does not decrypt with this hub's key (the key changed, or the
    row was tampered with or copied from another account)."""


class SecretBox:
    """Encrypts TOTP secrets with a key derived from the hub's secret key."""

    def __init__(self, hub_secret: str) -> None:
        if not hub_secret:
            raise ValueError("the hub has no secret key to encrypt second factors with")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"opshub second factor secrets v1").derive(hub_secret.encode())
        self._aead = AESGCM(key)

    def seal(self, username: str, secret: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), _bound_to(username))
        return f"{BOX_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, username: str, box: str) -> str:
        version, _, payload = box.partition(":")
        try:
            if version != BOX_VERSION:
                raise ValueError(f"unknown box version {version!r}")
            raw = base64.urlsafe_b64decode(payload.encode())
            return self._aead.decrypt(raw[:12], raw[12:], _bound_to(username)).decode()
        except (InvalidTag, ValueError) as exc:
            raise SecretUnreadableError(
                f"the second factor of {username} cannot be decrypted with this hub's "
                "secret key (HUB_SECRET_KEY changed?)") from exc


def _bound_to(username: str) -> bytes:
    return f"totp:{username}".encode()


def new_secret() -> str:
    """160 random bits in base32, the length RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app scans or imports."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).provisioning_uri(
        name=username, issuer_name=issuer)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def step_at(moment: float) -> int:
    return int(moment // INTERVAL)


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL).generate_otp(step)


def code_at(secret: str, moment: float) -> str:
    """The code an app shows at ``moment`` (epoch seconds)."""
    return code_at_step(secret, step_at(moment))


def looks_like_totp(code: str) -> bool:
    return len(code) == DIGITS and code.isdigit()


def clean_code(raw: str) -> str:
    """What the person typed, without spaces and dashes, lower case (``123 456``,
    ``ABCDE-FGHIJ``)."""
    return "".join(ch for ch in raw.strip().lower() if ch not in " -\t")[:64]


def matching_step(secret: str, code: str, moment: float) -> int | None:
    """The time step whose code is ``code``, within the allowed drift, else ``None``.

    Every candidate is compared (constant work whichever matches) so the answer's
    timing says nothing about which step was near.
    """
    if not looks_like_totp(code):
        return None
    current = step_at(moment)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if secrets.compare_digest(code_at_step(secret, step), code) and found is None:
            found = step
    return found


@dataclass(frozen=True)
class RecoveryCode:
    """A code shown once (``plain``) and the hash that is kept."""

    plain: str
    hashed: str


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[RecoveryCode]:
    out = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        plain = f"{raw[:5]}-{raw[5:]}"
        out.append(RecoveryCode(plain=plain, hashed=_recovery_hasher.hash(clean_code(plain))))
    return out


def recovery_code_matches(hashed: str, code: str) -> bool:
    try:
        return _recovery_hasher.verify(hashed, clean_code(code))
    except (VerificationError, InvalidHashError):
        return False

