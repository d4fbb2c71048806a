"""Properties of the e-mail body codec: texts survive, and no field value can move another.

``deadline=None`` everywhere: a slow machine must not turn into a failing property.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsc_transports.errors import ValidationError
from smsc_transports.wire.mail.body import MailBody, build_body, parse_body
from smsc_transports.wire.mail.mime import compose_mail, parse_mail

# The characters that mean something in the body, mixed into arbitrary Unicode.
SEPARATORS = ":,;|\n\r \t[]/.-+0123456789"
tricky_text = st.text(
    alphabet=st.one_of(st.characters(), st.sampled_from(SEPARATORS)), max_size=60
) | st.sampled_from(["[text]", "x[/TEXT]y", ":", "\r\n", "", " 7999:x"])
MARKER = re.compile(r"\[/?text\]", re.IGNORECASE)
PROPERTY = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])


def normalized(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def base(**fields: object) -> MailBody:
    values: dict[str, object] = {
        "login": "shop",
        "password": "pw",
        "id": "7",
        "phones": ("79991234567",),
        "text": "hi",
    }
    values.update(fields)
    return MailBody(**values)  # type: ignore[arg-type]


@PROPERTY
@given(text=tricky_text)
def test_any_text_round_trips_or_is_refused_as_text(text: str) -> None:
    fields = base(text=text)
    try:
        wire = build_body(fields)
    except ValidationError as exc:
        assert exc.field == "text"
        assert "\x00" in text or MARKER.search(normalized(text))
        return
    parsed = parse_body(wire)
    assert parsed.text == normalized(text)
    assert parsed == base(text=normalized(text))


@PROPERTY
@given(
    text=st.text(max_size=200).filter(lambda t: "\x00" not in t and not MARKER.search(t)),
    encoding=st.sampled_from(["8bit", "base64", "quoted-printable"]),
)
def test_any_text_survives_the_whole_mime_message(text: str, encoding: str) -> None:
    fields = base(text=text)
    data = compose_mail(fields, mail_from="a@b.ru", transfer_encoding=encoding).data
    assert parse_mail(data).text == normalized(text)


@PROPERTY
@given(
    login=tricky_text,
    password=tricky_text,
    id=tricky_text,
    time=tricky_text,
    tz=tricky_text,
    sender=tricky_text,
    phones=st.lists(tricky_text, min_size=1, max_size=4).map(tuple),
    form=st.sampled_from(["long", "short"]),
)
def test_no_field_value_parses_back_to_different_fields(
    login: str,
    password: str,
    id: str,
    time: str,
    tz: str,
    sender: str,
    phones: tuple[str, ...],
    form: str,
) -> None:
    fields = MailBody(
        login=login,
        password=password,
        id=id,
        time=time,
        tz="" if form == "short" else tz,
        sender=sender,
        phones=phones,
        text="the: text\nwith lines",
        form=form,  # type: ignore[arg-type]
    )
    try:
        wire = build_body(fields)
    except ValidationError:
        return  # refused before sending: nothing can be misread
    assert parse_body(wire) == fields


@PROPERTY
@given(pairs=st.lists(st.tuples(tricky_text, tricky_text), min_size=1, max_size=4))
def test_list_lines_keep_each_phone_with_its_own_text(pairs: list[tuple[str, str]]) -> None:
    fields = base(phones=(), pairs=tuple(pairs))
    try:
        wire = build_body(fields)
    except ValidationError as exc:
        assert exc.field in ("phones", "text")
        return
    assert parse_body(wire).pairs == tuple(pairs)


@PROPERTY
@given(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(SEPARATORS))))
def test_the_parser_meets_garbage_with_validation_errors_only(garbage: str) -> None:
    try:
        parsed = parse_body(garbage)
    except ValidationError:
        return
    assert parsed.phones or parsed.pairs


@PROPERTY
@given(st.binary(max_size=400) | st.text().map(lambda t: ("Content-Type: " + t).encode()))
def test_the_mail_reader_meets_garbage_with_validation_errors_only(garbage: bytes) -> None:
    try:
        parsed = parse_mail(garbage)
    except ValidationError:
        return
    assert parsed.phones or parsed.pairs
