"""The SOAP backend (``soap://``, ``soap+https://``, ``soap+http://``), built on ``zeep``.

One ``zeep`` client is built per transport, from the WSDL shipped with the package
(no network at import or construction), and reused for every call over one
keep-alive ``requests`` session. Untrusted answers are parsed with DTDs, entities,
external references and huge trees forbidden. Every ``requests`` and ``zeep``
failure is turned into this library's errors in one place (:meth:`SoapClient.mapped_errors`),
with server text quoted through :func:`safe_excerpt` so no password leaks.

There is no native asyncio client: ``zeep``'s ``AsyncClient`` needs ``httpx``, which
this library does not depend on, so ``create_async_transport`` runs this backend in
the factory's shared thread pool (:class:`~smsc_transports.adapters.ThreadedAsyncTransport`).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import requests
import zeep
import zeep.exceptions
import zeep.helpers
import zeep.transports

from smsc_transports.backends.calls import Observed, with_failover
from smsc_transports.backends.http.client import OPTION_NAMES as HTTP_OPTIONS
from smsc_transports.backends.http.client import HttpOptions
from smsc_transports.backends.pacing import RepeatRule, repeat_read, until_accepted_steps
from smsc_transports.backends.soap.session import (
    CallDeadline,
    Watchdog,
    mapped_requests_errors,
    read_bounded,
    watched_session,
)
from smsc_transports.backends.steps import at_once, run
from smsc_transports.config import Secret, Settings
from smsc_transports.errors import (
    ConfigurationError,
    ProtocolError,
    RateLimited,
    SMSCError,
    TransportError,
    ValidationError,
    safe_excerpt,
)
from smsc_transports.message import Message
from smsc_transports.observe import Observer, log_fields
from smsc_transports.results import Balance, CostResult, Outcome, SendResult, StatusResult
from smsc_transports.transport import BatchGuard, Capability, Transport, iter_outcomes
from smsc_transports.wire import http as wire_http
from smsc_transports.wire.soap import calls as wire

__all__ = ["SoapClient", "SoapTransport"]

log = logging.getLogger(__name__)

_FAULT = re.compile(rb"<(?:[\w.-]+:)?Fault[\s>]")
_PSW_ELEMENT = re.compile(r"(<(?:[\w.-]+:)?psw(?:\s[^>]*)?>)[^<]*", re.IGNORECASE)


class _BoundedTransport(zeep.transports.Transport):
    """zeep's transport with a size limit on answers and passwords masked in debug logs.

    zeep's own ``post`` logs whole envelopes (passwords included) and reads answers of
    any size; this one streams and stops at ``max_bytes``.
    """

    def __init__(self, client: SoapClient, session: requests.Session, timeout: Any) -> None:
        super().__init__(session=session, timeout=timeout, operation_timeout=timeout)  # type: ignore[no-untyped-call]
        self._client = client

    def post(self, address: str, message: bytes | str, headers: Mapping[str, str]) -> Any:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("POST %s %s", address, self._client.excerpt(message, limit=2000))
        response, body = self._fetch(
            "POST", address, data=message, headers=headers, timeout=self.operation_timeout
        )
        if response.status_code != 200 and not _FAULT.search(body):
            # zeep would call an HTML error page an "unknown fault"; say what it is.
            raise TransportError(
                f"SMSC answered HTTP {response.status_code} at {address}: "
                f"{self._client.excerpt(body)!r}"
            )
        # zeep reads ``response.content``; hand it the bytes already read.
        response._content = body
        if self._client.observed.observer is not None:
            self._client.count_bytes(len(message), len(body))
        return response

    def _fetch(self, method: str, url: str, **options: Any) -> tuple[requests.Response, bytes]:
        response = self.session.request(method, url, stream=True, allow_redirects=False, **options)
        try:
            return response, read_bounded(
                response, self._client.options.max_answer_bytes, "SMSC's SOAP answer"
            )
        finally:
            response.close()

    def load(self, url: str) -> bytes:
        scheme = urlsplit(url).scheme
        if scheme in ("http", "https"):
            response, body = self._fetch("GET", url, timeout=self.load_timeout)
            if response.status_code != 200:
                raise TransportError(f"cannot load the WSDL: HTTP {response.status_code}")
            return body
        if not self._client.local_wsdl:
            # A remote WSDL must not make us read local files through its imports.
            raise ProtocolError(f"the WSDL refers to a non-HTTP location {url!r}; refused")
        result: bytes = super().load(url)  # type: ignore[no-untyped-call]
        return result


class SoapClient:
    """One ``zeep`` client over one ``requests`` session, with failover to backup hosts."""

    def __init__(self, settings: Settings) -> None:
        settings.require_credentials()
        host, port = settings.address
        self.scheme = "http" if settings.scheme == "soap+http" else "https"
        self.options = HttpOptions.from_settings(settings, host)
        path = settings.get_str("path", wire.ENDPOINT_PATH) or wire.ENDPOINT_PATH
        self.addresses = [
            f"{origin}/{path.lstrip('/')}"
            for origin in self.options.origins(self.scheme, host, port)
        ]
        password = settings.password.reveal() if settings.password else None
        apikey = settings.apikey.reveal() if settings.apikey else None
        # Kept wrapped so that no repr, vars() dump or crash report shows them.
        credentials = wire.credential_fields(settings.login, password, apikey)
        try:
            wire.balance_call(credentials)  # fails now, not at the first call
        except ValidationError as exc:
            raise ConfigurationError(str(exc)) from None
        self._credentials = {k: Secret(v) for k, v in credentials.items()}
        secrets = [s for s in (password, apikey, self.options.proxy) if s]
        self._secrets = [Secret(s) for s in {*secrets, *(escape(s) for s in secrets)}]

        self.observed = Observed()  # the transport attaches its observer here
        self._timed = threading.local()  # the call being timed, per thread
        self.session = watched_session()
        self.watchdog = Watchdog("smsc-soap-deadline")
        self.pacer = self.options.pacer()
        self._closing = threading.Event()
        self.session.verify = self.options.verify
        self.session.trust_env = False  # settings decide proxies, not the environment
        if self.options.proxy:
            self.session.proxies = {"http": self.options.proxy, "https": self.options.proxy}
        timeout = (min(self.options.connect_timeout, self.options.timeout), self.options.timeout)
        source = settings.get_str("wsdl", "bundled") or "bundled"
        self.local_wsdl = source == "bundled" or (source != "live" and "://" not in source)
        transport = _BoundedTransport(self, self.session, timeout)
        self.session.headers["User-Agent"] = self.options.user_agent  # zeep sets its own
        zeep_settings = zeep.Settings(
            strict=settings.get_bool("strict", True),
            xml_huge_tree=False,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
            force_https=False,  # the configured scheme decides, not the WSDL's address
        )
        location: Any = io.BytesIO(wire.wsdl_bytes()) if source == "bundled" else source
        if source == "live":
            location = self.addresses[0] + "?wsdl"
        where = str(location) if source != "bundled" else "the shipped WSDL"
        with (
            self.watchdog.deadline(self.options.timeout) as deadline,
            self.mapped_errors(where, deadline),
        ):
            self.zeep = zeep.Client(location, transport=transport, settings=zeep_settings)  # type: ignore[no-untyped-call]
            binding = _binding_name(self.zeep)
            self.services = [self.zeep.create_service(binding, a) for a in self.addresses]  # type: ignore[no-untyped-call]

    def __repr__(self) -> str:
        return f"<SoapClient {self.addresses[0]}>"

    @property
    def credentials(self) -> dict[str, str]:
        """The ``login``/``psw`` fields every call carries."""
        return {key: secret.reveal() for key, secret in self._credentials.items()}

    def excerpt(self, text: str | bytes, *, limit: int = 200) -> str:
        """Return ``text`` fit for an error or a log line: passwords masked, shortened."""
        if isinstance(text, bytes):
            text = text[: limit * 8].decode("utf-8", "replace")
        text = _PSW_ELEMENT.sub(r"\1***", text)
        return safe_excerpt(text, [s.reveal() for s in self._secrets], limit=limit)

    def call(
        self, call: wire.SoapCall, *, repeatable: bool, repeat: RepeatRule | None = None
    ) -> tuple[Any, bool]:
        """Call ``call.operation``; return its result (a dict, or ``None`` when the answer
        had no result element) and whether an earlier attempt may have reached SMSC.

        Moves on to the next backup host when the request cannot have arrived, and also
        when it may have arrived but ``repeatable`` says repeating it is harmless. A
        result with error 9 is asked again, after a back-off and within the ``retry``
        budget, while ``repeat`` allows it (never, without one).
        """
        log.debug("SOAP %r", call)

        def ask() -> tuple[Any, bool]:
            if self.observed.observer is not None:
                return self._observed(call, repeatable)
            return self._call(call, repeatable)

        return run(
            until_accepted_steps(
                lambda: at_once(ask),
                wire.rate_limited,
                repeat,
                self.options.retry,
                self._closing,
                call.operation,
                on_back_off=self.observed.backing_off,
            )
        )

    def _observed(self, call: wire.SoapCall, repeatable: bool) -> tuple[Any, bool]:
        """:meth:`call`, timed and reported to the observer."""
        name = wire.operation_kind(call.operation)
        with self.observed.timed(name, phones=call.fields.get("phones", "")) as watch:
            self._timed.watch = watch  # count_bytes adds zeep's exchanges to it
            try:
                result, uncertain = self._call(call, repeatable)
            finally:
                self._timed.watch = None
        error = None
        try:
            body = wire.check_error(result, name)
            if isinstance(body.get("id"), str | int):
                watch.id = str(body["id"])
        except SMSCError as exc:
            error = exc
        watch.done(error)
        return result, uncertain

    def count_bytes(self, sent: int, received: int) -> None:
        """Add one HTTP exchange's sizes to the call being timed in this thread."""
        watch = getattr(self._timed, "watch", None)
        if watch is not None:
            watch.bytes_sent += sent
            watch.bytes_received += received

    def _call(self, call: wire.SoapCall, repeatable: bool) -> tuple[Any, bool]:
        def attempt(target: tuple[str, Any]) -> Any:
            address, service = target
            with (
                self.pacer.turn(),
                self.watchdog.deadline(self.options.timeout) as deadline,
                self.mapped_errors(address, deadline),
            ):
                result = getattr(service, call.operation)(**call.fields)
            answer = zeep.helpers.serialize_object(result, dict)  # type: ignore[no-untyped-call]
            # A server that echoes the password must not put it into an error or raw.
            return wire_http.mask_secrets(answer, [s.reveal() for s in self._secrets])

        return with_failover(
            list(zip(self.addresses, self.services, strict=True)),
            attempt,
            repeatable=repeatable,
            name=lambda target: target[0],
        )

    @contextlib.contextmanager
    def mapped_errors(self, where: str, deadline: CallDeadline | None = None) -> Iterator[None]:
        """Turn ``requests`` and ``zeep`` exceptions into this library's errors.

        Once ``deadline`` has cut the connection, any failure is a
        :class:`TransportTimeout`.
        """
        try:
            with mapped_requests_errors(where, self.options.timeout, self._why, deadline):
                yield
        except zeep.exceptions.Fault as exc:
            raise TransportError(
                f"SOAP fault from {where}: {self.excerpt(str(exc.message))!r}"
            ) from None
        except zeep.exceptions.TransportError as exc:
            content = self.excerpt(exc.content or b"")
            if exc.status_code == 200:
                raise ProtocolError(f"SMSC's SOAP answer is not XML: {content!r}") from None
            raise TransportError(
                f"SMSC answered HTTP {exc.status_code} at {where}: {content!r}"
            ) from None
        except zeep.exceptions.Error as exc:
            # Malformed XML, a DTD or an entity, a field the WSDL does not allow...
            raise ProtocolError(
                f"unusable SOAP answer from {where} ({type(exc).__name__}): {self._why(exc)}"
            ) from None
        except SMSCError:
            raise
        except Exception as exc:
            # zeep reads answers with plain indexing and attribute access, so a hostile
            # one (an empty Body, say) escapes it as IndexError or AttributeError.
            log.debug("zeep failed on the answer from %s", where, exc_info=True)
            raise ProtocolError(
                f"unusable SOAP answer from {where} ({type(exc).__name__})"
            ) from None

    def _why(self, exc: BaseException) -> str:
        return self.excerpt(str(exc), limit=300)

    def close(self) -> None:
        """Close the session's pooled connections and stop the deadline thread.

        A call waiting to be asked again gives up and returns its last answer.
        """
        self._closing.set()
        self.session.close()
        self.watchdog.close()


def _repeat_send(message: Message) -> RepeatRule:
    """SOAP's error 9 has no text, so it never proves a refusal for load: only a
    message with its own id, which SMSC recognises in a repeat, is sent again (and
    not after an attempt that may have arrived: that 9 says it was accepted)."""

    def rule(error: RateLimited, uncertain: bool) -> bool:
        del error
        return message.id is not None and not uncertain

    return rule


def _binding_name(client: Any) -> Any:
    """The binding of the WSDL's first port that has ``send_sms`` (a live WSDL may rename)."""
    for service in client.wsdl.services.values():
        for port in service.ports.values():
            with contextlib.suppress(ValueError):
                port.binding.get("send_sms")
                return port.binding.name
    raise ProtocolError("the WSDL has no port with SMSC's send_sms operation")


class SoapTransport(Transport):
    """SMSC's SOAP service (``soap://login:password@smsc.ru``).

    Options (URL query or settings): ``wsdl`` (``bundled`` — the default, no network —,
    ``live`` for the server's own ``?wsdl``, or a URL or file path), ``path`` (endpoint
    path, default ``/sys/soap.php``), ``strict`` (zeep's strict parsing, default on),
    ``report_refused`` (ask for refused numbers via ``send_sms2``), ``concurrency``
    (calls in flight in ``send_many``, default 4, at most 15), and the HTTP options
    ``timeout``, ``connect_timeout``, ``verify``, ``proxy``, ``backup_hosts``,
    ``max_answer_bytes``, ``user_agent``.
    """

    protocol: ClassVar[str] = "soap"
    schemes: ClassVar[tuple[str, ...]] = ("soap", "soap+https", "soap+http")
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.SEND,
            Capability.BULK,
            Capability.COST,
            Capability.STATUS,
            Capability.BALANCE,
            Capability.RAW,
        }
    )
    option_names: ClassVar[frozenset[str] | None] = HTTP_OPTIONS | {
        "concurrency",
        "path",
        "report_refused",
        "strict",
        "wsdl",
    }

    def __init__(
        self,
        client: SoapClient,
        *,
        concurrency: int = 4,
        report_refused: bool = False,
        observer: Observer | None = None,
    ) -> None:
        self.client = client
        self.concurrency = max(1, min(concurrency, wire_http.MAX_CONCURRENCY))
        self.report_refused = report_refused
        self._executor: ThreadPoolExecutor | None = None
        if observer is not None:
            self.observe(observer)

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        """Build the transport and its zeep client; credentials are required."""
        return cls(
            SoapClient(settings),
            concurrency=settings.get_int("concurrency", 4),
            report_refused=settings.get_bool("report_refused", False),
        )

    def __repr__(self) -> str:
        return f"<SoapTransport {self.client.addresses[0]}>"

    def observe(self, observer: Observer | None) -> None:
        """Report every call to ``observer`` and let it watch the calls in flight."""
        self.observer = observer
        self.client.observed.attach(observer, self.protocol, self.concurrency)

    def send(self, message: Message) -> SendResult:
        """Send one message (``send_sms``, or ``send_sms2`` when it needs more fields)."""
        call = wire.send_call(message, self.client.credentials, report_refused=self.report_refused)
        # A send is repeated on another host only if SMSC can recognise the repeat.
        uncertain = False
        try:
            result, uncertain = self.client.call(
                call, repeatable=message.id is not None, repeat=_repeat_send(message)
            )
            return wire.parse_send(result).for_recipients(message.phones)
        except RateLimited:
            if uncertain and message.id is not None:
                # Our earlier attempt carried the same id and got through.
                return SendResult.accepted_earlier(message, "soap")
            raise

    def send_many(self, messages: Iterable[Message]) -> Generator[Outcome, None, None]:
        """Send each message, ``concurrency`` at a time; one outcome each, in input order.

        At most twice ``concurrency`` messages are held at once, so any length of input
        runs in bounded memory. After an error every later message would get too (wrong
        credentials, a blocked IP, no money) nothing more is sent: the rest end as
        :class:`~smsc_transports.errors.NotSent`.
        """
        if self.concurrency == 1:
            yield from iter_outcomes(messages, self.send)
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="smsc-soap")
        guard = BatchGuard()
        pending: deque[tuple[int, Message, Future[SendResult | SMSCError]]] = deque()
        for index, message in enumerate(messages):
            future = self._executor.submit(guard.attempt, self.send, message)
            pending.append((index, message, future))
            if len(pending) >= 2 * self.concurrency:
                yield _settle(*pending.popleft())
        while pending:
            yield _settle(*pending.popleft())

    def cost(self, message: Message) -> CostResult:
        """Return what ``message`` would cost (``get_sms_cost``/``get_sms_cost2``)."""
        result, _ = self.client.call(
            wire.cost_call(message, self.client.credentials), repeatable=True, repeat=repeat_read
        )
        return wire.parse_cost(result)

    def status(
        self, id: str, phone: str, *, detail: int = 0, query: Mapping[str, str] | None = None
    ) -> StatusResult:
        """Return the status of message ``id`` to ``phone`` (``detail``: SMSC's ``all``).

        ``query`` adds parameters SOAP has no field for; the call is then ``get_status2``
        with them in its ``query`` string.
        """
        call = wire.status_call(str(id), phone, self.client.credentials, detail=detail, extra=query)
        result, _ = self.client.call(call, repeatable=True, repeat=repeat_read)
        return wire.parse_status(result, str(id), phone)

    def balance(self) -> Balance:
        """Return the balance (SOAP gives no currency or credit: the WSDL has no field)."""
        call = wire.balance_call(self.client.credentials)
        result, _ = self.client.call(call, repeatable=True, repeat=repeat_read)
        return wire.parse_balance(result)

    def raw(self, command: str, params: Mapping[str, object] | None = None) -> Any:
        """Call the WSDL operation ``command`` (``get_status2``, …) with ``params``.

        The credentials are added; field names are checked against the WSDL before
        anything is sent; the result comes back as a dict, an ``error`` in it as the
        typed :class:`~smsc_transports.errors.APIError`. A raw call is repeated on a
        backup host only when it cannot have arrived.
        """
        call = wire.raw_call(command, params, self.client.credentials)
        result, _ = self.client.call(call, repeatable=False)
        return wire.parse_raw(result, command)

    def close(self) -> None:
        """Stop the worker threads and close pooled connections."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.client.close()
        self.client.observed.attach(None, self.protocol, self.concurrency)


def _settle(index: int, message: Message, future: Future[SendResult | SMSCError]) -> Outcome:
    try:
        got = future.result()
    except Exception as exc:
        # Never lose the message to an unexpected failure: it becomes its outcome.
        log.exception(
            "unexpected failure while sending over SOAP", extra=log_fields("soap", "send")
        )
        return Outcome(
            index, message, error=TransportError(f"unexpected failure: {type(exc).__name__}")
        )
    if isinstance(got, SMSCError):
        return Outcome(index, message, error=got)
    return Outcome(index, message, result=got)
