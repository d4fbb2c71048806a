"""Scheduled mailings (``jobs.php``) and the sender names an account registers (``senders.php``).

:class:`Mailings` is the table of jobs: a job is a scheduled send whose messages were
stored when it was added (waiting until its time, like any send with ``time``), so
its recipients' statuses, history and charges are the ordinary ones; cancelling a job
before its time stops them (status -2) and refunds them. :class:`SenderNames` holds
the names each login asked for: an alphanumeric name is registered at once (the
emulator's moderator approves everything), a numeric one waits for the code SMSC
texts to that number (``send_code``, then ``check_code``).

A snapshot keeps both (``everything``, then ``check`` and ``put`` on load): the jobs
with their numbering, and each name with whether it is confirmed and the code last
texted to it, so a restart neither forgets a job nor confirms a number by itself.

Not locked: :class:`~.smsc.EmulatorState` owns both and calls them under its lock.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from smsc_transports.emulator.state.clock import is_date
from smsc_transports.emulator.state.pricing import params_error

__all__ = [
    "JOB_CANCELLED",
    "JOB_DONE",
    "JOB_WAITING",
    "Job",
    "Mailings",
    "SenderName",
    "SenderNames",
    "is_sender_name",
]

# The emulator's job status codes (SMSC's are not documented where we could read them).
JOB_WAITING = 0
JOB_DONE = 1
JOB_CANCELLED = 2


@dataclass
class Job:
    """One scheduled mailing: its message id and recipients, when it is due, whether cancelled."""

    id: int
    login: str
    name: str
    text: str
    phones: tuple[str, ...]
    message_id: str
    start: float
    cancelled: bool = False

    def status(self, now: float) -> int:
        """The job's status code at ``now``: waiting, done or cancelled."""
        if self.cancelled:
            return JOB_CANCELLED
        return JOB_WAITING if now < self.start else JOB_DONE


class Mailings:
    """Each login's jobs, numbered from 1 across logins."""

    def __init__(self) -> None:
        self._jobs: dict[int, Job] = {}
        self._next = 1

    def add(
        self,
        login: str,
        name: str,
        text: str,
        phones: tuple[str, ...],
        message_id: str,
        start: float,
    ) -> Job:
        """Store a new job and return it."""
        job = Job(self._next, login, name, text, phones, message_id, start)
        self._jobs[job.id] = job
        self._next += 1
        return job

    def of(self, login: str) -> list[Job]:
        """``login``'s jobs, newest first."""
        return sorted((j for j in self._jobs.values() if j.login == login), key=lambda j: -j.id)

    def get(self, login: str, id: str) -> Job:
        """``login``'s job ``id``, or error 1 when there is none."""
        job = self._jobs.get(int(id)) if id.isascii() and id.isdigit() and len(id) < 10 else None
        if job is None or job.login != login:
            raise params_error("jobs")
        return job

    def remove(self, login: str, id: str) -> Job:
        """Take ``login``'s job ``id`` out of the table (error 1 when there is none)."""
        job = self.get(login, id)
        del self._jobs[job.id]
        return job

    def everything(self) -> list[Job]:
        """Every job of every login, by number (for snapshots)."""
        return sorted(self._jobs.values(), key=lambda job: job.id)

    def next_id(self) -> int:
        """The number the next job gets (for snapshots)."""
        return self._next

    def check(self, jobs: Sequence[Job], where: str) -> None:
        """Raise ``ValueError`` naming ``where[i].field`` if :meth:`put` must refuse ``jobs``."""
        ids: set[int] = set()
        for i, job in enumerate(jobs):
            at = f"{where}[{i}]"
            if job.id < 1:
                raise ValueError(f"{at}.id: expected a number above 0, got {job.id}")
            if job.id in ids or job.id in self._jobs:
                raise ValueError(f"{at}.id: {job.id} twice")
            if not job.phones:
                raise ValueError(f"{at}.phones: a job has at least one phone")
            if not is_date(job.start):
                raise ValueError(f"{at}.start: not a time (1970 to 9999)")
            ids.add(job.id)

    def put(self, jobs: Sequence[Job], next_id: int) -> None:
        """Put back jobs :meth:`check` accepted; numbering goes on after the highest."""
        for job in jobs:
            self._jobs[job.id] = job
        self._next = max(self._next, next_id, *(job.id + 1 for job in jobs))


def is_sender_name(name: str) -> bool:
    """Whether ``name`` can be a sender name: 1 to 15 characters, no spaces around."""
    return 0 < len(name) <= 15 and name == name.strip()


@dataclass
class SenderName:
    """A sender name ``login`` asked for: confirmed or not, and the code last texted to it."""

    login: str
    name: str
    comment: str
    confirmed: bool
    code: str | None = field(default=None, repr=False)


class SenderNames:
    """The sender names each login asked for, and the codes sent to numeric ones."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, str], SenderName] = {}

    def add(self, login: str, name: str, comment: str) -> None:
        """Register ``name``: at once for a name, after a code for a number."""
        numeric = name.isascii() and name.isdigit()
        self._names[(login, name)] = SenderName(login, name, comment, confirmed=not numeric)

    def send_code(self, login: str, name: str) -> str:
        """Make (and return) the code texted to the numeric ``name``; error 1 if not added."""
        found = self._names.get((login, name))
        if found is None or found.confirmed:
            raise params_error("senders")
        found.code = f"{secrets.randbelow(10000):04d}"
        return found.code

    def code(self, login: str, name: str) -> str | None:
        """The last code texted to ``name`` (what its owner would read on the phone)."""
        found = self._names.get((login, name))
        return found.code if found is not None else None

    def confirm(self, login: str, name: str, code: str) -> None:
        """Confirm ``name`` with ``code``; error 1 for a wrong or missing code."""
        found = self._names.get((login, name))
        if found is None or found.code is None or found.code != code:
            raise params_error("senders")
        found.confirmed = True
        found.code = None

    def confirmed(self, login: str) -> tuple[str, ...]:
        """``login``'s names that may be used, in the order they were added."""
        return tuple(n for (owner, n), r in self._names.items() if owner == login and r.confirmed)

    def everything(self) -> list[SenderName]:
        """Every name of every login, in the order they were added (for snapshots)."""
        return list(self._names.values())

    def check(self, names: Sequence[SenderName], where: str) -> None:
        """Raise ``ValueError`` naming ``where[i].field`` if :meth:`put` must refuse ``names``."""
        seen: set[tuple[str, str]] = set()
        for i, found in enumerate(names):
            at = f"{where}[{i}]"
            key = (found.login, found.name)
            if not is_sender_name(found.name):
                raise ValueError(f"{at}.name: not a sender name (1 to 15 characters)")
            if key in seen or key in self._names:
                raise ValueError(f"{at}.name: {found.name!r} twice")
            if found.code is not None and not (found.code.isascii() and found.code.isdigit()):
                raise ValueError(f"{at}.code: not a code (digits)")
            seen.add(key)

    def put(self, names: Sequence[SenderName]) -> None:
        """Put back names :meth:`check` accepted, in their order."""
        for found in names:
            self._names[(found.login, found.name)] = found
