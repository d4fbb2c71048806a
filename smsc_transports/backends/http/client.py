"""The HTTP backend's client: POST a command to SMSC, fail over, read the answer.

The retry rule (DESIGN.md "Reliability rules"): a request that cannot have reached SMSC
(refused, DNS, TLS handshake, connect timeout) moves on to the next backup host; a
request that may have arrived is repeated only when the caller says repeating is safe
(reads, and sends that carry the caller's own ``id``). Opt-in: every attempt waits its
turn under a :class:`~smsc_transports.backends.pacing.RequestPacer`, and a request SMSC
refused with error 9 is made again after a back-off when the caller's rule allows it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from smsc_transports.backends.calls import Observed, failover_steps
from smsc_transports.backends.http.connection import Connections, Origin, Proxy, tls_context
from smsc_transports.backends.pacing import (
    RepeatRule,
    RequestPacer,
    RetryPolicy,
    repeat_read,
    until_accepted_steps,
)
from smsc_transports.backends.steps import Steps, run
from smsc_transports.config import REGION_HOSTS, Secret, Settings, host_list
from smsc_transports.errors import (
    APIError,
    ConfigurationError,
    ConnectError,
    RateLimited,
    TransportError,
    safe_excerpt,
)
from smsc_transports.observe import Stopwatch
from smsc_transports.wire.http import (
    CHARSET,
    MAX_CONCURRENCY,
    FilePart,
    auth_params,
    check_error,
    decode_answer,
    form_body,
    multipart_body,
    rate_limited,
    refused_for_load,
)

__all__ = ["OPTION_NAMES", "UNREACHABLE_FOR", "HttpClient", "HttpOptions"]

Result = TypeVar("Result")

log = logging.getLogger(__name__)

_SMSC_DOMAINS = frozenset(REGION_HOSTS.values())
_FORM = "application/x-www-form-urlencoded"
_SECRET_KEYS = frozenset({"psw", "apikey"})


# Seconds a host that could not be connected to is tried after the others.
UNREACHABLE_FOR = 30.0

# The settings options HttpOptions reads: every backend built on it takes them.
OPTION_NAMES = frozenset(
    {"timeout", "connect_timeout", "verify", "proxy", "backup_hosts", "max_answer_bytes",
     "user_agent", "max_rate", "max_concurrent", "retry_rate_limited", "retry_backoff",
     "retry_max_wait"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class HttpOptions:
    """The HTTP settings, read once from :class:`Settings` options.

    ``timeout`` bounds one attempt in all, from connecting to the answer's last byte,
    and ``connect_timeout`` the connect alone (never more than ``timeout``), in seconds;
    ``verify`` is TLS verification (or a CA bundle path); ``proxy`` one proxy URL for
    both schemes; ``backup_hosts`` the failover hosts as ``(host, port)``, the port
    ``None`` where the main one applies (default: www2…www5 of an SMSC domain, none
    for other hosts); ``max_answer_bytes`` the largest answer accepted.

    Opt-in limits: ``max_rate`` requests a second and ``max_concurrent`` requests at
    once (at most 15, SMSC's own limit) for the whole transport; ``retry`` how requests
    SMSC refused for load (error 9) are repeated (``retry_rate_limited`` repeats,
    ``retry_backoff`` seconds doubling, ``retry_max_wait`` seconds in all).
    """

    timeout: float = 30.0
    connect_timeout: float = 5.0
    verify: bool | str = True
    proxy: str | None = field(default=None, repr=False)  # its URL may hold a password
    backup_hosts: tuple[tuple[str, int | None], ...] = ()
    max_answer_bytes: int = 4 * 1024 * 1024
    user_agent: str = "smsc-transports"
    max_rate: float | None = None
    max_concurrent: int | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def origins(self, scheme: str, host: str, port: int | None) -> list[Origin]:
        """The main host, then the backup hosts; a backup host keeps its own port, and
        takes the main one when it names none."""
        return [Origin.of(scheme, h, p or port) for h, p in ((host, port), *self.backup_hosts)]

    def pacer(self) -> RequestPacer:
        """A :class:`RequestPacer` applying ``max_rate`` and ``max_concurrent``."""
        return RequestPacer(self.max_rate, self.max_concurrent)

    @classmethod
    def from_settings(cls, settings: Settings, host: str) -> HttpOptions:
        """Read the options from ``settings`` for a client talking to ``host``."""
        verify: bool | str = True
        raw_verify = settings.get_str("verify")
        if raw_verify is not None:
            lowered = raw_verify.lower()
            verify = settings.get_bool("verify", True) if lowered in _BOOL_WORDS else raw_verify
        backups = settings.get_str("backup_hosts")
        return cls(
            timeout=settings.get_float("timeout", 30.0),
            connect_timeout=settings.get_float("connect_timeout", 5.0),
            verify=verify,
            proxy=settings.get_str("proxy"),
            backup_hosts=tuple((h, None) for h in _default_backups(host))
            if backups is None
            else host_list(backups, None),
            max_answer_bytes=settings.get_int("max_answer_bytes", 4 * 1024 * 1024),
            user_agent=_header_value(settings.get_str("user_agent"), "smsc-transports"),
            max_rate=_positive(settings.get_float("max_rate", 0.0)),
            max_concurrent=_concurrent(settings.get_int("max_concurrent", 0)),
            retry=RetryPolicy(
                attempts=settings.get_int("retry_rate_limited", 0),
                backoff=settings.get_float("retry_backoff", 1.0),
                max_wait=settings.get_float("retry_max_wait", 30.0),
            ),
        )


def _header_value(value: str | None, default: str) -> str:
    """An option sent as an HTTP header: printable Latin-1, no line break."""
    if not value:
        return default
    if not value.isprintable() or any(ord(c) > 0xFF for c in value):
        raise ConfigurationError("user_agent must be printable Latin-1 text on one line")
    return value


_BOOL_WORDS = frozenset({"1", "0", "true", "false", "yes", "no", "on", "off", ""})


def _positive(value: float) -> float | None:
    return value if value > 0 else None


def _concurrent(value: int) -> int | None:
    # SMSC answers error 9 to more than 15 requests at once (smsc-protocol.md §1.6).
    return min(value, MAX_CONCURRENCY) if value > 0 else None


def _default_backups(host: str) -> tuple[str, ...]:
    domain = host.removeprefix("www.")
    if domain not in _SMSC_DOMAINS:
        return ()
    # SMSC's own libraries fail over through www2…www5 (smsc-protocol.md §1.1).
    return tuple(f"www{n}.{domain}" for n in range(2, 6))


class HttpClient:
    """POSTs SMSC commands with credentials in the body, over connections kept alive."""

    def __init__(
        self,
        *,
        scheme: str,
        host: str,
        port: int | None,
        credentials: Mapping[str, str],
        options: HttpOptions,
    ) -> None:
        self.options = options
        self.origins = options.origins(scheme, host, port)
        # Kept wrapped so that no repr, vars() dump or crash report shows them.
        self._credentials = {k: Secret(v) for k, v in credentials.items()}
        self._secrets = [v for k, v in self._credentials.items() if k in _SECRET_KEYS]
        if options.proxy:
            self._secrets.append(Secret(options.proxy))
        # The environment's proxy variables are not read: settings decide.
        self.connections = Connections(
            timeout=options.timeout,
            connect_timeout=options.connect_timeout,
            max_answer_bytes=options.max_answer_bytes,
            tls=tls_context(options.verify) if scheme == "https" else None,
            proxy=Proxy.parse(options.proxy) if options.proxy else None,
        )
        self.pacer = options.pacer()
        self._closing = threading.Event()
        self.observed = Observed()  # the transport attaches its observer here
        # Hosts that could not be connected to, and when: tried last for a while.
        self._unreachable: dict[Origin, float] = {}

    @classmethod
    def for_settings(cls, settings: Settings) -> HttpClient:
        """Build a client from settings of scheme ``http``/``https`` (or ``soap+…``)."""
        settings.require_credentials()
        host, port = settings.address
        scheme = "http" if settings.scheme.endswith("http") else "https"
        password = settings.password.reveal() if settings.password else None
        apikey = settings.apikey.reveal() if settings.apikey else None
        return cls(
            scheme=scheme,
            host=host,
            port=port,
            credentials=auth_params(settings.login, password, apikey),
            options=HttpOptions.from_settings(settings, host),
        )

    @property
    def secrets(self) -> Sequence[str]:
        """The values that must never appear in a log line or an exception text."""
        return [secret.reveal() for secret in self._secrets]

    def __repr__(self) -> str:
        return f"<HttpClient {self.origins[0]}>"

    def call(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        repeatable: bool,
        operation: str | None = None,
        files: Sequence[FilePart] = (),
    ) -> Any:
        """POST ``params`` to ``path`` and return the decoded JSON answer.

        Fails over to the backup hosts when the request cannot have arrived, and also
        when it may have arrived but ``repeatable`` says repeating it is harmless. With
        ``retry_rate_limited`` on, a ``repeatable`` request refused with error 9 is made
        again after a back-off; another one only when SMSC's answer proves a refusal
        for load. ``operation`` names the request for the observer (see :meth:`exchange_steps`).
        With ``files`` the POST is ``multipart/form-data``: the parameters (credentials
        included) as form fields, then the files.
        """
        rule = repeat_read if repeatable else _repeat_refused
        steps = self.exchange_steps(
            path, params, repeatable=repeatable, repeat=rule, operation=operation, files=files
        )
        return run(steps)[0]

    def exchange_steps(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        repeatable: bool,
        repeat: RepeatRule | None = None,
        operation: str | None = None,
        messages: int = 1,
        files: Sequence[FilePart] = (),
    ) -> Steps[tuple[Any, bool]]:
        """Like :meth:`call`, as steps; the value also says whether an earlier attempt
        may have reached SMSC.

        A send repeated after such an attempt reads SMSC's "duplicate" answer (code 9)
        as "the first attempt was accepted". An answer with error 9 is asked again,
        after a back-off and within the ``retry`` budget, while ``repeat`` allows it
        (never, without one); the last answer is returned either way. ``operation``
        (default: the script's name, ``send`` for ``/sys/send.php``) and ``messages``
        are what the observer hears, once per request made.

        The steps (:mod:`~smsc_transports.backends.steps`) pause wherever the call
        would wait: for a place under ``max_concurrent`` and the start ``max_rate``
        gives it, and, once each request is written, for its answer (they yield the
        written request: its socket and its deadline). :func:`~smsc_transports.backends.
        steps.run` makes the call at once; wrapped in an :class:`~smsc_transports.
        backends.steps.Ahead`, the call goes as far as it can at once and on when asked.
        Meanwhile a written request holds its place under the cap and counts as in
        flight for the observer, whose latency runs from the request's start to its
        answer.
        """
        credentials = {key: secret.reveal() for key, secret in self._credentials.items()}
        data = {**credentials, **params, "fmt": "3", "charset": CHARSET}
        body, content_type = multipart_body(data, files) if files else (form_body(data), _FORM)

        def post(origin: Origin) -> Steps[bytes]:
            return self._post(origin, path, body, content_type, data, files)

        def ask() -> Steps[tuple[Any, bool]]:
            if self.observed.observer is not None:
                return self._observed(path, data, post, repeatable, operation, messages, body)
            return self._plain(post, repeatable)

        return until_accepted_steps(
            ask,
            rate_limited,
            repeat,
            self.options.retry,
            self._closing,
            path,
            on_back_off=self.observed.backing_off,
        )

    def _plain(
        self, post: Callable[[Origin], Steps[bytes]], repeatable: bool
    ) -> Steps[tuple[Any, bool]]:
        hosts = self.hosts()
        answer, maybe_arrived = yield from failover_steps(hosts, post, repeatable=repeatable)
        return decode_answer(answer, self.secrets), maybe_arrived

    def _observed(
        self,
        path: str,
        data: Mapping[str, str],
        post: Callable[[Origin], Steps[bytes]],
        repeatable: bool,
        operation: str | None,
        messages: int,
        body: bytes,
    ) -> Steps[tuple[Any, bool]]:
        """:meth:`exchange_steps`, timed and reported to the observer."""
        name = operation or path.rsplit("/", 1)[-1].removesuffix(".php")
        with self.observed.timed(name, messages=messages, phones=data.get("phones", "")) as watch:
            watch.bytes_sent = len(body)
            steps = failover_steps(self.hosts(), post, repeatable=repeatable)
            received, uncertain = yield from _noting_writes(steps, watch)
            answer = decode_answer(received, self.secrets)
        watch.bytes_received = len(received)
        if isinstance(answer, dict) and isinstance(answer.get("id"), str | int):
            watch.id = str(answer["id"])
        watch.done(_refusal(answer, name))
        return answer, uncertain

    def _post(
        self,
        origin: Origin,
        path: str,
        body: bytes,
        content_type: str,
        data: Mapping[str, str],
        files: Sequence[FilePart],
    ) -> Steps[bytes]:
        url = f"{origin}{path}"
        if log.isEnabledFor(logging.DEBUG):
            shown = {k: ("***" if k in _SECRET_KEYS else v[:60]) for k, v in data.items()}
            attached = [f"{name} ({len(content)} bytes)" for _, (name, content, _) in files]
            log.debug("POST %s %s%s", url, shown, f" files {attached}" if files else "")
        headers = [
            ("User-Agent", self.options.user_agent),
            ("Content-Type", content_type),
            # An answer in another coding would be refused: ask for none.
            ("Accept-Encoding", "identity"),
        ]
        yield from self.pacer.turn_steps()
        try:
            try:
                sent = self.connections.send(origin, path, headers, body)
            except ConnectError:
                self._unreachable[origin] = time.monotonic()
                raise
            self._unreachable.pop(origin, None)
            with sent:
                while (answer := sent.read_arrived()) is None:
                    yield sent  # the answer is read as it comes, when the call goes on
        finally:
            self.pacer.leave()
        if answer.status != 200:
            raise TransportError(
                f"SMSC answered HTTP {answer.status} at {url}: "
                f"{safe_excerpt(answer.body, self.secrets)!r}"
            )
        return answer.body

    def hosts(self) -> list[Origin]:
        """The hosts in the order a request tries them: the main one, then the backups,
        except that a host that could not be connected to in the last
        :data:`UNREACHABLE_FOR` seconds goes after the others (it is still tried).

        A host that drops connection attempts costs ``connect_timeout`` each time it is
        tried; with it last, requests go straight to a backup that answers.
        """
        unreachable = self._unreachable
        if not unreachable:
            return self.origins
        now = time.monotonic()
        recent = {host for host, at in list(unreachable.items()) if now - at < UNREACHABLE_FOR}
        if not recent:
            unreachable.clear()
            return self.origins
        return [o for o in self.origins if o not in recent] + [
            o for o in self.origins if o in recent
        ]

    def close(self) -> None:
        """Close the connections kept alive.

        A request waiting to be asked again gives up and returns its last answer.
        """
        self._closing.set()
        self.connections.close()


def _noting_writes(steps: Steps[Result], watch: Stopwatch) -> Steps[Result]:
    """``steps``, marking ``watch`` written once a request is on the wire (a pause on a
    socket), so that a call dropped after that is reported and one dropped before is not."""
    try:
        while True:
            try:
                waiting = next(steps)
            except StopIteration as end:
                return end.value  # type: ignore[no-any-return]
            if waiting.fileno() >= 0:
                watch.written = True
            yield waiting
    finally:
        steps.close()


def _repeat_refused(error: RateLimited, uncertain: bool) -> bool:
    return not uncertain and refused_for_load(error)


def _refusal(answer: Any, operation: str) -> APIError | None:
    """The error an answer carries, for the observer (the caller raises it itself)."""
    try:
        check_error(answer, operation)
    except APIError as exc:
        return exc
    return None
