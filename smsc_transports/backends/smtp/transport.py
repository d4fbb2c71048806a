"""The SMTP (e-mail-to-SMS) backend: ``smtp://login:password@send.smsc.ru``.

Each message becomes one e-mail to ``send@send.smsc.ru`` whose body carries the SMSC
account, the options, the phones and the text (:mod:`smsc_transports.wire.mail.body`). SMTP
answers nothing but its reply code, so the backend gives every message an id (the
caller's ``Message.id`` or a fresh one) and returns it: the status can be asked over
HTTP later, here too when an HTTP companion is configured (``status_via``).

One connection is opened lazily, reused by every call (calls take turns), pipelined
when the server offers ``PIPELINING``, and re-opened when the server dropped it. A
message whose content never went out is sent again once on a fresh connection; once
its content is written, a lost link is :class:`OutcomeUnknown`, never a resend.

``backup_hosts`` are tried in order when a connection cannot be opened (refused,
timed out, TLS failed, the server refused before any message): only a new connection
fails over, so a message goes to another host only when it cannot have reached the
one before.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Iterable
from contextlib import aclosing
from datetime import date
from typing import TYPE_CHECKING, ClassVar, Self, cast

from smsc_transports.adapters import ThreadedAsyncTransport
from smsc_transports.backends.smtp.errors import SmtpAuthenticationError, connect_errors
from smsc_transports.backends.smtp.link import (
    Client,
    Delivery,
    Letter,
    LinkDown,
    MailLink,
    Rejected,
    wire_data,
)
from smsc_transports.config import REGION_HOSTS, Settings, host_list
from smsc_transports.encoding import billed_parts
from smsc_transports.errors import (
    ConfigurationError,
    ConnectError,
    NotSent,
    SMSCError,
    UnsupportedOperation,
    ValidationError,
)
from smsc_transports.message import Message, MessageKind
from smsc_transports.observe import (
    Link,
    LinkEvent,
    Observer,
    OperationEvent,
    error_fields,
    log_fields,
    mask_phone,
    report,
)
from smsc_transports.results import (
    Balance,
    CostOutcome,
    CostResult,
    IncomingMessage,
    OperatorInfo,
    Outcome,
    ScheduledJob,
    SendResult,
    StatusResult,
)
from smsc_transports.transport import (
    PROTOCOLS_FOR,
    AsyncTransport,
    BatchGuard,
    Capability,
    Phones,
)
from smsc_transports.wire.mail import body as wire
from smsc_transports.wire.mail import mime
from smsc_transports.wire.mail.replies import parse_accepted_parts

if TYPE_CHECKING:
    from smsc_transports.backends.http import HttpTransport

__all__ = ["AsyncSmtpTransport"]

log = logging.getLogger(__name__)

DEFAULT_MAIL_FROM = "api@smsc.ru"  # what SMSC's own libraries send from (§6, [C])
# What the HTTP companion answers: every account operation HTTP has, but not ``raw``
# (a raw call names one protocol's own command, and SMTP has none) nor attachments
# (they travel with a send, and the send is SMTP's).
_COMPANION_CAPABILITIES = frozenset(
    {
        Capability.COST,
        Capability.STATUS,
        Capability.BALANCE,
        Capability.HISTORY,
        Capability.INCOMING,
        Capability.SENDERS,
        Capability.DELETE,
        Capability.OPERATOR,
        Capability.JOBS,
    }
)


class AsyncSmtpTransport(AsyncTransport):
    """SMSC's e-mail-to-SMS gateway over SMTP (``smtp://``) or SMTPS (``smtps://``).

    The URL's login and password are the SMSC account written into every body (an
    empty login with a password, or ``?apikey=``, sends an API key); SMSC's own server
    needs no SMTP authentication. Options: ``body_form`` (long|short), ``charset``,
    ``transfer_encoding``, ``mail_from``, ``mail_to``, ``region``, ``tz``, ``test``,
    ``smtp_user``, ``smtp_password``, ``starttls``, ``verify``, ``ca_file``,
    ``timeout``, ``helo_name``, ``pipelining``, ``max_idle``, ``status_via``,
    ``backup_hosts``; see ``docs/smtp.md``.
    """

    protocol: ClassVar[str] = "smtp"
    schemes: ClassVar[tuple[str, ...]] = ("smtp", "smtps")
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.SEND, Capability.BULK})
    option_names: ClassVar[frozenset[str] | None] = frozenset(
        {"backup_hosts", "body_form", "ca_file", "charset", "helo_name", "mail_from", "mail_to",
         "max_idle",
         "pipelining", "smtp_password", "smtp_user", "starttls", "status_via", "test",
         "timeout", "transfer_encoding", "tz", "verify"}
    )  # fmt: skip

    def __init__(self, settings: Settings, *, observer: Observer | None = None) -> None:
        settings.require_credentials()
        self.settings = settings
        self.host, port = settings.address
        self.port = port or (465 if settings.scheme == "smtps" else 25)
        backups = host_list(settings.get_str("backup_hosts") or "", self.port)
        self.hosts: tuple[tuple[str, int], ...] = (
            (self.host, self.port),
            *((h, p or self.port) for h, p in backups),
        )
        self.implicit_tls = settings.scheme == "smtps"
        self.login = settings.login or ""
        secret = settings.apikey or settings.password
        self._password = secret.reveal() if secret else ""
        self.form = cast(wire.BodyForm, self._choice("body_form", ("long", "short"), "long"))
        self.charset = self._choice("charset", wire.CHARSETS, "utf-8")
        self.transfer_encoding = self._choice("transfer_encoding", wire.TRANSFER_ENCODINGS, "8bit")
        region = (settings.get_str("region") or "ru").lower()
        if region not in REGION_HOSTS:
            raise ConfigurationError(f"unknown region {region!r}")
        self.mail_from = self._address("mail_from", DEFAULT_MAIL_FROM)
        self.mail_to = self._address("mail_to", wire.MAILBOXES[region])
        self.tz = settings.get_str("tz") or ""
        self.test = settings.get_bool("test", False)
        self.timeout = settings.get_float("timeout", 30.0) or 30.0
        self.max_idle = settings.get_float("max_idle", 30.0)
        self.pipelining = settings.get_bool("pipelining", True)
        self.smtp_user = settings.get_str("smtp_user")
        self._smtp_password = settings.get_str("smtp_password") or ""
        self.starttls = self._starttls_policy()
        self.verify = settings.get_bool("verify", True)
        self.ca_file = settings.get_str("ca_file")
        self.helo_name = self._helo_name()
        self._check_body_settings()
        self.companion = _companion(settings)
        # The companion is a sync HTTP transport: its calls (and cost_many's batching)
        # run in its own worker threads, never on the event loop.
        self._companion_async: ThreadedAsyncTransport | None = None
        if self.companion is not None:
            self._companion_async = ThreadedAsyncTransport(self.companion, max_workers=4)
            self.capabilities = self.capabilities | _COMPANION_CAPABILITIES  # type: ignore[misc]
        self._link: MailLink | None = None
        self._lock: asyncio.Lock | None = None
        self._links_made = 0
        if observer is not None:
            self.observe(observer)

    def observe(self, observer: Observer | None) -> None:
        """Report every e-mail and connection to ``observer`` (the HTTP companion's
        requests too)."""
        self.observer = observer
        if self.companion is not None:
            self.companion.observe(observer)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the transport; nothing connects until the first send."""
        return cls(settings)

    def __repr__(self) -> str:
        return f"<AsyncSmtpTransport {self.settings.scheme}://{self.host}:{self.port}>"

    # Settings --------------------------------------------------------------------------

    def _choice(self, name: str, allowed: Iterable[str], default: str) -> str:
        value = (self.settings.get_str(name) or default).lower()
        if value not in allowed:
            raise ConfigurationError(f"{name}={value!r} is not one of {', '.join(allowed)}")
        return value

    def _address(self, name: str, default: str) -> str:
        try:
            return mime.check_address(name, self.settings.get_str(name) or default)
        except ValidationError as exc:
            raise ConfigurationError(str(exc)) from None

    def _helo_name(self) -> str:
        """The name said in EHLO: ``helo_name``, else this machine's; checked now."""
        name = self.settings.get_str("helo_name") or socket.gethostname() or "localhost"
        try:
            return mime.check_helo_name(name)
        except ValidationError as exc:
            raise ConfigurationError(str(exc)) from None

    def _starttls_policy(self) -> bool | None:
        """True: required; False: never; None: used when the server offers it."""
        if self.implicit_tls:
            return False
        if "starttls" in self.settings.options:
            return self.settings.get_bool("starttls", False)
        # SMTP AUTH must not send its password in clear unless the user said so.
        return True if self.smtp_user else None

    def _check_body_settings(self) -> None:
        """Fail at construction, not at the first send, for settings no body can carry."""
        probe = wire.MailBody(
            self.login,
            self._password,
            tz=self.tz,
            test=self.test,
            phones=("70000000000",),
            text="x",
            form=self.form,
        )
        try:
            mime.compose_mail(
                probe,
                mail_from=self.mail_from,
                mail_to=self.mail_to,
                charset=self.charset,
                transfer_encoding=self.transfer_encoding,
            )
        except ValidationError as exc:
            raise ConfigurationError(str(exc)) from None

    @property
    def _secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self._password, self._smtp_password) if s)

    # Building --------------------------------------------------------------------------

    def letter(self, index: int, message: Message) -> Letter:
        """Return ``message`` ready for the wire; raise ValidationError if it cannot go."""
        msg_id = str(message.id) if message.id is not None else wire.new_message_id()
        body = wire.body_from_message(
            message,
            login=self.login,
            password=self._password,
            id=msg_id,
            form=self.form,
            tz=self.tz,
            test=self.test,
        )
        composed = mime.compose_mail(
            body,
            mail_from=self.mail_from,
            mail_to=self.mail_to,
            charset=self.charset,
            transfer_encoding=self.transfer_encoding,
        )
        parts = billed_parts(message)
        log.debug(  # MailBody's repr masks the password
            "SMTP letter %s: %r",
            msg_id,
            body,
            extra=log_fields("smtp", "send", id=msg_id, phone=_one_phone(message)),
        )
        data = wire_data(composed.data)
        started = time.perf_counter() if self.observer is not None else 0.0
        return Letter(
            index, message, msg_id, parts, self.mail_from, self.mail_to, data, started=started
        )

    def _item(self, index: int, message: Message) -> Letter | Rejected:
        try:
            return self.letter(index, message)
        except SMSCError as exc:
            return Rejected(index, message, exc)

    # Connection ------------------------------------------------------------------------

    async def _connect(self) -> MailLink:
        """A new link to the first host that takes one (the main host, then the backups).

        Nothing was sent on a connection that failed to open, so the next host is safe;
        a refused SMTP AUTH is the same on every host and is raised at once.
        """
        failure: ConnectError | None = None
        for host, port in self.hosts:
            try:
                return await self._connect_to(host, port)
            except SmtpAuthenticationError:
                raise
            except ConnectError as exc:
                if len(self.hosts) > 1:
                    log.warning("SMTP host %s:%s failed: %s", host, port, exc)
                failure = exc
        assert failure is not None
        raise failure

    async def _connect_to(self, host: str, port: int) -> MailLink:
        address = f"{host}:{port}"
        client = Client(
            hostname=host,
            port=port,
            timeout=self.timeout,
            use_tls=self.implicit_tls,
            start_tls=self.starttls,
            validate_certs=self.verify,
            cert_bundle=self.ca_file,
            local_hostname=self.helo_name,
        )
        try:
            with connect_errors(address, self._secrets):
                await client.connect()
                if client.is_ehlo_or_helo_needed:
                    await client.ehlo()  # after STARTTLS nobody has said EHLO yet
                if self.smtp_user:
                    # Here, not in connect(): a refusal must close the connection we hold.
                    await client.login(self.smtp_user, self._smtp_password)
            link = MailLink(client, timeout=self.timeout, secrets=self._secrets)
        except BaseException as exc:
            # Closed before the error goes up: a loop stopping next must find it closed.
            client.close()
            await client.closed()
            if isinstance(exc, LinkDown):
                raise ConnectError(f"cannot talk to {address}: {exc}") from None
            raise
        link.pipelining = link.pipelining and self.pipelining
        log.debug("SMTP connected to %s (pipelining=%s)", address, link.pipelining)
        self._links_made += 1
        if self.observer is not None:
            change = Link.CONNECTED if self._links_made == 1 else Link.RECONNECTED
            report(self.observer.link, LinkEvent("smtp", change))
        return link

    async def _ready_link(self) -> MailLink:
        link = self._link
        if link is not None and (
            not link.usable or time.monotonic() - link.last_used > self.max_idle
        ):
            # A long-idle connection may have been dropped by a NAT or the server
            # without a word; a fresh one costs less than a timeout.
            await link.close()
            link = self._link = None
        if link is None:
            link = self._link = await self._connect()
        return link

    # Sending ---------------------------------------------------------------------------

    async def send(self, message: Message) -> SendResult:
        """Send one message; return its id and parts, or raise an :class:`SMSCError`."""
        letter = self.letter(0, message)
        async for outcome in self._deliver(_once(letter), lookahead=False):
            return outcome.unwrap()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send_many(
        self, messages: Iterable[Message] | AsyncIterable[Message]
    ) -> AsyncGenerator[Outcome, None]:
        """Send every message over the one connection; one outcome each, in order.

        A plain iterable is read one message ahead, so with ``PIPELINING`` the next
        message's commands travel with the current one's content. After an error every
        later message would get too (a refused AUTH, SMSC's wrong credentials or empty
        account) nothing more is sent: the rest end as
        :class:`~smsc_transports.errors.NotSent`.
        """
        lookahead = not isinstance(messages, AsyncIterable)
        async for outcome in self._deliver(self._items(messages), lookahead=lookahead):
            yield outcome

    async def _items(
        self, messages: Iterable[Message] | AsyncIterable[Message]
    ) -> AsyncIterator[Letter | Rejected]:
        index = 0
        if isinstance(messages, AsyncIterable):
            async for message in messages:
                yield self._item(index, message)
                index += 1
        else:
            for message in messages:
                yield self._item(index, message)
                index += 1

    async def _deliver(
        self, items: AsyncIterator[Letter | Rejected], *, lookahead: bool
    ) -> AsyncIterator[Outcome]:
        """Drive links over ``items``: reconnect when one fails, resend what never went out."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        retry: list[Letter | Rejected] = []
        exhausted = False
        guard = BatchGuard()

        async def next_item() -> Letter | Rejected | None:
            nonlocal exhausted
            if guard.cause is not None:
                return None  # nothing more goes out; what is left ends as NotSent below
            if retry:
                return retry.pop()
            item = await anext(items, None)
            exhausted = item is None
            return item

        async with self._lock:
            while not exhausted or retry:
                first = await next_item()
                if first is None:
                    break
                if isinstance(first, Rejected):
                    yield _outcome(Delivery(first, error=first.error))
                    continue
                try:
                    link = await self._ready_link()
                except SMSCError as exc:
                    guard.saw(exc)
                    yield self._told(Delivery(first, error=exc))
                    continue
                retry.append(first)
                async with aclosing(link.deliver(next_item, lookahead=lookahead)) as deliveries:
                    async for delivery in deliveries:
                        if (settled := _settle(delivery, retry, guard)) is not None:
                            yield self._told(settled)
                if not link.usable:
                    await link.close()
                    self._link = None
                    if self.observer is not None:
                        report(self.observer.link, LinkEvent("smtp", Link.DROPPED))
            if guard.cause is not None:
                async for outcome in self._not_sent(retry, items, guard.cause):
                    yield outcome

    def _told(self, delivery: Delivery) -> Outcome:
        """The delivery's outcome, reported to the observer if there is one."""
        outcome = _outcome(delivery)
        if self.observer is not None and isinstance(delivery.item, Letter):
            letter = delivery.item
            name, code = error_fields(delivery.error)
            reply = delivery.reply
            event = OperationEvent(
                "smtp",
                "send",
                name,
                time.perf_counter() - letter.started if letter.started else 0.0,
                1,
                len(letter.data),
                0 if reply is None else len(reply.text) + 6,  # "250 " … CRLF
                code,
                letter.id if delivery.error is None else None,
                mask_phone(_one_phone(letter.message)),
            )
            report(self.observer.operation, event)
        return outcome

    async def _not_sent(
        self,
        retry: list[Letter | Rejected],
        items: AsyncIterator[Letter | Rejected],
        cause: SMSCError,
    ) -> AsyncIterator[Outcome]:
        """The outcomes of the items left when a batch stopped: none of them went out."""
        while retry:
            yield _left_out(retry.pop(), cause)
        async for item in items:
            yield _left_out(item, cause)

    # Other operations ------------------------------------------------------------------

    async def cost(self, message: Message) -> CostResult:
        """Price ``message`` over the HTTP companion (``status_via``)."""
        return await self._via(Capability.COST).cost(message)

    def cost_many(
        self, messages: Iterable[Message] | AsyncIterable[Message]
    ) -> AsyncIterator[CostOutcome]:
        """Price every message over the HTTP companion, as HTTP batches them."""
        return self._via(Capability.COST).cost_many(messages)

    async def status(self, id: str, phone: str, *, detail: int = 0) -> StatusResult:
        """Ask for a status over the HTTP companion (``status_via``)."""
        return await self._via(Capability.STATUS).status(id, phone, detail=detail)

    async def balance(self) -> Balance:
        """Ask for the balance over the HTTP companion (``status_via``)."""
        return await self._via(Capability.BALANCE).balance()

    async def history(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        phone: Phones | None = None,
        count: int = 100,
        prev_id: str | None = None,
        email: Phones | None = None,
        kind: MessageKind | None = None,
    ) -> list[StatusResult]:
        """List the sent messages over the HTTP companion (``status_via``)."""
        return await self._via(Capability.HISTORY).history(
            start=start,
            end=end,
            phone=phone,
            count=count,
            prev_id=prev_id,
            email=email,
            kind=kind,
        )

    async def incoming(
        self, *, hours: int = 24, after_id: str | None = None, count: int = 100
    ) -> list[IncomingMessage]:
        """List the received messages over the HTTP companion (``status_via``)."""
        companion = self._via(Capability.INCOMING)
        return await companion.incoming(hours=hours, after_id=after_id, count=count)

    async def senders(self) -> list[str]:
        """List the sender IDs over the HTTP companion (``status_via``)."""
        return await self._via(Capability.SENDERS).senders()

    async def add_sender(self, name: str, *, comment: str | None = None) -> None:
        """Register a sender ID over the HTTP companion (``status_via``)."""
        await self._via(Capability.SENDERS).add_sender(name, comment=comment)

    async def send_sender_code(self, name: str) -> None:
        """Ask for a sender confirmation code over the HTTP companion (``status_via``)."""
        await self._via(Capability.SENDERS).send_sender_code(name)

    async def confirm_sender(self, name: str, code: str) -> None:
        """Confirm a sender ID over the HTTP companion (``status_via``)."""
        await self._via(Capability.SENDERS).confirm_sender(name, code)

    async def delete(self, id: str, phone: str) -> None:
        """Delete a sent message over the HTTP companion (``status_via``)."""
        await self._via(Capability.DELETE).delete(id, phone)

    async def operator(self, phone: str) -> OperatorInfo:
        """Ask for a number's operator over the HTTP companion (``status_via``)."""
        return await self._via(Capability.OPERATOR).operator(phone)

    async def jobs(self) -> list[ScheduledJob]:
        """List the scheduled mailings over the HTTP companion (``status_via``)."""
        return await self._via(Capability.JOBS).jobs()

    async def cancel_job(self, id: str) -> None:
        """Cancel a scheduled mailing over the HTTP companion (``status_via``)."""
        await self._via(Capability.JOBS).cancel_job(id)

    def _unsupported(self, capability: Capability) -> UnsupportedOperation:
        # Only what the companion does is worth setting status_via for.
        companion = "status_via" if capability in _COMPANION_CAPABILITIES else None
        return UnsupportedOperation(
            capability.value, self.protocol, PROTOCOLS_FOR.get(capability, ()), companion=companion
        )

    def _via(self, capability: Capability) -> ThreadedAsyncTransport:
        """The companion's async face, for ``capability``; unsupported without one."""
        if self._companion_async is None:
            raise self._unsupported(capability)
        return self._companion_async  # once closed, it refuses every call itself

    async def aclose(self) -> None:
        """Say QUIT on the open connection and close the HTTP companion."""
        if self._link is not None:
            await self._link.close()
            self._link = None
        if self._companion_async is not None:
            await self._companion_async.aclose()  # a second close does nothing


def _settle(
    delivery: Delivery, retry: list[Letter | Rejected], guard: BatchGuard
) -> Delivery | None:
    """What became of ``delivery``, or ``None`` when its letter goes back to be sent again.

    A letter that never went out is resent once on a fresh link; twice lost, it fails.
    """
    item = delivery.item
    if delivery.error is not None:
        guard.saw(delivery.error)
    if delivery.resend and isinstance(item, Letter):
        if not item.resent:
            item.resent = True
            retry.append(item)
            return None
        return Delivery(item, error=_lost_twice(item))
    return delivery


def _one_phone(message: Message) -> str | None:
    return message.phones[0] if len(message.phones) == 1 else None


def _left_out(item: Letter | Rejected, cause: SMSCError) -> Outcome:
    error = item.error if isinstance(item, Rejected) else NotSent(cause)
    return Outcome(item.index, item.message, error=error)


def _outcome(delivery: Delivery) -> Outcome:
    item = delivery.item
    if delivery.error is not None:
        return Outcome(item.index, item.message, error=delivery.error)
    assert isinstance(item, Letter) and delivery.reply is not None
    raw = f"{delivery.reply.code} {delivery.reply.text}"
    # The server's count leaves out refused recipients; ours is an estimate for all.
    parts = parse_accepted_parts(delivery.reply.text)
    result = SendResult(
        id=item.id, parts=item.parts if parts is None else parts, transport="smtp", raw=raw
    ).for_recipients(item.message.phones)
    return Outcome(item.index, item.message, result=result)


def _lost_twice(letter: Letter) -> ConnectError:
    return ConnectError(
        f"the connection was lost twice before message {letter.id} was sent; it was not sent"
    )


async def _once(letter: Letter) -> AsyncIterator[Letter | Rejected]:
    yield letter


def _companion(settings: Settings) -> HttpTransport | None:
    """The HTTP transport named by ``status_via``, with the SMTP URL's account if it has none."""
    url = settings.get_str("status_via")
    if not url:
        return None
    from smsc_transports.backends.http import HttpTransport

    companion = Settings.from_url(url)
    if companion.scheme not in ("http", "https"):
        raise ConfigurationError(
            f"status_via must be an http(s):// URL, got a {companion.scheme}:// one"
        )
    if not (companion.login or companion.password or companion.apikey):
        companion = companion.with_overrides(
            login=settings.login, password=settings.password, apikey=settings.apikey
        )
    return HttpTransport.from_settings(companion)
