"""The emulator's SMTP front end, spoken to with the standard library's ``smtplib``.

What SMSC's own libraries send (a bare ``Content-Type`` header and the short body)
must work, and every refusal must say what is wrong.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from smsc_transports.emulator import Account, EmulatorState
from smsc_transports.emulator.smtp import SmtpFrontEnd
from tests.backends.smtp.conftest import LOGIN, PASSWORD


def mail(body: str, charset: str = "utf-8") -> bytes:
    """A message as SMSC's Python library builds it: one header, then the body."""
    return f"Content-Type: text/plain; charset={charset}\n\n{body}".encode(charset)


def sendmail(front: SmtpFrontEnd, data: bytes, to: str = "send@send.smsc.ru") -> None:
    with smtplib.SMTP("127.0.0.1", front.port, timeout=10) as client:
        client.sendmail("api@smsc.ru", [to], data)


@pytest.fixture
def front() -> Iterator[SmtpFrontEnd]:
    """A plain front end on a fresh state: ``demo``/PASSWORD, API key ``KEY-9``."""
    state = EmulatorState([Account(LOGIN, PASSWORD, apikey="KEY-9", balance=Decimal(100))])
    running = SmtpFrontEnd(state)
    running.start()
    yield running
    running.stop()


def status_text(front: SmtpFrontEnd, id: str, phone: str) -> str:
    account = front.state.authenticate(LOGIN, PASSWORD)
    return front.state.status(account, id, phone).text


def test_what_smscs_own_library_sends_is_accepted(front: SmtpFrontEnd) -> None:
    sendmail(front, mail(f"{LOGIN}:{PASSWORD}:77:0:0,0,Shop:79990000001:Код: 1"))
    assert front.accepted == 1
    assert status_text(front, "77", "79990000001") == "Код: 1"


def test_the_list_form_gives_each_phone_its_own_text(front: SmtpFrontEnd) -> None:
    body = f"{LOGIN}:{PASSWORD}:5:,:0,0,,0::79990000001:first: one\n79990000002:second\n"
    sendmail(front, mail(body, "koi8-r"))
    assert status_text(front, "5", "79990000001") == "first: one"
    assert status_text(front, "5", "79990000002") == "second"


def test_an_api_key_after_an_empty_login_is_accepted(front: SmtpFrontEnd) -> None:
    sendmail(front, mail(":KEY-9:8:,:0,0,,0:79990000001:hi"))
    assert status_text(front, "8", "79990000001") == "hi"


def test_a_long_single_line_is_accepted_as_smsc_does(front: SmtpFrontEnd) -> None:
    text = "Ж" * 900  # 1800 octets on one line, past RFC 5321's 1000
    sendmail(front, mail(f"{LOGIN}:{PASSWORD}:9:,:0,0,,0:79990000001:{text}"))
    assert status_text(front, "9", "79990000001") == text


@pytest.mark.parametrize(
    ("body", "explanation"),
    [
        (f"{LOGIN}:{PASSWORD}:1", "fields"),
        (f"{LOGIN}:{PASSWORD}:1:,:0,0:79990000001:hi", "options"),
        (f"{LOGIN}:{PASSWORD}:1:,:0,99,,0:79990000001:hi", "format"),
    ],
)
def test_an_unreadable_body_is_refused_with_error_1_saying_why(
    front: SmtpFrontEnd, body: str, explanation: str
) -> None:
    with pytest.raises(smtplib.SMTPDataError) as caught:
        sendmail(front, mail(body))
    assert caught.value.smtp_code == 550
    error = caught.value.smtp_error
    reply = error.decode() if isinstance(error, bytes) else error
    assert reply.startswith("5.6.0 SMSC error 1: ")
    assert explanation in reply
    assert PASSWORD not in reply


def test_wrong_credentials_are_refused_with_error_2(front: SmtpFrontEnd) -> None:
    with pytest.raises(smtplib.SMTPDataError) as caught:
        sendmail(front, mail(f"{LOGIN}:nope:1:,:0,0,,0:79990000001:hi"))
    assert caught.value.smtp_code == 550
    assert caught.value.smtp_error == b"5.7.1 SMSC error 2: authorise error"
    assert front.accepted == 0


def test_only_the_send_mailbox_takes_mail(front: SmtpFrontEnd) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as caught:
        sendmail(front, mail("x"), to="info@send.smsc.ru")
    code, _ = caught.value.recipients["info@send.smsc.ru"]
    assert code == 550


def test_ehlo_offers_pipelining_and_starttls_only_with_a_certificate(
    front: SmtpFrontEnd, server_tls: ssl.SSLContext
) -> None:
    with smtplib.SMTP("127.0.0.1", front.port, timeout=10) as client:
        client.ehlo()
        assert client.has_extn("pipelining")
        assert not client.has_extn("starttls")
    with (
        SmtpFrontEnd(front.state, tls_context=server_tls) as secure,
        smtplib.SMTP("127.0.0.1", secure.port, timeout=10) as client,
    ):
        client.ehlo()
        assert client.has_extn("starttls")


def test_auth_can_be_required(front: SmtpFrontEnd) -> None:
    with SmtpFrontEnd(front.state, auth_users={"u": "p"}, auth_required=True) as guarded:
        with smtplib.SMTP("127.0.0.1", guarded.port, timeout=10) as client:
            with pytest.raises(smtplib.SMTPSenderRefused) as caught:
                client.sendmail("api@smsc.ru", ["send@send.smsc.ru"], mail("x"))
            assert caught.value.smtp_code == 530
            client.login("u", "p")
            client.sendmail(
                "api@smsc.ru",
                ["send@send.smsc.ru"],
                mail(f"{LOGIN}:{PASSWORD}:3:,:0,0,,0:79990000001:hi"),
            )
        assert guarded.accepted == 1


def test_the_front_end_names_itself_and_releases_its_port(front: SmtpFrontEnd) -> None:
    assert front.name == "smtp"
    port = front.port
    front.stop()
    with pytest.raises(RuntimeError):
        _ = front.port
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


@pytest.mark.parametrize("implicit_tls", [False, True], ids=["starttls", "implicit-tls"])
def test_stop_closes_a_tls_session_whose_client_never_answers_the_close(
    server_tls: ssl.SSLContext, tls_files: tuple[Path, Path], implicit_tls: bool
) -> None:
    # A TLS close waits for the client's close_notify; a client that never reads keeps
    # it waiting. Stopping the front end must still close that connection (before, the
    # loop stopped mid-close, the server's socket stayed open until the garbage
    # collector found it, and the client never saw the end of the stream).
    front = SmtpFrontEnd(EmulatorState(), tls_context=server_tls, implicit_tls=implicit_tls)
    front.start()
    client_tls = ssl.create_default_context(cafile=str(tls_files[0]))
    try:
        if implicit_tls:
            raw = socket.create_connection(("127.0.0.1", front.port), timeout=5)
            conn = client_tls.wrap_socket(raw, server_hostname="127.0.0.1")
            conn.recv(1024)  # the greeting
        else:
            smtp = smtplib.SMTP("127.0.0.1", front.port, timeout=5)
            smtp.starttls(context=client_tls)
            smtp.ehlo()
            assert isinstance(smtp.sock, ssl.SSLSocket)
            conn = smtp.sock
    except BaseException:
        front.stop()
        raise
    front.stop()
    plain = socket.socket(fileno=socket.dup(conn.fileno()))
    try:
        plain.settimeout(3)
        # What arrives is the server's close_notify (TLS bytes) then the end of the
        # stream: read until the stream ends, which must be soon.
        received = 0
        while chunk := plain.recv(4096):
            received += len(chunk)
            assert received < 65536
    finally:
        plain.close()
        conn.close()
