"""Settings URLs whose password (or login) holds '/', '?', '#' unencoded (issue 11, item 8).

Such a URL splits in the wrong place: part of the password became the "port" and the
error quoted it back ("invalid literal … 'dummypw'"), which the CLI prints; with digits
before the '/', the URL was read silently as another host. Either way the error must
say how to encode the password and quote nothing of it.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from smsc_transports.config import Settings, load_settings
from smsc_transports.errors import ConfigurationError

PIECES = ("dummypw", "fakepart")


@pytest.mark.parametrize("separator", ["/", "?", "#"])
@pytest.mark.parametrize("head", ["dummypw", "1234dummypw", "1234"])
def test_an_unencoded_password_is_refused_without_quoting_it(separator: str, head: str) -> None:
    password = f"{head}{separator}fakepart"
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_url(f"https://shop:{password}@smsc.ru")
    text = str(caught.value)
    for piece in (*PIECES, password, head):
        assert piece not in text
    assert "percent-encode" in text
    assert "%2F" in text
    assert "%3F" in text
    assert "%23" in text
    # No chained exception either: a traceback would show urllib's text with the piece.
    assert caught.value.__cause__ is None
    assert caught.value.__context__ is None or caught.value.__suppress_context__


@pytest.mark.parametrize("login", ["sh/op", "sh?op", "sh#op"])
def test_an_unencoded_login_is_refused_too(login: str) -> None:
    with pytest.raises(ConfigurationError, match="percent-encode") as caught:
        Settings.from_url(f"smpp://{login}:dummypw@smpp.smsc.ru:3700")
    assert "dummypw" not in str(caught.value)


@pytest.mark.parametrize(
    "password", ["dummypw/fakepart", "1234?fakepart", "dummy#pw", "a@b/c?d#e%f"]
)
def test_the_encoded_password_reads_back(password: str) -> None:
    settings = Settings.from_url(f"https://shop:{quote(password, safe='')}@smsc.ru")
    assert settings.password is not None
    assert settings.password.reveal() == password
    assert settings.host == "smsc.ru"
    assert settings.login == "shop"


@pytest.mark.parametrize(
    "url",
    [
        "smtp://shop:pw@send.smsc.ru?mail_from=shop@example.com",
        "smtp://send.smsc.ru?apikey=K&mail_from=shop@example.com",
        "soap+http://u:p@127.0.0.1:8080/sys/soap.php",
        "https://u:p@smsc.ru/",
        "https://u:p@ss@smsc.ru",  # '@' needs no encoding: the last one ends the login part
    ],
)
def test_ordinary_urls_still_read(url: str) -> None:
    settings = load_settings(url)
    assert settings.host is not None


def test_a_malformed_port_still_says_what_is_wrong() -> None:
    with pytest.raises(ConfigurationError, match="port"):
        Settings.from_url("https://u:p@smsc.ru:abc")
