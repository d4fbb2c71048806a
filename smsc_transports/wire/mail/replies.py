"""The SMTP replies that carry SMSC's answer to an e-mail.

:func:`smsc_reply` / :func:`parse_smsc_reply` are how a refusal names SMSC's error code
in an SMTP reply, :func:`parse_accepted_parts` how an acceptance names the billed parts
(the emulator's convention: SMSC's own server is not known to answer like this [U]).
"""

from __future__ import annotations

import re

__all__ = ["parse_accepted_parts", "parse_smsc_reply", "smsc_reply"]

# How a refusal names SMSC's error in an SMTP reply: "550 5.7.1 SMSC error 2: authorise
# error". SMSC's real server is not known to answer like this ([U]); the emulator does.
_SMSC_REPLY = re.compile(r"SMSC error (\d{1,4}):[ \t]*([^\r\n]*)")
_REPLY_ID = re.compile(r" \(id ([A-Za-z0-9._-]{1,40})\)$")


def smsc_reply(
    error: int, description: str, *, id: str | None = None, temporary: bool = False
) -> str:
    """Return the whole SMTP reply line refusing a body with SMSC's ``error``.

    ``550 5.7.1 SMSC error 7: invalid number (id 42)``: ``5.6.0`` for error 1 (the body
    is malformed), ``451 4.7.0`` when ``temporary``; the description on one line.
    """
    text = " ".join(description.split())[:400] + (f" (id {id})" if id else "")
    if temporary:
        return f"451 4.7.0 SMSC error {error}: {text}"
    return f"550 {'5.6.0' if error == 1 else '5.7.1'} SMSC error {error}: {text}"


_ACCEPTED_PARTS = re.compile(r"\bOk: id [A-Za-z0-9._-]{1,40}, (\d{1,6}) parts?\b")


def parse_accepted_parts(text: str) -> int | None:
    """Return the billed parts from an acceptance reply (``250 2.0.0 Ok: id 5, 2 parts``).

    This is the emulator's reply; what SMSC's own server answers is not documented [U],
    so callers fall back to their own count when this returns ``None``.
    """
    match = _ACCEPTED_PARTS.search(text)
    return int(match[1]) if match else None


def parse_smsc_reply(text: str) -> tuple[int, str, str | None] | None:
    """Return ``(error, description, id)`` from a reply made by :func:`smsc_reply`."""
    match = _SMSC_REPLY.search(text)
    if match is None:
        return None
    description, found_id = match[2].strip(), None
    if tail := _REPLY_ID.search(description):
        description, found_id = description[: tail.start()], tail[1]
    return int(match[1]), description, found_id
