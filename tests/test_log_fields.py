"""Structured fields on the library's log records, as a JSON log handler sees them."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator

import pytest

from smsc_transports import ConnectError, InvalidPhone, Message, create_transport
from smsc_transports.emulator import Emulator
from smsc_transports.observe import LoggingObserver, log_fields, mask_phone

FIELDS = ("smsc_protocol", "smsc_operation", "smsc_id", "smsc_phone", "smsc_error",
          "smsc_error_code")  # fmt: skip


class JsonLines(logging.Handler):
    """Formats each record as one JSON object with every ``smsc_*`` attribute, as JSON
    log handlers do with ``extra=`` fields."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        fields = {k: v for k, v in vars(record).items() if k.startswith("smsc_")}
        self.lines.append(json.dumps({"level": record.levelname, "msg": record.getMessage(),
                                      **fields}))  # fmt: skip

    def objects(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.lines]


@pytest.fixture
def handler() -> Iterator[JsonLines]:
    logger = logging.getLogger("smsc_transports")
    installed = JsonLines()
    logger.addHandler(installed)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield installed
    finally:
        logger.removeHandler(installed)
        logger.setLevel(level)


def test_a_failed_smpp_connect_logs_protocol_operation_and_error_class(handler: JsonLines) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens once the socket is closed
    url = f"smpp://demo:secret-pw@127.0.0.1:{port}?reconnect_attempts=1&timeout=5"
    with create_transport(url) as transport, pytest.raises(ConnectError):
        transport.send(Message("79990000001", "hi"))
    connects = [o for o in handler.objects() if o.get("smsc_operation") == "connect"]
    assert connects, handler.lines
    assert connects[0]["smsc_protocol"] == "smpp" and connects[0]["smsc_error"] == "ConnectError"
    assert all("secret-pw" not in line for line in handler.lines)


def test_the_logging_observer_writes_one_record_per_request(
    emulator: Emulator, handler: JsonLines
) -> None:
    observer = LoggingObserver()
    with create_transport(emulator.url(), observer=observer) as transport:
        sent = transport.send(Message("79990000001", "one"))
        with pytest.raises(InvalidPhone):
            transport.send(Message("79990004007", "refused"))
    records = [o for o in handler.objects() if "smsc_duration" in o]
    assert [(r["level"], r["smsc_operation"], r["smsc_error"]) for r in records] == [
        ("DEBUG", "send", None),
        ("WARNING", "send", "InvalidPhone"),
    ]
    ok, refused = records
    assert (ok["smsc_id"], ok["smsc_phone"], ok["smsc_protocol"]) == (
        sent.id,
        "*******0001",
        "https",
    )
    assert (refused["smsc_error_code"], refused["smsc_phone"]) == (7, "*******4007")
    assert all("79990000001" not in json.dumps(record) for record in records)


def test_log_fields_mask_the_phone_and_name_the_error() -> None:
    fields = log_fields("https", "send", id="42", phone="+79991234567", error=InvalidPhone("x"))
    assert set(fields) == set(FIELDS)
    assert fields["smsc_phone"] == "********4567"
    assert (fields["smsc_error"], fields["smsc_error_code"]) == ("InvalidPhone", 7)
    assert mask_phone(None) is None and mask_phone("123") == "123"
