"""``tinyurl=1``: links in a message replaced by short ones, and the clicks on them.

SMSC shortens every link of a message sent with ``tinyurl=1`` so that it can count
clicks (``tinyurls.php``) and report a clicked message as status 4 (smsc-protocol.md
§1.4, §1.8; D-tinyurl). Each recipient gets links of its own, so a click tells whose
message it was. The short links point at the emulator's own HTTP front end
(``<base>/t/<code>``), which redirects to the original and records the click.

:class:`ShortLinks` is not locked: the state owns it and calls it under its own lock.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["LINK_PATTERN", "ShortLink", "ShortLinks"]

LINK_PATTERN = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
"""What counts as a link in a message text."""


@dataclass
class ShortLink:
    """One short link: its number (``id`` in ``tinyurls.php``), code, target and clicks.

    ``owner`` is (login, message id, phone) once the message is stored.
    """

    id: int
    code: str
    url: str
    owner: tuple[str, str, str] | None = None
    clicks: list[float] = field(default_factory=list)


class ShortLinks:
    """Every short link made, by code and by number."""

    def __init__(self) -> None:
        self._by_code: dict[str, ShortLink] = {}
        self._by_id: dict[int, ShortLink] = {}
        self._next_id = 1
        self.base = "http://127.0.0.1/t/"

    def shortener(self, made: list[ShortLink]) -> Callable[[str], str]:
        """A function that replaces each link of a text with a new short one.

        The links it makes are appended to ``made`` and stay unowned until
        :meth:`bind` (a send that fails drops them with :meth:`drop`).
        """

        def shorten(text: str) -> str:
            def replace(match: re.Match[str]) -> str:
                link = self._new(match[0])
                made.append(link)
                return self.base + link.code

            return LINK_PATTERN.sub(replace, text)

        return shorten

    def placeholder(self, text: str) -> str:
        """``text`` with each link replaced by a short link's length of ``x`` (pricing)."""
        return LINK_PATTERN.sub(self.base + "x" * 6, text)

    def _new(self, url: str) -> ShortLink:
        code = secrets.token_hex(3)
        while code in self._by_code:
            code = secrets.token_hex(3)
        link = ShortLink(self._next_id, code, url)
        self._next_id += 1
        self._by_code[code] = link
        self._by_id[link.id] = link
        return link

    def bind(self, links: list[ShortLink], text: str, owner: tuple[str, str, str]) -> None:
        """Give each of ``links`` that appears in ``text`` its ``owner``."""
        for link in links:
            if link.owner is None and self.base + link.code in text:
                link.owner = owner

    def drop(self, links: list[ShortLink]) -> None:
        """Forget the links of ``links`` nobody owns (their send failed)."""
        for link in links:
            if link.owner is None:
                self._by_code.pop(link.code, None)
                self._by_id.pop(link.id, None)

    def click(self, code: str, now: float) -> ShortLink | None:
        """Record a click on ``code``; return its link, or ``None`` for an unknown code."""
        link = self._by_code.get(code)
        if link is not None:
            link.clicks.append(now)
        return link

    def find(
        self, login: str, *, link: str | None = None, id: int | None = None
    ) -> ShortLink | None:
        """``login``'s short link given as the short URL (or its code) or by number."""
        found: ShortLink | None = None
        if id is not None:
            found = self._by_id.get(id)
        elif link:
            found = self._by_code.get(link.rstrip("/").rpartition("/")[2])
        if found is None or found.owner is None or found.owner[0] != login:
            return None
        return found
