"""Shared HTTP plumbing for JSON endpoints: auth, body parsing, error translation.

Entrypoints only translate: they turn a request into a command and a domain
error into a status code; no rule lives here.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from hub.accounts.queries import actor_for_token
from hub.actors import Actor
from hub.bootstrap import Hub
from hub.db_outage import RETRY_AFTER_SECONDS, database_unavailable
from hub.domain import DomainError
from hub.eventstore import ConcurrencyError

log = logging.getLogger(__name__)
DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only; fits a 64-bit column
F = TypeVar("F", bound=Callable[..., Any])


def hub_of() -> Hub:
    return cast(Hub, current_app.extensions["hub"])


def error(status: int, message: str, **details: Any) -> Response:
    response = jsonify({"error": message, **details})
    response.status_code = status
    return response


class BadRequestError(DomainError):
    status = 400


MAX_DEPTH = 32
MAX_INT = 2**63 - 1


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 19 or abs(value := int(text)) > MAX_INT:
        raise ValueError(f"the number {text[:40]}... is out of range (64-bit at most)")
    return value


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _check_document(document: Any) -> None:
    """Iteratively (a deep document must not exhaust the stack here either): no lone
    surrogates in keys or strings, which cannot be stored as UTF-8, and a bounded depth."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if _has_surrogate(node):
                raise BadRequestError("the body holds a lone UTF-16 surrogate (\\ud800-\\udfff)")
            continue
        if not isinstance(node, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise BadRequestError(f"the body is nested more than {MAX_DEPTH} levels deep")
        items = list(node.items()) if isinstance(node, dict) else [(None, v) for v in node]
        for key, value in items:
            if key is not None and _has_surrogate(key):
                raise BadRequestError("the body holds a lone UTF-16 surrogate (\\ud800-\\udfff)")
            stack.append((value, depth + 1))


def parse_json(raw: bytes) -> Any:
    """Parse a JSON document the hub can store: 400 for anything else (never a 500)."""
    try:
        document = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite,
                              parse_int=_bounded_int)
    except RecursionError as exc:  # the C parser stops deep nesting before the stack does
        raise BadRequestError(f"the body is nested more than {MAX_DEPTH} levels deep") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequestError(f"the body is not valid JSON: {str(exc)[:200]}") from exc
    _check_document(document)
    return document


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400 that says what is wrong with it."""
    raw = request.get_data(cache=True)
    if not raw:
        raise BadRequestError("the request body is empty; a JSON object is expected")
    document = parse_json(raw)
    if not isinstance(document, dict):
        raise BadRequestError("the body must be a JSON object")
    return document


def bearer_actor() -> Actor | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    with hub_of().engine.connect() as conn:
        return actor_for_token(conn, token.strip(), source="api")


def api_auth(fn: F) -> F:
    """Require a valid bearer token (or a logged-in web session) and set ``g.actor``."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = bearer_actor()
        if actor is None:
            # A browser session may read the API; changes need a token (no CSRF there).
            session_actor = getattr(g, "session_actor", None)
            if request.method not in ("GET", "HEAD"):
                session_actor = None
            if session_actor is None:
                response = error(401, "authentication required: send Authorization: Bearer TOKEN")
                response.headers["WWW-Authenticate"] = 'Bearer realm="hub"'
                return response
            actor = session_actor
        g.actor = actor
        return fn(*args, **kwargs)

    return cast(F, wrapper)


#: ``app.extensions`` key of the function that draws an HTML error page for browsers.
HTML_ERROR_PAGE = "hub.html_error_page"
HtmlErrorPage = Callable[[int, str], Any]


def set_html_error_page(app: Flask, page: HtmlErrorPage) -> None:
    """Let the pages' feature draw errors for browsers: ``page(status, message)`` returns
    a response. JSON paths (``/api/``, ``/healthz``, JSON clients) keep JSON errors."""
    app.extensions[HTML_ERROR_PAGE] = page


def _html_error(status: int, message: str) -> Any:
    """The styled page for a browser, or None for JSON clients (or if drawing it fails)."""
    page = current_app.extensions.get(HTML_ERROR_PAGE)
    if page is None or wants_json():
        return None
    try:
        return page(status, message)
    except Exception:  # an error page must never turn into a second, bare error
        log.exception("the error page for %s failed", status)
        return None


def install_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Any:
        page = _html_error(exc.status, exc.message)
        return error(exc.status, exc.message, **exc.details) if page is None else page

    @app.errorhandler(ConcurrencyError)
    def _concurrency(exc: ConcurrencyError) -> Any:
        page = _html_error(409, "It changed meanwhile; reload and try again.")
        if page is not None:
            return page
        return error(409, "the object changed concurrently; reload and retry",
                     version=exc.actual)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400 or exc.response is not None:
            return exc
        if not wants_json():
            page = _html_error(exc.code, exc.description or exc.name)
            return exc if page is None else page
        return error(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        if database_unavailable(exc):  # a restart or failover, not this request's fault
            log.warning("database unavailable on %s %s: %s", request.method, request.path,
                        " ".join(str(exc).split())[:300])
            response = error(503, "the database is unavailable; retry shortly",
                             retry_after=RETRY_AFTER_SECONDS)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        log.exception("unhandled error on %s %s", request.method, request.path)
        page = _html_error(500, "Something went wrong on our side; it has been logged.")
        return error(500, "internal error") if page is None else page


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz" or (
        request.accept_mimetypes.best == "application/json"
    )


def etag_of(version: int) -> str:
    return f'"{version}"'


def if_match_version() -> int | None:
    """The version named by If-Match, None when absent or ``*``."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    value = header.strip().removeprefix("W/").strip('"')
    if not DIGITS.fullmatch(value):
        raise BadRequestError('If-Match takes the ETag of the ticket, e.g. "3"')
    return int(value)
