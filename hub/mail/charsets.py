"""Decoding text whose charset is missing or wrong, and encoded words that are broken.

Real mail names no charset (old clients, scripts piping ``mail``), names the wrong one
(``us-ascii`` with 8-bit bytes) or breaks RFC 2047 words (a multibyte character split
over two words, bad base64 padding, a word glued to the next one). Request Tracker
answers the first two with ``EmailInputEncodings``: a site list tried in order, helped
by a detector. Trying the list in order alone never reaches ``koi8-r``, because
``cp1252`` decodes almost any byte string; so UTF-8 (self-validating) is tried first,
then ``charset-normalizer`` chooses among the rest of the list only, then the list in
order, and latin-1 (which maps every byte) is the last resort.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
import quopri
import re
from collections.abc import Sequence

from charset_normalizer import from_bytes

__all__ = ["DEFAULT_ENCODINGS", "decode_undeclared", "decode_words", "normalise_encodings"]

#: RT's default ``EmailInputEncodings``; sites extend it (``HUB_MAIL_INPUT_ENCODINGS``).
DEFAULT_ENCODINGS: tuple[str, ...] = ("utf-8", "cp1252", "iso-8859-1")
_DETECT_LIMIT = 200_000  # bytes the detector reads: enough to tell, cheap on huge pastes


def normalise_encodings(names: Sequence[str]) -> tuple[str, ...]:
    """Python codec names for ``names``, in order, without duplicates; unknown raise."""
    out: list[str] = []
    for name in names:
        if not name.strip():
            continue
        codec = codecs.lookup(name.strip()).name  # LookupError names the culprit
        if codec not in out:
            out.append(codec)
    return tuple(out) or DEFAULT_ENCODINGS


def _strict(data: bytes, charset: str) -> str | None:
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return None


@functools.lru_cache(maxsize=4096)
def _detect(data: bytes, candidates: tuple[str, ...]) -> str | None:
    """The candidate ``charset-normalizer`` finds most plausible (cached: headers repeat)."""
    if len(candidates) < 2:
        return candidates[0] if candidates else None
    try:
        best = from_bytes(data[:_DETECT_LIMIT], cp_isolation=list(candidates)).best()
    except Exception:  # a detector failure must not cost the message
        return None
    if best is None:
        return None
    found = codecs.lookup(best.encoding).name
    return found if found in candidates else None


def decode_undeclared(data: bytes, encodings: Sequence[str] = DEFAULT_ENCODINGS,
                      hint: str | None = None) -> str:
    """``data`` decoded with the site's fallback list; ``hint`` (the charset the body
    turned out to be) is tried first, as short headers are too short to detect."""
    if data.isascii():
        return data.decode("ascii")
    names = normalise_encodings(encodings)
    if "utf-8" in names and (text := _strict(data, "utf-8")) is not None:
        return text
    if hint and (text := _strict(data, hint)) is not None:
        return text
    rest = tuple(n for n in names if n != "utf-8")
    chosen = _detect(data[:_DETECT_LIMIT], rest)
    if chosen is not None and (text := _strict(data, chosen)) is not None:
        return text
    for name in rest:
        if (text := _strict(data, name)) is not None:
            return text
    return data.decode("latin-1")


def detected_charset(data: bytes, encodings: Sequence[str] = DEFAULT_ENCODINGS) -> str | None:
    """Which charset :func:`decode_undeclared` would use for ``data`` (None for ASCII)."""
    if data.isascii():
        return None
    names = normalise_encodings(encodings)
    if "utf-8" in names and _strict(data, "utf-8") is not None:
        return "utf-8"
    rest = tuple(n for n in names if n != "utf-8")
    chosen = _detect(data[:_DETECT_LIMIT], rest)
    if chosen is not None and _strict(data, chosen) is not None:
        return chosen
    return next((n for n in rest if _strict(data, n) is not None), "latin-1")


#: An encoded word, leniently: spaces inside (broken clients), no closing ``?=`` at the end.
_WORD = re.compile(r"=\?([^?\s]+?)(?:\*[^?]*)?\?([bBqQ])\?([^?]*?)(?:\?=|$)")
_GAP = re.compile(r"^[ \t\r\n]*$")


def _word_bytes(encoding: str, payload: str) -> bytes:
    if encoding.lower() == "b":
        if re.search(r"[^A-Za-z0-9+/=]", payload):  # not base64: keep the word as written
            raise ValueError("not base64")
        cleaned = payload.rstrip("=")
        cleaned += "=" * (-len(cleaned) % 4)  # missing padding is the common break
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):  # one stray character: drop the tail
            return base64.b64decode(cleaned[: len(cleaned) - len(cleaned) % 4 - 4] or b"")
    return quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"), header=False)


def decode_words(value: str, encodings: Sequence[str] = DEFAULT_ENCODINGS) -> str:
    """Decode every RFC 2047 word in ``value``, however broken; the rest stays as is.

    Adjacent words of one charset are joined before decoding (clients split a UTF-8
    character over two words), whitespace between words is dropped as the RFC says,
    and an unknown or lying charset falls back to :func:`decode_undeclared`.
    """
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    last = 0

    def flush() -> None:
        if pending:
            data = b"".join(pending)
            text = _strict(data, pending_charset)
            out.append(text if text is not None else decode_undeclared(data, encodings))
            pending.clear()

    for found in _WORD.finditer(value):
        gap = value[last:found.start()]
        charset = found.group(1).lower()
        if not (pending and _GAP.match(gap) and charset == pending_charset):
            flush()
            if not (last > 0 and _GAP.match(gap)):  # space between two words is dropped
                out.append(gap)
        try:
            data = _word_bytes(found.group(2), found.group(3))
        except Exception:  # an undecodable word stays as written
            flush()
            out.append(found.group(0))
        else:
            pending.append(data)
            pending_charset = charset
        last = found.end()
    flush()
    out.append(value[last:])
    return "".join(out)
