"""SMSC's callbacks: parsed into results, received by the WSGI and ASGI apps."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.callbacks import (
    CallbackFields,
    CallbackReceiver,
    Reply,
    callback_kind,
    make_asgi_app,
    make_wsgi_app,
    parse_callback,
    parse_incoming_callback,
    parse_status_callback,
)
from smsc_transports.emulator import Emulator, ManualClock
from smsc_transports.errors import ValidationError
from smsc_transports.factory import create_transport
from smsc_transports.message import Message
from smsc_transports.results import IncomingMessage, StatusResult
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.wire.http import MOSCOW

STATUS_FORM = {"id": "42", "phone": "79990000001", "status": "1", "err": "0", "ts": "1700000003"}
INCOMING_FORM = {
    "id": "7",
    "phone": "79991112233",
    "mes": "Да",
    "to": "79990000000",
    "sent": "1700000000",
}
NAMES = ["id", "phone", "status", "err", "ts", "time", "mes", "to", "sent", "x"]


# -- parsing ---------------------------------------------------------------------------


def test_a_status_callback_becomes_a_status_result_keeping_unknown_fields() -> None:
    result = parse_status_callback({**STATUS_FORM, "cnt": "2", "sha1": "abc"})
    assert result == StatusResult(
        id="42",
        phone="79990000001",
        status=MessageStatus.DELIVERED,
        error=DeliveryError.NO_ERROR,
        changed_at=datetime(2023, 11, 14, 22, 13, 23, tzinfo=UTC),
    )
    assert not result.error  # err=0 reads as "no error"
    assert result.raw == {**STATUS_FORM, "cnt": "2", "sha1": "abc"}


def test_only_id_and_status_are_required() -> None:
    result = parse_status_callback({"id": "abc-1", "status": "20", "err": "13"})
    assert (result.phone, result.status, result.error) == ("", 20, DeliveryError.SUBSCRIBER_BLOCKED)
    assert parse_status_callback({"id": "1", "status": "-1"}).error is None


def test_a_date_in_moscow_time_is_read_when_there_is_no_timestamp() -> None:
    result = parse_status_callback({"id": "1", "status": "0", "time": "15.11.2023 01:13:21"})
    assert result.changed_at == datetime(2023, 11, 15, 1, 13, 21, tzinfo=MOSCOW)


def test_an_unreadable_optional_field_is_left_out_not_refused() -> None:
    result = parse_status_callback({"id": "1", "status": "1", "time": "yesterday", "ts": "x"})
    assert result.changed_at is None
    assert result.raw["time"] == "yesterday"


def test_an_incoming_callback_becomes_an_incoming_message() -> None:
    message = parse_incoming_callback(INCOMING_FORM)
    assert message == IncomingMessage(
        id="7",
        phone="79991112233",
        text="Да",
        to_phone="79990000000",
        sent_at=datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
    )


def test_status_field_decides_the_kind() -> None:
    assert callback_kind(STATUS_FORM) == "status"
    assert callback_kind(INCOMING_FORM) == "incoming"
    assert isinstance(parse_callback({**INCOMING_FORM, "status": "1"}), StatusResult)
    assert isinstance(parse_callback(INCOMING_FORM), IncomingMessage)


def test_field_names_are_configurable() -> None:
    names = CallbackFields(id="sms_id", text="message", to_phone="to_phone")
    message = parse_callback({"sms_id": "9", "phone": "7999", "message": "hi"}, names)
    assert isinstance(message, IncomingMessage)
    assert (message.id, message.text) == ("9", "hi")


def test_query_style_lists_and_pairs_are_accepted_first_value_winning() -> None:
    assert parse_status_callback({"id": ["5", "6"], "status": ["1"]}).id == "5"
    assert parse_status_callback([("id", "5"), ("status", "2"), ("id", "6")]).status == 2


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"status": "1"}, "no 'id' field"),
        ({"id": "", "status": "1"}, "'id' '' is not an id"),
        ({"id": "a b", "status": "1"}, "is not an id"),
        ({"id": "1"}, "neither 'status'"),
        ({"id": "1", "status": "delivered"}, "'status' 'delivered' is not an integer"),
        ({"id": "1", "status": "9" * 50}, "is not an integer"),
        ({"id": "1", "status": "1", "err": "none"}, "'err' 'none' is not an integer"),
        ({"id": "1", "mes": "hi"}, "no 'phone' field"),
        ({"id": "1", "phone": "7\x00", "mes": "hi"}, "is not a phone"),
    ],
)
def test_bad_callbacks_are_refused_with_the_reason(form: dict[str, str], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason.replace("(", r"\(")):
        parse_callback(form)


def test_values_that_are_not_text_are_refused() -> None:
    with pytest.raises(ValidationError, match="must be text"):
        parse_callback({"id": b"1", "status": "1"})  # type: ignore[arg-type]


@given(st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=5), st.text(max_size=30)))
def test_garbage_raises_only_validation_errors(form: dict[str, str]) -> None:
    try:
        result = parse_callback(form)
    except ValidationError:
        return
    assert result.id == form["id"].strip()


@given(
    method=st.sampled_from(["GET", "POST", "PUT"]),
    query=st.binary(max_size=60) | st.sampled_from([b"id=1&status=1", b"id=%FF&status=1"]),
    content_type=st.sampled_from(
        ["", "application/x-www-form-urlencoded; charset=cp1251", "multipart/form-data",
         "multipart/form-data; boundary=x", "text/plain; charset=base64",
         "application/x-www-form-urlencoded; charset=nope", "image/png"]
    ) | st.text(max_size=40),
    body=st.binary(max_size=200) | st.sampled_from(
        [b"--x\r\nContent-Disposition: form-data; name=id\r\n\r\n1\r\n--x--\r\n"]
    ),
)  # fmt: skip
def test_any_request_gets_an_answer_or_a_callback_never_an_exception(
    method: str, query: bytes, content_type: str, body: bytes
) -> None:
    receiver = CallbackReceiver(max_body=150)
    outcome = receiver.receive(method, query, content_type, None, body)
    if isinstance(outcome, Reply):
        assert outcome.code in (200, 400, 405, 413, 415)
    else:
        assert isinstance(outcome, StatusResult | IncomingMessage)


# -- WSGI, with the emulator's real callbacks -------------------------------------------


class Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Received:
    """What the user functions were called with."""

    def __init__(self) -> None:
        self.statuses: list[StatusResult] = []
        self.incoming: list[IncomingMessage] = []

    def status(self, result: StatusResult) -> None:
        self.statuses.append(result)

    def message(self, message: IncomingMessage) -> None:
        self.incoming.append(message)


@pytest.fixture
def received() -> Received:
    return Received()


def serve(app: Any) -> Iterator[str]:
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/smsc"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def receiver_url(received: Received) -> Iterator[str]:
    app = make_wsgi_app(received.status, received.message, secret="dummy-secret")
    yield from serve(app)


def test_the_wsgi_app_receives_the_emulators_status_and_incoming_callbacks(
    received: Received, receiver_url: str, manual_clock: ManualClock
) -> None:
    with Emulator(
        clock=manual_clock, callback_url=receiver_url + "?token=dummy-secret"
    ) as emulator:
        with create_transport(emulator.url()) as transport:
            sent = transport.send(Message("79990001013", "hello"))
        manual_clock.advance(3)
        emulator.state.add_incoming("demo", "79991112233", "Привет", to_phone="79990000000")
        assert emulator.flush_callbacks() == 3
    first, final = received.statuses
    assert (first.id, first.phone, first.status) == (sent.id, "79990001013", 0)
    assert (final.id, final.status, final.error) == (sent.id, MessageStatus.UNABLE_TO_DELIVER, 13)
    assert final.changed_at == datetime.fromtimestamp(manual_clock(), UTC)
    assert "token" not in final.raw  # the secret never reaches the user's data
    (message,) = received.incoming
    assert (message.phone, message.text) == ("79991112233", "Привет")
    assert message.to_phone == "79990000000"


def test_without_the_token_callbacks_are_forbidden(received: Received, receiver_url: str) -> None:
    answer = requests.post(receiver_url, data=STATUS_FORM, timeout=10)
    assert (answer.status_code, answer.text) == (403, "forbidden\n")
    answer = requests.post(receiver_url + "?token=wrong", data=STATUS_FORM, timeout=10)
    assert answer.status_code == 403
    headers = {"X-Callback-Token": "dummy-secret"}
    assert requests.post(receiver_url, data=STATUS_FORM, headers=headers, timeout=10).ok
    assert [r.id for r in received.statuses] == ["42"]


@pytest.fixture
def open_url(received: Received) -> Iterator[str]:
    yield from serve(make_wsgi_app(received.status, max_body=1024))


def test_get_query_and_multipart_posts_are_read(received: Received, open_url: str) -> None:
    assert requests.get(open_url, params=STATUS_FORM, timeout=10).text == "OK\n"
    files = {name: (None, value) for name, value in STATUS_FORM.items()}
    assert requests.post(open_url, files=files, timeout=10).text == "OK\n"
    assert [r.status for r in received.statuses] == [1, 1]


def test_incoming_messages_without_a_handler_are_acknowledged(
    received: Received, open_url: str
) -> None:
    assert requests.post(open_url, data=INCOMING_FORM, timeout=10).status_code == 200
    assert received.statuses == []


@pytest.mark.parametrize(
    ("method", "kwargs", "code", "text"),
    [
        ("POST", {"data": {"id": "1", "status": "x"}}, 400, "bad callback: the callback's"),
        ("POST", {"data": "a" * 2000}, 413, "larger than 1024 bytes"),
        ("POST", {"json": STATUS_FORM}, 415, "unsupported content type 'application/json'"),
        ("PUT", {"data": STATUS_FORM}, 405, "only GET and POST"),
        ("POST", {"data": b"id=1&status=%FF"}, 400, "not valid utf-8"),
        ("GET", {}, 200, "OK"),
    ],
)  # fmt: skip
def test_wsgi_answers(
    open_url: str, method: str, kwargs: dict[str, Any], code: int, text: str
) -> None:
    answer = requests.request(method, open_url, timeout=10, **kwargs)
    assert answer.status_code == code
    assert text in answer.text


def test_a_failing_handler_gives_500_without_details_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(result: StatusResult) -> None:
        raise RuntimeError("database password is hunter2")

    with caplog.at_level(logging.ERROR):
        for url in serve(make_wsgi_app(broken)):
            answer = requests.post(url, data=STATUS_FORM, timeout=10)
    assert (answer.status_code, answer.text) == (500, "internal error\n")
    assert "the callback handler failed for message 42" in caplog.text
    assert "RuntimeError" in caplog.text  # the traceback goes to the log only


def test_coroutine_handlers_belong_to_the_asgi_app() -> None:
    async def handler(result: StatusResult) -> None:
        pass

    with pytest.raises(TypeError, match="make_asgi_app"):
        make_wsgi_app(handler)


# -- ASGI, driven by hand --------------------------------------------------------------


async def _complete(call: Awaitable[None]) -> None:
    await call


def call_asgi(
    app: Any, method: str, body_chunks: list[bytes], *, query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, bytes]:  # fmt: skip
    """Run one request through ``app``; return the status and body it answered."""
    sent: list[MutableMapping[str, Any]] = []
    incoming = [
        {"type": "http.request", "body": chunk, "more_body": i < len(body_chunks) - 1}
        for i, chunk in enumerate(body_chunks or [b""])
    ]

    async def receive() -> MutableMapping[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "method": method, "path": "/smsc", "query_string": query,
        "headers": headers or [(b"content-type", b"application/x-www-form-urlencoded")],
    }  # fmt: skip
    asyncio.run(_complete(app(scope, receive, send)))
    start, body = sent
    assert start["type"] == "http.response.start"
    return start["status"], body["body"]


def test_the_asgi_app_awaits_coroutine_handlers_and_reads_chunked_bodies() -> None:
    seen: list[StatusResult] = []

    async def on_status(result: StatusResult) -> None:
        seen.append(result)

    app = make_asgi_app(on_status)
    code, body = call_asgi(app, "POST", [b"id=42&sta", b"tus=1&err=0"])
    assert (code, body) == (200, b"OK\n")
    assert [(r.id, r.status) for r in seen] == [("42", 1)]


def test_the_asgi_app_runs_plain_handlers_off_the_event_loop() -> None:
    threads: list[str] = []
    app = make_asgi_app(lambda r: None, lambda m: threads.append(threading.current_thread().name))
    code, _ = call_asgi(app, "GET", [], query=b"id=7&phone=79991112233&mes=hi")
    assert code == 200
    assert threads and threads[0] != threading.main_thread().name


def test_the_asgi_app_refuses_bad_and_oversized_callbacks_and_hides_failures(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(result: StatusResult) -> None:
        raise ValueError("boom")

    app = make_asgi_app(broken, max_body=100, secret="k")
    assert call_asgi(app, "POST", [b"id=1&status=1"])[0] == 403
    assert call_asgi(app, "POST", [b"id=1&status=1"], query=b"token=k")[0] == 500
    assert "boom" in caplog.text
    code, body = call_asgi(app, "POST", [b"status=1"], query=b"token=k")
    assert (code, body) == (400, b"bad callback: the callback has no 'id' field (the message id)\n")
    assert call_asgi(app, "POST", [b"x" * 60, b"y" * 60], query=b"token=k")[0] == 413
    declared = [(b"content-length", b"5000")]
    assert call_asgi(app, "POST", [b""], headers=declared)[0] == 413


def test_the_asgi_app_completes_lifespan() -> None:
    app = make_asgi_app(lambda r: None)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []

    async def receive() -> MutableMapping[str, Any]:
        return messages.pop(0)

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message["type"])

    asyncio.run(_complete(app({"type": "lifespan"}, receive, send)))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
