"""Incoming (MO) messages: :class:`Inbox`, every login's received texts in arrival order."""

from __future__ import annotations

from smsc_transports.emulator.state.records import IncomingRecord

__all__ = ["Inbox"]


class Inbox:
    """The incoming messages of every login, numbered across logins in arrival order.

    Not locked: the emulator state owns it and calls it under its own lock.
    """

    def __init__(self) -> None:
        self._by_login: dict[str, list[IncomingRecord]] = {}
        self._next_id = 1

    def add(
        self, login: str, phone: str, text: str, to_phone: str | None, now: float
    ) -> IncomingRecord:
        """Store a message to ``login`` from ``phone`` (to ``to_phone``) received at ``now``."""
        record = IncomingRecord(
            id=self._next_id,
            login=login,
            phone=phone.lstrip("+"),
            to_phone=(to_phone or "").lstrip("+"),
            text=text,
            received=now,
            sent=now,
        )
        self._next_id += 1
        self._by_login.setdefault(login, []).append(record)
        return record

    def everything(self) -> list[IncomingRecord]:
        """Every message of every login, in arrival order (for snapshots)."""
        return sorted(
            (record for records in self._by_login.values() for record in records),
            key=lambda record: record.id,
        )

    def put(self, record: IncomingRecord) -> None:
        """Store a message as it was (from a snapshot), keeping its number."""
        self._by_login.setdefault(record.login, []).append(record)
        self._next_id = max(self._next_id, record.id + 1)

    def newest_first(
        self,
        login: str,
        now: float,
        *,
        cnt: int,
        hours: float | None,
        after_id: int | None,
        to_phone: str | None,
    ) -> list[IncomingRecord]:
        """Up to ``cnt`` of ``login``'s messages, newest first, that match every filter
        given: received within ``hours`` before ``now``, numbered after ``after_id``,
        sent to ``to_phone``."""
        found: list[IncomingRecord] = []
        for record in reversed(self._by_login.get(login, [])):
            if len(found) >= cnt:
                break
            if (
                (hours is not None and record.received < now - hours * 3600)
                or (after_id is not None and record.id <= after_id)
                or (to_phone and record.to_phone != to_phone.lstrip("+"))
            ):
                continue
            found.append(record)
        return found
