"""Files on MMS and e-mail messages: sent as multipart over HTTP, refused elsewhere.

Against the emulator (which stores what it received) and a canned server (which shows
the exact request): the files arrive whole under their names, the local path never
leaves, credentials stay in the body, and every protocol but HTTP refuses such a
message (``ValidationError`` for the field, from ``field_support``) before anything is
sent.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from smsc_transports import (
    Attachment,
    Capability,
    Message,
    MessageKind,
    ValidationError,
    create_async_transport,
    create_transport,
)
from smsc_transports.emulator import Emulator
from tests.faults import CannedServer, http_answer

PHONE = "79990000001"
PICTURE = bytes(range(256)) * 40  # 10 KiB, every byte value


def mms(*files: Attachment, text: str = "") -> Message:
    return Message(PHONE, text, kind=MessageKind.MMS, attachments=files)


@pytest.fixture
def all_protocols(manual_clock: object) -> Iterator[Emulator]:
    with Emulator(clock=manual_clock, smtp_port=0, smpp_port=0) as running:  # type: ignore[arg-type]
        yield running


def test_an_mms_file_reaches_smsc_whole_under_its_name(emulator: Emulator) -> None:
    with create_transport(emulator.url()) as transport:
        sent = transport.send(mms(Attachment.from_bytes("cat.png", PICTURE), text="look"))
    [stored] = emulator.state.attachments("demo", sent.id, PHONE)
    assert (stored.name, stored.content_type, stored.content) == ("cat.png", "image/png", PICTURE)


def test_a_file_read_from_a_path_sends_its_base_name_never_the_directory(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "private-folder"
    folder.mkdir()
    (folder / "report.pdf").write_bytes(b"%PDF-1.4 tiny")
    answer = json.dumps({"id": 5, "cnt": 1, "cost": "5.00", "balance": "95.00"}).encode()
    with (
        CannedServer(http_answer(answer, content_type="application/json")) as server,
        create_transport(f"http://shop:s3cret@127.0.0.1:{server.port}?backup_hosts=") as t,
    ):
        t.send(
            Message(
                "someone@example.com",
                "the report",
                kind=MessageKind.MAIL,
                sender="shop@example.com",
                attachments=[Attachment.from_path(folder / "report.pdf")],
            )
        )
    [request] = server.requests
    head, _, body = request.partition(b"\r\n\r\n")
    request_line = head.split(b"\r\n", 1)[0]
    assert request_line == b"POST /sys/send.php HTTP/1.1"  # no credentials in the URL
    assert b"multipart/form-data" in head
    assert b'name="file0"; filename="report.pdf"' in body
    assert b"%PDF-1.4 tiny" in body
    assert b"private-folder" not in request and str(tmp_path).encode() not in request
    assert b'name="psw"' in body  # the password SMSC requires, in the body only


def test_a_url_attachment_goes_as_fileurl(emulator: Emulator) -> None:
    url = "https://example.com/pics/cat.jpg"
    with create_transport(emulator.url()) as transport:
        sent = transport.send(mms(Attachment.from_url(url)))
    [stored] = emulator.state.attachments("demo", sent.id, PHONE)
    assert (stored.url, stored.content) == (url, b"")


def test_files_over_the_limit_are_refused_before_sending() -> None:
    with (
        CannedServer(http_answer(b"{}", content_type="application/json")) as server,
        create_transport(
            f"http://a:b@127.0.0.1:{server.port}?backup_hosts=&max_attachment_bytes=1000"
        ) as transport,
    ):
        with pytest.raises(ValidationError, match="max_attachment_bytes"):
            transport.send(mms(Attachment.from_bytes("big.bin", b"x" * 1001)))
        with pytest.raises(ValidationError, match="max_attachment_bytes"):
            transport.cost(mms(Attachment.from_bytes("big.bin", b"x" * 1001)))
    assert server.requests == []


def test_send_many_sends_a_message_with_files_alone_and_the_rest_together(
    emulator: Emulator,
) -> None:
    messages = [
        Message(PHONE, "plain one"),
        mms(Attachment.from_bytes("a.gif", b"GIF89a")),
        Message("79990000002", "plain two"),
    ]
    with create_transport(emulator.url()) as transport:
        outcomes = list(transport.send_many(messages))
    assert all(o.ok for o in outcomes)
    mms_id = outcomes[1].unwrap().id
    assert [f.name for f in emulator.state.attachments("demo", mms_id, PHONE)] == ["a.gif"]
    assert emulator.state.attachments("demo", outcomes[0].unwrap().id, PHONE) == ()


def test_the_async_transport_sends_files_too(emulator: Emulator) -> None:
    async def main() -> str:
        async with create_async_transport(emulator.url()) as transport:
            assert Capability.ATTACHMENTS in transport.capabilities
            return (await transport.send(mms(Attachment.from_bytes("b.png", PICTURE)))).id

    sent_id = asyncio.run(main())
    assert emulator.state.attachments("demo", sent_id, PHONE)[0].content == PICTURE


@pytest.mark.parametrize("scheme", ["soap+http", "smtp", "smpp"])
def test_other_protocols_refuse_files_before_sending_anything(
    all_protocols: Emulator, scheme: str
) -> None:
    message = mms(Attachment.from_bytes("c.png", b"png"))
    with create_transport(all_protocols.url(scheme)) as transport:
        assert Capability.ATTACHMENTS not in transport.capabilities
        with pytest.raises(ValidationError, match=r"send it over https$") as caught:
            transport.send(message)
        assert caught.value.field == "attachments"
        [outcome] = transport.send_many([message])
        assert isinstance(outcome.error, ValidationError)
    account = all_protocols.state.authenticate("demo", "demo")
    assert all_protocols.state.history(account) == []


def test_soap_refuses_to_price_a_message_with_files(all_protocols: Emulator) -> None:
    with (
        create_transport(all_protocols.url("soap+http")) as transport,
        pytest.raises(ValidationError, match="attachments"),
    ):
        transport.cost(mms(Attachment.from_bytes("c.png", b"png")))


@pytest.mark.parametrize(
    "build",
    [
        lambda: Attachment.from_bytes("../etc/passwd", b"x"),
        lambda: Attachment.from_bytes('a"; name="psw', b"x"),
        lambda: Attachment.from_bytes("new\r\nline", b"x"),
        lambda: Attachment.from_bytes("empty.txt", b""),
        lambda: Attachment.from_url("ftp://example.com/a.png"),
        lambda: Attachment.from_url("https://user:secret@example.com/a.png"),
        lambda: Attachment.from_url("https://example.com/a b.png"),
        lambda: Attachment.from_path("/nonexistent/file.png"),
        lambda: Message(PHONE, "sms", attachments=[Attachment.from_bytes("a.png", b"x")]),
        lambda: mms(Attachment.from_url("https://e.com/a"), Attachment.from_url("https://e.com/b")),
        lambda: mms(Attachment.from_bytes("a.png", b"x"), Attachment.from_bytes("a.png", b"y")),
    ],
)
def test_bad_attachments_are_refused_when_built(build: object) -> None:
    with pytest.raises(ValidationError):
        build()  # type: ignore[operator]


def test_an_attachment_repr_shows_its_size_not_its_bytes() -> None:
    shown = repr(Attachment.from_bytes("secret.txt", b"the secret plan"))
    assert "the secret plan" not in shown
    assert "15 bytes" in shown
