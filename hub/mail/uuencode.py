"""uuencoded files inside text bodies (``begin 644 name`` ... ``end``), as old clients send.

Before MIME, and still from some scripts and old Outlook/Eudora set-ups, files were sent
uuencoded in the body. Left in place they bury the sender's words under lines of noise
and lose the file; RT extracts them as attachments, and so do we. Decoding is lenient
(``uu``'s own workaround for encoders that pad lines wrongly); a block that does not
decode stays in the text.
"""

from __future__ import annotations

import binascii
import mimetypes
import re
from dataclasses import dataclass

__all__ = ["UuFile", "extract_uuencoded"]

_BLOCK = re.compile(r"(?m)^begin +([0-7]{3,4}) +(\S[^\r\n]*?)[ \t]*\r?\n"
                    r"(.*?)^end[ \t]*\r?$\n?", re.DOTALL)


@dataclass(frozen=True)
class UuFile:
    filename: str
    content_type: str
    content: bytes


def _decode_line(line: str) -> bytes:
    data = line.encode("latin-1", "replace")
    try:
        return binascii.a2b_uu(data)
    except binascii.Error:
        # Broken encoders add garbage after the line's declared length (uu.py's fix).
        nbytes = (((data[0] - 32) & 63) * 4 + 5) // 3
        return binascii.a2b_uu(data[:nbytes])


def _decode(lines: str) -> bytes | None:
    out = bytearray()
    for line in lines.splitlines():
        if not line.strip() or line.strip() == "`":
            continue
        try:
            out += _decode_line(line.rstrip("\r"))
        except (binascii.Error, IndexError):
            return None
    return bytes(out)


def extract_uuencoded(text: str) -> tuple[str, list[UuFile]]:
    """``text`` with each decodable block replaced by a note, and the files found."""
    files: list[UuFile] = []

    def take(found: re.Match[str]) -> str:
        content = _decode(found.group(3))
        if content is None:
            return found.group(0)
        name = found.group(2).strip().replace("/", "_").replace("\\", "_") or "uuencoded.bin"
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        files.append(UuFile(name, kind, content))
        return f"[attached: {name}]\n"

    if "begin " not in text:
        return text, files
    return _BLOCK.sub(take, text), files
