"""``tinyurl=1``: links in a message replaced by short ones, and the clicks on them.

SMSC shortens every link of a message sent with ``tinyurl=1`` so that it can count
clicks (``tinyurls.php``) and report a clicked message as status 4 (smsc-protocol.md
§1.4, §1.8; D-tinyurl). Each recipient gets links of its own, so a click tells whose
message it was. The short links point at the emulator's own HTTP front end
(``<base>/t/<code>``), which redirects to the original and records the click.

A snapshot keeps the links with their codes, owners and clicks (:meth:`ShortLinks.everything`,
:meth:`~ShortLinks.put`); :meth:`~ShortLinks.check` refuses, before anything is put
back, a link this table could not have made — a code that is no code, a target that is
no link (it becomes a ``Location`` header), a number or code given twice.

:class:`ShortLinks` is not locked: the state owns it and calls it under its own lock.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from smsc_transports.emulator.state.clock import is_date

__all__ = ["CODE_PATTERN", "LINK_PATTERN", "ShortLink", "ShortLinks"]

LINK_PATTERN = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
"""What counts as a link in a message text."""

CODE_PATTERN = re.compile(r"[0-9a-f]{6}")
"""What a short link's code looks like (what :meth:`ShortLinks.shortener` makes)."""


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

    def everything(self) -> list[ShortLink]:
        """Every link, by number (for snapshots)."""
        return sorted(self._by_id.values(), key=lambda link: link.id)

    def next_id(self) -> int:
        """The number the next link gets (for snapshots)."""
        return self._next_id

    def check(self, links: Sequence[ShortLink], where: str) -> None:
        """Raise ``ValueError`` naming ``where[i].field`` if :meth:`put` must refuse ``links``."""
        codes: set[str] = set()
        ids: set[int] = set()
        for i, link in enumerate(links):
            at = f"{where}[{i}]"
            if link.id < 1:
                raise ValueError(f"{at}.id: expected a number above 0, got {link.id}")
            if not CODE_PATTERN.fullmatch(link.code):
                raise ValueError(f"{at}.code: not a code (six hex digits)")
            if not LINK_PATTERN.fullmatch(link.url):
                raise ValueError(f"{at}.url: not a link (http:// or https://, no spaces)")
            if link.code in codes or link.code in self._by_code:
                raise ValueError(f"{at}.code: {link.code!r} twice")
            if link.id in ids or link.id in self._by_id:
                raise ValueError(f"{at}.id: {link.id} twice")
            for n, when in enumerate(link.clicks):
                if not is_date(when):
                    raise ValueError(f"{at}.clicks[{n}]: not a time (1970 to 9999)")
            codes.add(link.code)
            ids.add(link.id)

    def put(self, links: Sequence[ShortLink], next_id: int) -> None:
        """Put back links :meth:`check` accepted; numbering goes on after the highest."""
        for link in links:
            self._by_code[link.code] = link
            self._by_id[link.id] = link
        self._next_id = max(self._next_id, next_id, *(link.id + 1 for link in links))

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
