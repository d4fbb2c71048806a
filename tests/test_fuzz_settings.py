"""Fuzzing settings URLs: a Settings value or a ConfigurationError, and no password shown.

Settings and the long run: ``tests/fuzzing.py`` and ``docs/reliability.md``.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.config import Settings
from smsc_transports.errors import ConfigurationError
from tests.fuzzing import FUZZ, typed_only

MARK = "QZ"  # every generated password holds it; nothing else generated here does
SCHEMES = st.sampled_from(["https", "http", "smtp", "smtps", "smpp", "smpps", "soap",
                           "soap+http", "emulator", "ftp", "HTTPS", ""])  # fmt: skip
PASSWORD_CHARS = st.sampled_from(list("abc019/?#@:%&=+ []\\\x00\n\u044f"))
passwords = st.builds(
    lambda head, tail: head + MARK + tail,
    st.text(PASSWORD_CHARS, max_size=6),
    st.text(PASSWORD_CHARS, max_size=6),
)
hosts = st.sampled_from(["smsc.ru", "127.0.0.1", "[::1]", "[::1", "h:99999", "h:0", "", "ex ample"])
queries = st.sampled_from(["", "?timeout=3", "?apikey=K", "?a=b&c", "?mail_from=a@b.ru", "#frag"])


@FUZZ
@given(st.text(max_size=80))
def test_any_text_is_settings_or_a_configuration_error(url: str) -> None:
    outcome = typed_only(lambda: Settings.from_url(url))
    assert isinstance(outcome, Settings | ConfigurationError)
    repr(outcome)


@FUZZ
@given(SCHEMES, st.sampled_from(["shop", "", "sh op"]), passwords, hosts, queries, st.booleans())
def test_a_password_is_never_quoted_by_an_error_or_a_repr(
    scheme: str, login: str, password: str, host: str, query: str, encoded: bool
) -> None:
    shown = quote(password, safe="") if encoded else password
    url = f"{scheme}://{login}:{shown}@{host}{query}"
    outcome = typed_only(lambda: Settings.from_url(url))
    assert isinstance(outcome, Settings | ConfigurationError)
    if isinstance(outcome, ConfigurationError):
        assert MARK not in str(outcome)
        assert outcome.__cause__ is None
        return
    if outcome.password is not None and outcome.password.reveal() == password:
        assert MARK not in repr(outcome)
        assert MARK not in outcome.to_url()
