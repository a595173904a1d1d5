"""Error pages for people: every 4xx and 5xx a browser meets is the hub's own page.

Staff, customers and visitors who are not logged in all get the same styled page,
with the menu they may use and a way back (the desk, their requests, or the login
form). The page says what went wrong in words and never shows internals: a 500
says only that it has been logged. JSON clients (``/api/``, ``/healthz``) keep JSON
errors; :func:`install` registers :func:`page` with :mod:`hub.httpapi`, which
decides which one a request gets.
"""

from __future__ import annotations

from flask import Flask, render_template

from hub.httpapi import set_html_error_page

TITLES = {
    400: "That request did not make sense",
    403: "Not allowed",
    404: "Not found",
    405: "Not possible here",
    409: "It changed meanwhile",
    413: "Too large",
    422: "That did not work",
    429: "Too many attempts",
    500: "Something went wrong",
}
#: What a page says instead of a framework's stock sentence.
PLAIN = {
    403: "You may not see or do this. If you think you should, ask an administrator.",
    404: "There is nothing here, or nothing you may see. Check the address, or go back "
         "and follow a link.",
    405: "This address does not take that kind of request; use the page's own links "
         "and forms.",
    500: "Something went wrong on our side; it has been logged.",
}
_STOCK_PREFIXES = ("The requested URL", "The method is not allowed", "You don't have the "
                   "permission", "The server encountered", "The browser (or proxy)")


def message_for(status: int, message: str | None) -> str:
    """The sentence shown: the hub's own message, or plain words for a stock one."""
    text = (message or "").strip()
    if status >= 500:
        return PLAIN[500]
    if not text or text.startswith(_STOCK_PREFIXES):
        return PLAIN.get(status, text or TITLES.get(status, "That did not work."))
    return text


def page(status: int, message: str | None = None) -> tuple[str, int]:
    """The styled error page with ``status`` (the menu follows whoever is logged in)."""
    shown = status if 400 <= status <= 599 else 500
    title = TITLES.get(shown, "That did not work" if shown < 500 else TITLES[500])
    return render_template("error.html", status=shown, title=title,
                           message=message_for(shown, message)), shown


def install(app: Flask) -> None:
    set_html_error_page(app, page)
