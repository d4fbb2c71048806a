"""What the HTTP and SOAP backends share about ``requests``: error mapping and failover.

Both talk to SMSC through a ``requests.Session`` and follow one rule (DESIGN.md,
"Reliability rules"): a request that cannot have reached SMSC moves on to the next
backup host; one that may have arrived is repeated only when repeating is harmless.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import requests
import urllib3.exceptions

from smsc_transports.errors import (
    ConnectError,
    OutcomeUnknown,
    ProtocolError,
    TransportError,
    TransportTimeout,
)

__all__ = ["mapped_requests_errors", "never_connected", "read_bounded", "with_failover"]

log = logging.getLogger(__name__)

Target = TypeVar("Target")
Result = TypeVar("Result")


def never_connected(exc: requests.ConnectionError) -> bool:
    """Whether a requests ``ConnectionError`` happened before a connection existed."""
    reason: object = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(
        reason,
        urllib3.exceptions.NewConnectionError
        | urllib3.exceptions.NameResolutionError
        | urllib3.exceptions.ConnectTimeoutError,
    )


def read_bounded(response: requests.Response, limit: int, what: str = "SMSC answer") -> bytes:
    """Read ``response``'s body, refusing (``ProtocolError``) more than ``limit`` bytes.

    The body is streamed, so a hostile server cannot make us hold more than ``limit``.
    """
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ProtocolError(f"{what} is larger than {limit} bytes; refused")
        chunks.append(chunk)
    return b"".join(chunks)


@contextlib.contextmanager
def mapped_requests_errors(
    where: str, timeout: float, why: Callable[[BaseException], str]
) -> Iterator[None]:
    """Turn ``requests`` exceptions raised inside into this library's transport errors.

    ``why`` renders an exception as a safe (secret-free) excerpt.
    """
    try:
        yield
    except (requests.ConnectTimeout, requests.exceptions.SSLError) as exc:
        raise ConnectError(f"cannot connect to {where}: {why(exc)}") from None
    except requests.exceptions.ProxyError as exc:
        raise ConnectError(f"proxy refused {where}: {why(exc)}") from None
    except requests.ReadTimeout:
        raise TransportTimeout(f"no answer from {where} within {timeout} s") from None
    except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
        raise ProtocolError(f"truncated or garbled answer from {where}") from None
    except requests.ConnectionError as exc:
        if never_connected(exc):
            raise ConnectError(f"cannot connect to {where}: {why(exc)}") from None
        raise OutcomeUnknown(f"connection to {where} lost before the answer: {why(exc)}") from None
    except requests.RequestException as exc:
        raise TransportError(f"request to {where} failed: {why(exc)}") from None


def with_failover(
    targets: Sequence[Target],
    attempt: Callable[[Target], Result],
    *,
    repeatable: bool,
    name: Callable[[Target], str] = str,
) -> tuple[Result, bool]:
    """Call ``attempt`` on each target in turn until one answers.

    Returns the answer and whether an earlier attempt may have reached SMSC (a send
    repeated after such an attempt reads SMSC's "duplicate" code 9 as "accepted").
    A :class:`ConnectError` always moves on; another :class:`TransportError` moves on
    only when ``repeatable``, else it is raised at once.
    """
    last: TransportError | None = None
    uncertain = False
    for target in targets:
        try:
            return attempt(target), uncertain
        except ConnectError as exc:
            last = exc
        except TransportError as exc:
            if not repeatable:
                raise
            last, uncertain = exc, True
        log.warning("SMSC request to %s failed (%s), trying the next host", name(target), last)
    if last is None:
        raise ConnectError("no SMSC host to talk to")
    raise last
