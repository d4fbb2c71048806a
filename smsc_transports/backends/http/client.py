"""The HTTP backend's session: POST a command to SMSC, fail over, map exceptions.

The retry rule (DESIGN.md "Reliability rules"): a request that cannot have reached SMSC
(refused, DNS, TLS handshake, connect timeout) moves on to the next backup host; a
request that may have arrived is repeated only when the caller says repeating is safe
(reads, and sends that carry the caller's own ``id``). Opt-in: every attempt waits its
turn under a :class:`~smsc_transports.backends.pacing.RequestPacer`, and a request SMSC
refused with error 9 is made again after a back-off when the caller's rule allows it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from smsc_transports.backends.pacing import (
    RepeatRule,
    RequestPacer,
    RetryPolicy,
    ask_until_accepted,
    repeat_read,
)
from smsc_transports.backends.requests_io import (
    CallDeadline,
    Observed,
    Watchdog,
    mapped_requests_errors,
    read_bounded,
    watched_session,
    with_failover,
)
from smsc_transports.config import REGION_HOSTS, Secret, Settings, host_list
from smsc_transports.errors import APIError, RateLimited, TransportError, safe_excerpt
from smsc_transports.wire.http import (
    CHARSET,
    MAX_CONCURRENCY,
    FilePart,
    auth_params,
    check_error,
    decode_answer,
    form_body,
    rate_limited,
    refused_for_load,
)

__all__ = ["OPTION_NAMES", "HttpClient", "HttpOptions", "base_url"]

log = logging.getLogger(__name__)

_SMSC_DOMAINS = frozenset(REGION_HOSTS.values())
_FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}
_SECRET_KEYS = frozenset({"psw", "apikey"})


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
    proxy: str | None = None
    backup_hosts: tuple[tuple[str, int | None], ...] = ()
    max_answer_bytes: int = 4 * 1024 * 1024
    user_agent: str = "smsc-transports"
    max_rate: float | None = None
    max_concurrent: int | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

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
            user_agent=settings.get_str("user_agent", "smsc-transports") or "smsc-transports",
            max_rate=_positive(settings.get_float("max_rate", 0.0)),
            max_concurrent=_concurrent(settings.get_int("max_concurrent", 0)),
            retry=RetryPolicy(
                attempts=settings.get_int("retry_rate_limited", 0),
                backoff=settings.get_float("retry_backoff", 1.0),
                max_wait=settings.get_float("retry_max_wait", 30.0),
            ),
        )


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


def base_url(scheme: str, host: str, port: int | None) -> str:
    """``scheme://host[:port]``: an IPv6 host in brackets, the scheme's own port left out."""
    default_port = 443 if scheme == "https" else 80
    name = f"[{host}]" if ":" in host else host
    return f"{scheme}://{name}" + (f":{port}" if port and port != default_port else "")


class HttpClient:
    """POSTs SMSC commands with credentials in the body, over one keep-alive session."""

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
        # A backup host keeps its own port, and takes the main one when it names none.
        self.bases = [
            base_url(scheme, h, p or port) for h, p in ((host, port), *options.backup_hosts)
        ]
        # Kept wrapped so that no repr, vars() dump or crash report shows them.
        self._credentials = {k: Secret(v) for k, v in credentials.items()}
        self._secrets = [v for k, v in self._credentials.items() if k in _SECRET_KEYS]
        self.session: requests.Session = watched_session()
        self.watchdog = Watchdog("smsc-http-deadline")
        self.pacer = options.pacer()
        self._closing = threading.Event()
        self.session.headers["User-Agent"] = options.user_agent
        self._form_headers = {**self.session.headers, **_FORM_HEADERS}
        self.session.verify = options.verify
        self.session.trust_env = False  # settings decide proxies, not the environment
        if options.proxy:
            self.session.proxies = {"http": options.proxy, "https": options.proxy}
            self._secrets.append(Secret(options.proxy))
        self.observed = Observed()  # the transport attaches its observer here

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
        return f"<HttpClient {self.bases[0]}>"

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
        for load. ``operation`` names the request for the observer (see :meth:`exchange`).
        With ``files`` the POST is ``multipart/form-data``: the parameters (credentials
        included) as form fields, then the files.
        """
        rule = repeat_read if repeatable else _repeat_refused
        return self.exchange(
            path, params, repeatable=repeatable, repeat=rule, operation=operation, files=files
        )[0]

    def exchange(
        self,
        path: str,
        params: Mapping[str, str],
        *,
        repeatable: bool,
        repeat: RepeatRule | None = None,
        operation: str | None = None,
        messages: int = 1,
        files: Sequence[FilePart] = (),
    ) -> tuple[Any, bool]:
        """Like :meth:`call`; also say whether an earlier attempt may have reached SMSC.

        A send repeated after such an attempt reads SMSC's "duplicate" answer (code 9)
        as "the first attempt was accepted". An answer with error 9 is asked again,
        after a back-off and within the ``retry`` budget, while ``repeat`` allows it
        (never, without one); the last answer is returned either way. ``operation``
        (default: the script's name, ``send`` for ``/sys/send.php``) and ``messages``
        are what the observer hears, once per request made.
        """
        credentials = {key: secret.reveal() for key, secret in self._credentials.items()}
        data = {**credentials, **params, "fmt": "3", "charset": CHARSET}

        def ask() -> tuple[Any, bool]:
            if self.observed.observer is not None:
                return self._observed(path, data, repeatable, operation, messages, files)
            body, maybe_arrived = with_failover(
                self.bases, lambda base: self._post(base + path, data, files), repeatable=repeatable
            )
            return decode_answer(body, self.secrets), maybe_arrived

        return ask_until_accepted(
            ask,
            rate_limited,
            repeat,
            self.options.retry,
            self._closing,
            path,
            on_back_off=self.observed.backing_off,
        )

    def _observed(
        self,
        path: str,
        data: Mapping[str, str],
        repeatable: bool,
        operation: str | None,
        messages: int,
        files: Sequence[FilePart],
    ) -> tuple[Any, bool]:
        """:meth:`exchange`, timed and reported to the observer."""
        name = operation or path.rsplit("/", 1)[-1].removesuffix(".php")
        with self.observed.timed(name, messages=messages, phones=data.get("phones", "")) as watch:
            watch.bytes_sent = len(form_body(data)) + sum(len(f[1][1]) for f in files)
            body, uncertain = with_failover(
                self.bases,
                lambda base: self._post(base + path, data, files),
                repeatable=repeatable,
            )
            answer = decode_answer(body, self.secrets)
        watch.bytes_received = len(body)
        if isinstance(answer, dict) and isinstance(answer.get("id"), str | int):
            watch.id = str(answer["id"])
        watch.done(_refusal(answer, name))
        return answer, uncertain

    def _post(self, url: str, data: Mapping[str, str], files: Sequence[FilePart] = ()) -> bytes:
        if log.isEnabledFor(logging.DEBUG):
            shown = {k: ("***" if k in _SECRET_KEYS else v[:60]) for k, v in data.items()}
            attached = [f"{name} ({len(content)} bytes)" for _, (name, content, _) in files]
            log.debug("POST %s %s%s", url, shown, f" files {attached}" if files else "")
        timeout = (min(self.options.connect_timeout, self.options.timeout), self.options.timeout)
        with (
            self.pacer.turn(),
            self.watchdog.deadline(self.options.timeout) as deadline,
            self._mapped_errors(url, deadline),
        ):
            response = self.session.send(
                self._request(url, data, files), timeout=timeout, stream=True, allow_redirects=False
            )
            try:
                body = read_bounded(response, self.options.max_answer_bytes)
            finally:
                response.close()
        if response.status_code != 200:
            raise TransportError(
                f"SMSC answered HTTP {response.status_code} at {url}: "
                f"{safe_excerpt(body, self.secrets)!r}"
            )
        return body

    def _request(
        self, url: str, data: Mapping[str, str], files: Sequence[FilePart]
    ) -> requests.PreparedRequest:
        """The POST, prepared without ``Session.request``: its merging of settings costs
        more than the rest of a bulk request, and the session's headers (its user
        agent) are all that applies; SMSC's API keeps no cookies to send back. A form
        is encoded here: requests' encoder escapes the commas of a bulk request's phones
        one Python call at a time."""
        request = requests.PreparedRequest()
        if files:
            request.prepare("POST", url, headers=self.session.headers, data=data, files=files)
        else:
            request.prepare("POST", url, headers=self._form_headers, data=form_body(data))
        return request

    def _mapped_errors(
        self, url: str, deadline: CallDeadline
    ) -> contextlib.AbstractContextManager[None]:
        return mapped_requests_errors(
            url.split("?", 1)[0], self.options.timeout, self._why, deadline
        )

    def _why(self, exc: BaseException) -> str:
        reason: BaseException = exc
        while reason.__context__ is not None and len(str(reason)) > 300:
            reason = reason.__context__
        return safe_excerpt(str(reason), self.secrets, limit=300)

    def close(self) -> None:
        """Close the session's pooled connections and stop the deadline thread.

        A request waiting to be asked again gives up and returns its last answer.
        """
        self._closing.set()
        self.session.close()
        self.watchdog.close()


def _repeat_refused(error: RateLimited, uncertain: bool) -> bool:
    return not uncertain and refused_for_load(error)


def _refusal(answer: Any, operation: str) -> APIError | None:
    """The error an answer carries, for the observer (the caller raises it itself)."""
    try:
        check_error(answer, operation)
    except APIError as exc:
        return exc
    return None
