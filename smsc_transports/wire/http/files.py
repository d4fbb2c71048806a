"""A message's attachments as the parts of a ``multipart/form-data`` POST (sans-I/O).

SMSC's PHP (3.8) and JS (1.2) libraries send files for MMS and e-mail messages as
``file0``, ``file1``… parts of a multipart form (smsc-protocol.md §1.1 [C]); a file
SMSC fetches itself goes as the ``fileurl`` parameter (:mod:`.params`). Each part
carries the attachment's name and content type and nothing else: no local path, no
size header, no other field. How much SMSC accepts per message is not documented
where we could read it [U], so the transport's ``max_attachment_bytes`` bounds the
total, checked here before anything is sent.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from smsc_transports.errors import ValidationError
from smsc_transports.message import Message

__all__ = ["DEFAULT_MAX_ATTACHMENT_BYTES", "FilePart", "file_parts", "multipart_body"]

# The default bound of the files of one message, all together (MMS gateways commonly
# take about 1 MB; the option raises it for e-mail).
DEFAULT_MAX_ATTACHMENT_BYTES = 1024 * 1024

FilePart = tuple[str, tuple[str, bytes, str]]
"""``(field, (file name, content, content type))``: one file of a multipart form."""


def file_parts(message: Message, max_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> list[FilePart]:
    """Return the multipart file parts of ``message`` (empty when it has no file bytes).

    Raises :class:`ValidationError` when the files together exceed ``max_bytes``.
    """
    files = [a for a in message.attachments if a.content is not None]
    total = sum(a.size for a in files)
    if total > max_bytes:
        raise ValidationError(
            f"the attachments hold {total} bytes, at most {max_bytes} allowed "
            "(the max_attachment_bytes option)",
            field="attachments",
        )
    return [
        (f"file{index}", (a.name, a.content or b"", a.content_type))
        for index, a in enumerate(files)
    ]


def multipart_body(
    fields: Mapping[str, str], files: Sequence[FilePart], boundary: str | None = None
) -> tuple[bytes, str]:
    """The ``multipart/form-data`` body of ``fields`` then ``files``, and its content type.

    As browsers write one (the WHATWG HTML standard): names and file names in UTF-8
    between quotes, with ``"``, CR and LF percent-encoded; field values in UTF-8. The
    boundary is random (``boundary`` fixes it, for tests), and never occurs in a part.
    """
    contents = [value.encode() for value in fields.values()]
    contents.extend(content for _, (_, content, _) in files)
    while boundary is None or any(boundary.encode() in content for content in contents):
        boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for (name, _), content in zip(fields.items(), contents, strict=False):
        parts.append(_part_head(boundary, f'name="{_quoted(name)}"') + content + b"\r\n")
    for field, (filename, content, content_type) in files:
        disposition = f'name="{_quoted(field)}"; filename="{_quoted(filename)}"'
        parts.append(_part_head(boundary, disposition, content_type) + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _part_head(boundary: str, disposition: str, content_type: str | None = None) -> bytes:
    lines = [f"--{boundary}", f"Content-Disposition: form-data; {disposition}"]
    if content_type:
        lines.append(f"Content-Type: {content_type}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _quoted(value: str) -> str:
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
