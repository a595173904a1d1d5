"""TOTP arithmetic and the sealing of secrets, with an injected clock."""

from __future__ import annotations

import pytest

from hub.accounts import totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
T = 1_800_000_000.0  # a step boundary: 1_800_000_000 / 30 is whole


def test_rfc6238_sha1_vector() -> None:
    # RFC 6238 appendix B, SHA1, T = 59 s: 94287082 (8 digits); the last 6 are the code.
    rfc_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert totp.code_at(rfc_secret, 59) == "287082"


def test_seal_and_open_round_trip_and_no_clear_text() -> None:
    box = totp.SecretBox("hub-key")
    sealed = box.seal("alice", SECRET)
    assert SECRET not in sealed and sealed.startswith("v1:")
    assert box.seal("alice", SECRET) != sealed  # a fresh nonce every time
    assert box.open("alice", sealed) == SECRET


def test_a_wrong_key_or_another_account_cannot_open() -> None:
    sealed = totp.SecretBox("hub-key").seal("alice", SECRET)
    with pytest.raises(totp.SecretUnreadableError):
        totp.SecretBox("another-key").open("alice", sealed)
    with pytest.raises(totp.SecretUnreadableError):
        totp.SecretBox("hub-key").open("mallory", sealed)  # row copied to another user
    with pytest.raises(totp.SecretUnreadableError):
        totp.SecretBox("hub-key").open("alice", sealed[:-4] + "AAAA")


def test_drift_of_one_step_is_accepted_and_two_refused() -> None:
    now_step = totp.step_at(T + 10)
    for offset in (-1, 0, 1):
        code = totp.code_at(SECRET, T + 10 + offset * 30)
        assert totp.matching_step(SECRET, code, T + 10) == now_step + offset
    for offset in (-2, 2):
        code = totp.code_at(SECRET, T + 10 + offset * 30)
        assert totp.matching_step(SECRET, code, T + 10) is None
    assert totp.matching_step(SECRET, "abc123", T) is None


def test_recovery_codes_are_hashed_and_forgiving_about_typing() -> None:
    codes = totp.new_recovery_codes(2)
    assert len({c.plain for c in codes}) == 2
    first = codes[0]
    assert first.plain not in first.hashed and first.hashed.startswith("$argon2")
    assert totp.recovery_code_matches(first.hashed, first.plain.upper().replace("-", " "))
    assert not totp.recovery_code_matches(first.hashed, codes[1].plain)


def test_the_uri_names_issuer_account_and_parameters() -> None:
    uri = totp.provisioning_uri(SECRET, "alice", "Ops Desk")
    assert uri.startswith("otpauth://totp/Ops%20Desk:alice?")
    assert f"secret={SECRET}" in uri and "issuer=Ops%20Desk" in uri
