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

from smsc_transports.errors import ValidationError
from smsc_transports.message import Message

__all__ = ["DEFAULT_MAX_ATTACHMENT_BYTES", "FilePart", "file_parts"]

# The default bound of the files of one message, all together (MMS gateways commonly
# take about 1 MB; the option raises it for e-mail).
DEFAULT_MAX_ATTACHMENT_BYTES = 1024 * 1024

FilePart = tuple[str, tuple[str, bytes, str]]
"""``(field, (file name, content, content type))``: what ``requests`` takes as ``files``."""


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
