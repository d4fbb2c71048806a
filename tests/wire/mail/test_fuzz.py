"""Fuzzing the e-mail parsers: any mail, body or reply is read or refused with a typed error.

Settings and the long run: ``tests/fuzzing.py`` and ``docs/reliability.md``.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.errors import SMSCError
from smsc_transports.wire.mail.body import parse_body
from smsc_transports.wire.mail.mime import parse_mail
from smsc_transports.wire.mail.replies import parse_accepted_parts, parse_smsc_reply
from tests.fuzzing import FUZZ, typed_only

CHARSETS = st.sampled_from(["utf-8", "koi8-r", "windows-1251", '"utf\x00 8"', "undefined",
                            "punycode", "idna", "base64", "zlib", "utf-7", "utf-16", "rot13",
                            "unicode_escape", "x" * 300, ""]) | st.text(max_size=12)  # fmt: skip
ENCODINGS = st.sampled_from(["8bit", "7bit", "base64", "quoted-printable", "x-uuencode", ""])
OPTIONS = st.one_of(
    st.from_regex(r"[0-9]{0,5},[0-9]{0,5},[A-Za-z ]{0,5},[0-9]{0,3}", fullmatch=True),
    st.sampled_from(["9" * 4400 + ",0,,0", "0," + "9" * 4400 + ",,0", "0,0,,", ",,,,", ""]),
    st.text(max_size=12),
)
bodies = st.builds(
    lambda login, password, id, when, options, phones, text: (
        f"{login}:{password}:{id}:{when}:{options}:{phones}:{text}"
    ),
    st.text(max_size=8),
    st.text(max_size=8),
    st.text(max_size=8) | st.from_regex(r"[A-Za-z0-9._-]{1,40}", fullmatch=True),
    st.text(max_size=10) | st.sampled_from(["0,3", "1,99", "0," + "9" * 5000, ",x"]),
    OPTIONS,
    st.text(max_size=20) | st.sampled_from(["79990000001", "7999,7998;", ""]),
    st.text(max_size=40),
) | st.text(max_size=200)
mails = st.builds(
    lambda charset, encoding, extra, body: (
        (
            f"Content-Type: text/plain; charset={charset}\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n{extra}\r\n"
        ).encode("utf-8", "surrogatepass")
        + body.encode("utf-8", "surrogatepass")
    ),
    CHARSETS,
    ENCODINGS,
    st.sampled_from(["", "MIME-Version: 1.0\r\n", "Content-Type: multipart/mixed\r\n"]),
    bodies,
)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_are_a_body_or_a_typed_error(data: bytes) -> None:
    typed_only(lambda: parse_mail(data))


@FUZZ
@given(mails)
def test_any_mail_is_a_body_or_a_typed_error(data: bytes) -> None:
    outcome = typed_only(lambda: parse_mail(data))
    if isinstance(outcome, SMSCError):
        assert len(str(outcome)) < 1000


@FUZZ
@given(bodies)
def test_any_body_text_is_a_body_or_a_typed_error(text: str) -> None:
    outcome = typed_only(lambda: parse_body(text))
    if not isinstance(outcome, SMSCError):
        assert "***" in repr(outcome) or not outcome.password  # the repr masks it


@FUZZ
@given(st.text(max_size=120) | st.sampled_from(["550 5.7.1 SMSC error 9999: x (id 1)",
                                                "250 Ok: id 1, 999999 parts"]))  # fmt: skip
def test_any_reply_reads_or_reads_as_nothing(text: str) -> None:
    parse_smsc_reply(text)
    parse_accepted_parts(text)


def test_an_escape_codec_is_refused_without_a_warning() -> None:
    # Found by the long fuzz run: unicode_escape warned (DeprecationWarning) on "\8".
    import warnings

    from smsc_transports.errors import ValidationError

    for charset in ("unicode_escape", "raw_unicode_escape", "undefined", "punycode", "idna"):
        data = f"Content-Type: text/plain; charset={charset}\r\n\r\n".encode() + b"a:b::::7999:\\8"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                parse_mail(data)
            except ValidationError as exc:
                assert exc.field == "charset"
            else:
                raise AssertionError(f"{charset} was read")
