"""The e-mail body and its MIME envelope (``wire/mail/``): fixed examples for every rule."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email import policy

import pytest

from smsc_transports import Message, MessageKind, ValidationError
from smsc_transports.wire.mail.body import (
    MAX_MAIL_BYTES,
    MailBody,
    body_from_message,
    build_body,
    mail_time,
    new_message_id,
    parse_body,
)
from smsc_transports.wire.mail.mime import check_helo_name, compose_mail, parse_mail
from smsc_transports.wire.mail.replies import parse_smsc_reply, smsc_reply


def body(**fields: object) -> MailBody:
    """A valid long-form body with ``fields`` changed."""
    values: dict[str, object] = {
        "login": "shop",
        "password": "secret",
        "id": "42",
        "phones": ("79991234567",),
        "text": "hello",
    }
    values.update(fields)
    return MailBody(**values)  # type: ignore[arg-type]


# The three forms -----------------------------------------------------------------------


def test_long_form_is_the_documented_layout() -> None:
    text = build_body(
        body(time="0101121000", tz="-2", translit=1, format=1, sender="Shop", test=True)
    )
    assert text == "shop:secret:42:0101121000,-2:1,1,Shop,1:79991234567:hello\n"


def test_short_form_is_what_smscs_libraries_send() -> None:
    text = build_body(body(form="short", time="0101121000", sender="Shop"))
    assert text == "shop:secret:42:0101121000:0,0,Shop:79991234567:hello\n"


def test_list_form_puts_one_phone_and_text_per_line_after_two_colons() -> None:
    text = build_body(body(phones=(), pairs=(("79991111111", "Код: 1"), ("79992222222", "b"))))
    assert text == "shop:secret:42:,:0,0,,0::79991111111:Код: 1\n79992222222:b\n"


def test_empty_login_carries_an_api_key_in_the_password_field() -> None:
    assert build_body(body(login="", password="KEY")).startswith(":KEY:42:")


def test_phones_are_joined_with_commas() -> None:
    assert ":79991111111,79992222222:hi\n" in build_body(
        body(phones=("79991111111", "79992222222"), text="hi")
    )


@pytest.mark.parametrize(
    "wire",
    [
        "shop:secret:42:,:0,0,,0:79991234567:a: b: c\n",
        "shop:secret:42:,:0,0,,0:79991234567:a: b: c\r\n",
        "\r\n\r\nshop:secret:42:,:0,0,,0:79991234567:a: b: c",
        "[text]shop:secret:42:,:0,0,,0:79991234567:a: b: c[/text]\nsent from my phone",
        "<p>[TEXT]\nshop:secret:42:,:0,0,,0:79991234567:a: b: c\n[/Text]</p>",
    ],
)
def test_parser_tolerates_line_endings_blank_lines_and_text_markers(wire: str) -> None:
    parsed = parse_body(wire)
    assert parsed.text == "a: b: c"
    assert parsed.phones == ("79991234567",)
    assert parsed.form == "long"


def test_parser_reads_the_meteor_example_and_the_short_form() -> None:
    meteor = parse_body("login:password:::1,,,:79991234567:message")
    assert (meteor.translit, meteor.format, meteor.sender, meteor.test) == (1, 0, "", False)
    short = parse_body("login:password:7:0101121000:0,1,Shop:79991234567;79992222222 :hi")
    assert short.form == "short"
    assert short.phones == ("79991234567", "79992222222")
    assert (short.time, short.format, short.sender) == ("0101121000", 1, "Shop")


@pytest.mark.parametrize(
    ("wire", "field"),
    [
        ("shop:secret:42", "body"),
        ("shop:secret:42:,:0,0:79991234567:hi", "options"),
        ("shop:secret:42:,x:0,0,,0:79991234567:hi", "tz"),
        ("shop:secret:4 2:,:0,0,,0:79991234567:hi", "id"),
        ("shop:secret:42:,:a,0,,0:79991234567:hi", "translit"),
        ("shop:secret:42:,:0,0,,7:79991234567:hi", "test"),
        ("shop:secret:42:,:0,0,,0::no colon here", "phones"),
    ],
)
def test_parser_names_what_is_wrong(wire: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_body(wire)
    assert caught.value.field == field


# Injection: a value that would move a separator is refused, naming its field ------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"login": "sh:op"}, "login"),
        ({"login": "shop\n"}, "login"),
        ({"login": "my shop"}, "login"),
        ({"password": "se:cret"}, "password"),
        ({"password": "se\r\ncret"}, "password"),
        ({"id": "4:2"}, "id"),
        ({"id": "x" * 41}, "id"),
        ({"time": "01.01.12 10:00"}, "time"),
        ({"time": "0101121000,3"}, "time"),
        ({"tz": "3:00"}, "tz"),
        ({"tz": "3,5"}, "tz"),
        ({"sender": "Sh:op"}, "sender"),
        ({"sender": "Shop,1"}, "sender"),
        ({"sender": "Shop\r\nBcc: x"}, "sender"),
        ({"phones": ("79991234567:evil",)}, "phones"),
        ({"phones": ("79991234567,79990000000",)}, "phones"),
        ({"phones": ("79991234567;79990000000",)}, "phones"),
        ({"phones": ("7999 1234567",)}, "phones"),
        ({"phones": ("79991234567\n79990000000:x",)}, "phones"),
        ({"phones": ("",)}, "phones"),
        ({"phones": ("[text]",)}, "phones"),
        ({"text": "ok [/TEXT] not ok"}, "text"),
        ({"text": "nul\x00"}, "text"),
        ({"phones": (), "pairs": (("79991234567", "two\nlines"),)}, "text"),
        ({"phones": (), "pairs": (("7999:1", "x"),)}, "phones"),
        ({"translit": 3}, "translit"),
        ({"form": "short", "tz": "3"}, "tz"),
        ({"form": "short", "test": True}, "test"),
    ],
)
def test_every_field_but_the_text_refuses_separators(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build_body(body(**fields))
    assert caught.value.field == field


def test_a_refused_password_is_never_quoted() -> None:
    with pytest.raises(ValidationError) as caught:
        build_body(body(password="top:secret"))
    assert "top" not in str(caught.value)


def test_text_may_hold_colons_and_new_lines() -> None:
    parsed = parse_body(build_body(body(text="a:b\n:c:\n\n")))
    assert parsed.text == "a:b\n:c:\n\n"


def test_text_line_endings_become_line_feeds() -> None:
    assert parse_body(build_body(body(text="a\r\nb\rc"))).text == "a\nb\nc"


# From a Message ------------------------------------------------------------------------


def test_a_message_becomes_body_fields() -> None:
    message = Message(
        "+7 999 123-45-67", "hi", sender="Shop", kind=MessageKind.FLASH, translit=2, id=7
    )
    fields = body_from_message(message, login="shop", password="pw", id="7", tz="1")
    assert fields.phones == ("+79991234567",)
    assert (fields.format, fields.translit, fields.sender, fields.tz) == (1, 2, "Shop", "1")


def test_an_empty_sender_is_sent_as_a_dot_meaning_none() -> None:
    fields = body_from_message(
        Message("79991234567", "hi", sender=""), login="a", password="b", id="1"
    )
    assert fields.sender == "."


@pytest.mark.parametrize(
    ("send_at", "expected"),
    [
        ("01.02.26 10:30", "0102261030"),
        ("0102261030", "0102261030"),
        ("+15", "+15"),
        (datetime(2026, 1, 1, tzinfo=UTC), "01767225600"),
    ],
)
def test_times_never_carry_a_colon(send_at: datetime | str, expected: str) -> None:
    assert mail_time(send_at) == expected


@pytest.mark.parametrize(
    ("change", "field"), [({"valid": __import__("datetime").timedelta(hours=1)}, "valid"),
                          ({"extra": {"later": 1}}, "extra"),
                          ({"max_parts": 1}, "max_parts"),
                          ({"short_links": True}, "short_links"),
                          ({"partner_id": "p7"}, "partner_id"),
                          ({"user_ip": "192.0.2.1"}, "user_ip")],
)  # fmt: skip
def test_options_the_body_cannot_carry_are_refused_not_dropped(
    change: dict[str, object], field: str
) -> None:
    message = Message("79991234567", "hi").replace(**change)
    with pytest.raises(ValidationError) as caught:
        body_from_message(message, login="a", password="b", id="1")
    assert caught.value.field == field


def test_a_messages_own_tz_wins_over_the_transports() -> None:
    message = Message("79991234567", "hi", send_at="01.01.30 10:00", tz=-2)
    body = body_from_message(message, login="a", password="b", id="1", tz="3")
    assert (body.time, body.tz) == ("0101301000", "-2")
    assert build_body(body).startswith("a:b:1:0101301000,-2:0,0,,0:")
    default = body_from_message(
        Message("79991234567", "hi"), login="a", password="b", id="1", tz="3"
    )
    assert default.tz == "3"
    with pytest.raises(ValidationError) as short:
        build_body(body_from_message(message, login="a", password="b", id="1", form="short"))
    assert short.value.field == "tz"


def test_binary_data_travels_as_format_5_hex() -> None:
    message = Message("79991234567", kind=MessageKind.BIN, data=b"\x00\x00\xff")
    body = body_from_message(message, login="a", password="b", id="1")
    assert (body.format, body.text) == (5, "0000ff")
    assert parse_body(build_body(body)).text == "0000ff"


def test_generated_ids_fit_smscs_rule_and_differ() -> None:
    ids = {new_message_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,40}", i) for i in ids)


# The MIME message ----------------------------------------------------------------------


def test_mime_headers_are_complete_and_single_line() -> None:
    data = compose_mail(body(), mail_from="robot@example.com", mail_to="send@send.smsc.kz").data
    head, _, payload = data.partition(b"\r\n\r\n")
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert parsed["From"] == "robot@example.com"
    assert parsed["To"] == "send@send.smsc.kz"
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["Content-Transfer-Encoding"] == "8bit"
    assert parsed.get_content_type() == "text/plain"
    assert parsed.get_content_charset() == "utf-8"
    assert parsed["Date"].datetime is not None
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", parsed["Message-ID"])
    assert all(line.endswith(b"\r") is False for line in head.split(b"\r\n"))
    assert payload == b"shop:secret:42:,:0,0,,0:79991234567:hello\r\n"


@pytest.mark.parametrize("charset", ["utf-8", "koi8-r", "windows-1251"])
@pytest.mark.parametrize("encoding", ["8bit", "base64", "quoted-printable"])
def test_every_charset_and_transfer_encoding_reads_back(charset: str, encoding: str) -> None:
    fields = body(text="Ваш код: 1234\n.точка", sender="Shop")
    data = compose_mail(
        fields, mail_from="a@b.ru", charset=charset, transfer_encoding=encoding
    ).data
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert parsed.get_content_charset() == charset
    assert parsed["Content-Transfer-Encoding"] == encoding
    assert "Ваш код: 1234\n.точка" in parsed.get_content().replace("\r\n", "\n")
    assert parse_mail(data) == fields


def test_the_charset_really_encodes_the_bytes() -> None:
    data = compose_mail(body(text="Код"), mail_from="a@b.ru", charset="koi8-r").data
    assert "Код".encode("koi8-r") in data
    assert "Код".encode() not in data


def test_a_character_the_charset_cannot_hold_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        compose_mail(body(text="ok 😀"), mail_from="a@b.ru", charset="windows-1251")
    assert caught.value.field == "text"
    assert "'😀'" in str(caught.value)
    assert "U+1F600" in str(caught.value)
    assert "position 3" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("mail_from", "a@b.ru\r\nBcc: victim@x.ru"), ("mail_to", "send@x.ru\nX: y"),
     ("mail_from", "not an address"), ("mail_from", "Name <a@b.ru>")],
)  # fmt: skip
def test_header_values_with_line_breaks_or_not_plain_addresses_are_refused(
    name: str, value: str
) -> None:
    addresses = {"mail_from": "a@b.ru", "mail_to": "send@send.smsc.ru", name: value}
    with pytest.raises(ValidationError) as caught:
        compose_mail(body(), mail_from=addresses["mail_from"], mail_to=addresses["mail_to"])
    assert caught.value.field == name


def test_size_is_checked_against_100_kb() -> None:
    # 12 octets per phone with its comma: 8600 phones pass 100 KB, 8000 stay under it.
    too_many = tuple(f"7999{n:07d}" for n in range(8600))
    with pytest.raises(ValidationError) as caught:
        compose_mail(body(phones=too_many), mail_from="a@b.ru")
    assert caught.value.field == "body"
    assert str(MAX_MAIL_BYTES) in str(caught.value)
    fits = tuple(f"7999{n:07d}" for n in range(8000))
    assert len(compose_mail(body(phones=fits), mail_from="a@b.ru").data) <= MAX_MAIL_BYTES


def test_official_library_style_mail_without_headers_beyond_content_type() -> None:
    raw = "Content-Type: text/plain; charset=koi8-r\n\nshop:pw:1:0:0,0,:79991234567:Код\n"
    assert parse_mail(raw.encode("koi8-r")).text == "Код"


def test_a_mail_without_charset_is_read_as_koi8_r_like_smsc_does() -> None:
    raw = b"From: a@b.ru\r\n\r\n" + "shop:pw:1:,:0,0,,0:79991234567:Код\r\n".encode("koi8-r")
    assert parse_mail(raw).text == "Код"


def test_a_multipart_mail_is_read_from_its_plain_text_part() -> None:
    message = email.message.EmailMessage()
    message.set_content("shop:pw:1:,:0,0,,0:79991234567:plain")
    message.add_alternative("<b>[text]shop:pw:1:,:0,0,,0:79991234567:html[/text]</b>", "html")
    assert parse_mail(message.as_bytes()).text == "plain"


# The reply format the emulator uses ---------------------------------------------------


def test_smsc_error_replies_round_trip() -> None:
    line = smsc_reply(7, "invalid\nnumber", id="a1")
    assert line == "550 5.7.1 SMSC error 7: invalid number (id a1)"
    assert parse_smsc_reply(line) == (7, "invalid number", "a1")
    assert smsc_reply(1, "bad body").startswith("550 5.6.0 SMSC error 1: ")
    assert parse_smsc_reply("550 mailbox unavailable") is None


@pytest.mark.parametrize("name", ["mail.example.ru", "[127.0.0.1]", "host-1"])
def test_a_helo_name_is_a_host_name_or_an_address_literal(name: str) -> None:
    assert check_helo_name(name) == name


@pytest.mark.parametrize("name", ["", "two words", "host\r\nRCPT TO:<x@y>", "хост", "x" * 256])
def test_a_helo_name_that_could_inject_a_command_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match="helo_name"):
        check_helo_name(name)
