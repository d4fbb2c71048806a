"""Charsets as SMSC's clients meet them: the body in the charset asked for, the label SMSC's.

SMSC answers in the charset the request named (windows-1251 when it named none) but its
``Content-Type`` always says ``charset=windows-1251``. A client that trusts the header —
``requests``' ``r.text``/``r.json()`` — garbles Cyrillic against SMSC; the emulator
answers the same way, so the garbling shows up in rehearsal, not in production.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
import requests

from smsc_transports import Message, create_transport
from smsc_transports.emulator import Emulator, ManualClock
from tests.emulator.fidelity.sources import L_PHP35, L_PY20, P_HOSTS, body, check

TEXT = "Привет, мир"
PHONE = "79990000001"


def _send_encoded(emulator: Emulator, charset: str | None, method: str = "POST") -> None:
    """A send whose text is percent-encoded in ``charset`` (as SMSC's libraries do)."""
    fields = {"login": "demo", "psw": "demo", "phones": PHONE, "mes": TEXT, "fmt": "1"}
    if charset is not None:
        fields["charset"] = charset
    codec = charset or "windows-1251"
    query = "&".join(f"{k}={quote(v.encode(codec), safe='')}" for k, v in fields.items())
    url = emulator.http_url + "/sys/send.php"
    if method == "GET":
        answer = requests.get(f"{url}?{query}", timeout=5)
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        answer = requests.post(url, data=query, headers=headers, timeout=5)
    check(body(answer), "1,1", L_PY20)


def _status(emulator: Emulator, charset: str | None) -> requests.Response:
    params = {"login": "demo", "psw": "demo", "id": "1", "phone": PHONE, "all": "1", "fmt": "3"}
    if charset is not None:
        params["charset"] = charset
    return requests.get(emulator.http_url + "/sys/status.php", params=params, timeout=5)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("charset", ["utf-8", "koi8-r", "windows-1251", None])
def test_answer_is_in_the_charset_asked_for_and_labelled_windows_1251(
    emulator: Emulator, charset: str | None, method: str
) -> None:
    """The PHP library sends windows-1251 by default, the Python one utf-8; both decode
    the answer with the charset they asked for."""
    _send_encoded(emulator, charset, method)
    answer = _status(emulator, charset)
    check(answer.headers["Content-Type"], "application/json; charset=windows-1251", P_HOSTS)
    document = json.loads(answer.content.decode(charset or "windows-1251"))
    check(document["message"], TEXT, P_HOSTS + "; " + L_PHP35)


def test_a_client_that_trusts_the_header_garbles_utf8(emulator: Emulator) -> None:
    """What a user's ``requests`` code sees against SMSC: ``r.json()`` decodes the UTF-8
    body as windows-1251 because the header says so."""
    _send_encoded(emulator, "utf-8")
    answer = _status(emulator, "utf-8")
    check(answer.encoding, "windows-1251", P_HOSTS)
    garbled = answer.json()["message"]
    assert garbled != TEXT
    check(garbled, TEXT.encode("utf-8").decode("cp1251"), P_HOSTS)
    check(json.loads(answer.content.decode("utf-8"))["message"], TEXT, P_HOSTS)


def test_echo_charset_names_the_real_charset() -> None:
    """The switch for the opposite: the header tells the truth, ``r.json()`` works."""
    with Emulator(clock=ManualClock(), echo_charset=True) as emulator:
        _send_encoded(emulator, "utf-8")
        answer = _status(emulator, "utf-8")
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        assert answer.json()["message"] == TEXT
        cp1251 = _status(emulator, None)
        assert cp1251.headers["Content-Type"] == "application/json; charset=windows-1251"


def test_the_librarys_own_client_decodes_what_it_asked_for(emulator: Emulator) -> None:
    """The library asks for utf-8 and decodes with it, so SMSC's label cannot garble it."""
    with create_transport(emulator.url()) as transport:
        sent = transport.send(Message([PHONE], TEXT))
        result = transport.status(sent.id, PHONE, detail=1)
    assert result.text == TEXT


def test_xml_declares_the_charset_the_body_is_in(emulator: Emulator) -> None:
    """fmt=2: the XML declaration names the real encoding, so an XML parser reading the
    bytes is right even though the header is not."""
    _send_encoded(emulator, "koi8-r")
    params = {"login": "demo", "psw": "demo", "id": "1", "phone": PHONE, "all": "1", "fmt": "2"}
    answer = requests.get(
        emulator.http_url + "/sys/status.php", params={**params, "charset": "koi8-r"}, timeout=5
    )
    check(answer.headers["Content-Type"], "text/xml; charset=windows-1251", P_HOSTS)
    assert answer.content.startswith(b'<?xml version="1.0" encoding="koi8-r"?>')
    assert f"<message>{TEXT}</message>".encode("koi8-r") in answer.content
