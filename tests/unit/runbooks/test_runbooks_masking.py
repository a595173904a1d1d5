"""Secrets never reach events: parameter names, values inside text, key=value pairs."""

from __future__ import annotations

from hub.runbooks.masking import MASK, is_secret_name, mask_params, mask_text, secret_values


def test_secret_names() -> None:
    assert all(is_secret_name(n) for n in ("password", "db_passwd", "API_KEY", "token",
                                           "client_secret", "private-key"))
    assert not any(is_secret_name(n) for n in ("node", "pool", "author", "target"))


def test_values_and_pairs_are_masked() -> None:
    params = {"node": "web2", "api_token": "abc123xyz"}
    secrets = secret_values(params)
    assert mask_params(params, secrets) == {"node": "web2", "api_token": MASK}
    assert mask_params({"body": "use abc123xyz now"}, secrets) == {"body": f"use {MASK} now"}
    assert mask_text("connect password=hunter2 user=x") == f"connect password={MASK} user=x"
    assert mask_text('token: "a b c"') == f"token: {MASK}"
    assert mask_text("Authorization: Bearer abcdefghijkl") == f"Authorization: Bearer {MASK}"
    assert mask_text("web/s2 set to drain") == "web/s2 set to drain"
