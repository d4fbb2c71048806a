"""Message: every rule SMSC's send.php imposes is checked before anything is sent.

The limits come from smsc-protocol.md §1.4 (``phones``, ``mes``, ``id``, ``sender``,
``translit``, ``time``, ``valid``) and the format numbers of the official libraries.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import Message, MessageKind, ValidationError
from smsc_transports.message import MAX_TEXT_LENGTH, normalize_phone

PHONE = "79991234567"
MSK = timezone(timedelta(hours=3))


def build(**changes: Any) -> Message:
    """Return a valid SMS with ``changes`` applied."""
    values: dict[str, Any] = {"phones": PHONE, "text": "Код: 1234"}
    values.update(changes)
    return Message(**values)


def rejected(**changes: Any) -> ValidationError:
    """Build a message that must fail and return the error."""
    with pytest.raises(ValidationError) as excinfo:
        build(**changes)
    return excinfo.value


# --- phones ------------------------------------------------------------------------


@pytest.mark.parametrize("phones", [[], (), "", " ", ",", " ; , ", "\n"])
def test_a_message_without_phones_is_rejected(phones: Any) -> None:
    error = rejected(phones=phones)
    assert error.field == "phones"


def test_an_empty_entry_in_a_phone_list_is_rejected() -> None:
    error = rejected(phones=[PHONE, "  "])
    assert error.field == "phones"
    assert "empty" in str(error)


@pytest.mark.parametrize(
    "phone",
    [
        "1234",  # 4 digits: too short
        "+1234",
        "1234567890123456",  # 16 digits: too long
        "+7999123456789012",
        "7999abc4567",
        "79991234567#",
        "7+9991234567",
        "++79991234567",
        "7999_123_45_67",
        "phone",
    ],
)
def test_a_malformed_phone_is_rejected_and_named(phone: str) -> None:
    error = rejected(phones=phone)
    assert error.field == "phones"
    assert phone in str(error)


def test_a_malformed_phone_in_a_list_is_named() -> None:
    error = rejected(phones=[PHONE, "12-34"])
    assert error.field == "phones"
    assert "12-34" in str(error)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("79991234567", ("79991234567",)),
        ("+79991234567", ("+79991234567",)),
        ("7 999 123 45 67", ("79991234567",)),
        ("7-999-123-45-67", ("79991234567",)),
        ("+7 (999) 123-45-67", ("+79991234567",)),
        ("8.999.123.45.67", ("89991234567",)),
        ("  79991234567  ", ("79991234567",)),
        ("79991234567,79997654321", ("79991234567", "79997654321")),
        ("79991234567, +7 999 765-43-21", ("79991234567", "+79997654321")),
        ("79991234567;79997654321", ("79991234567", "79997654321")),
        ("79991234567; 79997654321;", ("79991234567", "79997654321")),
        ("79991234567,", ("79991234567",)),
        (["+7 (999) 123-45-67", "7-999-765-43-21"], ("+79991234567", "79997654321")),
        (("79991234567",), ("79991234567",)),
        ("12345", ("12345",)),
        ("123456789012345", ("123456789012345",)),
    ],
)
def test_phones_are_normalised(raw: Any, expected: tuple[str, ...]) -> None:
    assert build(phones=raw).phones == expected


def test_phones_from_a_generator_are_accepted() -> None:
    assert build(phones=(p for p in [PHONE, "+79997654321"])).phones == (PHONE, "+79997654321")


@pytest.mark.parametrize("group", ["G123", "G1", "G1234567890"])
def test_a_contact_group_is_a_recipient(group: str) -> None:
    assert build(phones=group).phones == (group,)
    assert build(phones=[PHONE, group]).phones == (PHONE, group)


def test_a_phone_that_is_not_a_string_is_rejected() -> None:
    with pytest.raises(ValidationError, match="int"):
        build(phones=[79991234567])


@pytest.mark.parametrize(
    "phone",
    [
        "٧٩٩٩١٢٣٤٥٦٧",  # Arabic-Indic digits
        "７９９９１２３４５６７",  # full-width digits
        "+۷۹۹۹۱۲۳۴۵۶۷",  # Extended Arabic-Indic digits
        "G١٢٣",  # a contact group with Arabic-Indic digits
    ],
    ids=["arabic-indic", "full-width", "extended-arabic-indic", "group"],
)
def test_a_phone_written_with_non_ascii_digits_is_rejected(phone: str) -> None:
    # SMSC wants the ASCII digits of an international number; ``\d`` in a str
    # pattern also matches every Unicode decimal digit.
    error = rejected(phones=phone)
    assert error.field == "phones"


@pytest.mark.parametrize(
    ("addresses", "expected"),
    [
        ("user@example.com", ("user@example.com",)),
        ("first.last+tag@mail.example.ru", ("first.last+tag@mail.example.ru",)),
        (["a@example.com", "b@example.org"], ("a@example.com", "b@example.org")),
        ("a@example.com, b@example.org", ("a@example.com", "b@example.org")),
    ],
)
def test_mail_messages_take_e_mail_addresses(addresses: Any, expected: tuple[str, ...]) -> None:
    message = build(phones=addresses, kind=MessageKind.MAIL, sender="shop@example.com")
    assert message.phones == expected


@pytest.mark.parametrize(
    "address",
    ["not-an-address", "user@", "@example.com", "user@example", "us er@example.com", PHONE],
)
def test_mail_messages_reject_what_is_not_an_address(address: str) -> None:
    error = rejected(phones=address, kind=MessageKind.MAIL)
    assert error.field == "phones"
    assert address in str(error)


@pytest.mark.parametrize("recipient", ["@nick_name", "nick_name", "@Abcd", "#123456789", PHONE])
def test_telegram_messages_take_nicks_ids_and_phones(recipient: str) -> None:
    assert build(phones=recipient, kind=MessageKind.TELEGRAM).phones == (recipient,)


@pytest.mark.parametrize("recipient", ["@ab", "#", "#abc", "@nick-name", "@1nick"])
def test_telegram_messages_reject_bad_nicks(recipient: str) -> None:
    error = rejected(phones=recipient, kind=MessageKind.TELEGRAM)
    assert error.field == "phones"
    assert recipient in str(error)


@st.composite
def noisy_phones(draw: st.DrawFn) -> tuple[str, str]:
    """A 5-15 digit number with spaces, dashes, dots and brackets sprinkled anywhere."""
    plus = draw(st.sampled_from(["", "+"]))
    digits = draw(st.text(alphabet="0123456789", min_size=5, max_size=15))
    noise = draw(
        st.lists(
            st.text(alphabet=" -().", max_size=3),
            min_size=len(digits) + 1,
            max_size=len(digits) + 1,
        )
    )
    noisy = noise[0] + "".join(d + n for d, n in zip(digits, noise[1:], strict=True))
    return plus + noisy, plus + digits


@given(noisy_phones())
def test_any_noisy_number_of_5_to_15_digits_normalises_to_its_digits(
    case: tuple[str, str],
) -> None:
    noisy, digits = case
    assert normalize_phone(noisy) == digits
    assert Message(phones=noisy, text="x").phones == (digits,)
    assert normalize_phone(digits) == digits  # idempotent


@given(
    st.one_of(
        st.text(alphabet="0123456789", min_size=1, max_size=4),
        st.text(alphabet="0123456789", min_size=16, max_size=40),
    )
)
def test_any_number_shorter_than_5_or_longer_than_15_digits_is_rejected(digits: str) -> None:
    with pytest.raises(ValidationError):
        normalize_phone(digits)


# --- text ----------------------------------------------------------------------------


def test_text_of_1000_characters_is_accepted() -> None:
    assert MAX_TEXT_LENGTH == 1000
    assert len(build(text="a" * 1000).text) == 1000
    assert len(build(text="ж" * 1000).text) == 1000


@pytest.mark.parametrize("length", [1001, 5000])
def test_text_over_1000_characters_is_rejected_with_its_length(length: int) -> None:
    error = rejected(text="a" * length)
    assert error.field == "text"
    assert str(length) in str(error)


@pytest.mark.parametrize(
    "kind",
    [MessageKind.SMS, MessageKind.FLASH, MessageKind.VIBER, MessageKind.CALL, MessageKind.PUSH],
)
@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_rejected_for_a_message_that_carries_text(
    kind: MessageKind, text: str
) -> None:
    error = rejected(text=text, kind=kind)
    assert error.field == "text"


@pytest.mark.parametrize("kind", [MessageKind.HLR, MessageKind.PING])
def test_empty_text_is_allowed_for_hlr_and_ping(kind: MessageKind) -> None:
    message = build(text="", kind=kind)
    assert message.text == ""
    assert message.kind is kind


@pytest.mark.parametrize(
    "kind", [kind for kind in MessageKind if kind not in (MessageKind.BIN, MessageKind.BIN_HEX)]
)
@pytest.mark.parametrize("text", ["", " \n\t"])
def test_an_empty_text_is_refused_exactly_for_the_kinds_that_need_one(
    kind: MessageKind, text: str
) -> None:
    # Message checks the kind's text rule without the needs_text property: the same rule.
    phones = "user@example.com" if kind is MessageKind.MAIL else PHONE
    if kind.needs_text:
        with pytest.raises(ValidationError, match=f"a {kind.name} message needs one"):
            Message(phones, text, kind=kind)
    else:
        assert Message(phones, text, kind=kind).text == text


def test_text_with_a_nul_character_is_rejected() -> None:
    error = rejected(text="abc\x00def")
    assert error.field == "text"
    assert "NUL" in str(error)


def test_text_that_is_not_a_string_is_rejected() -> None:
    with pytest.raises(ValidationError, match="bytes"):
        build(text=b"bytes")


def test_unknown_kind_is_rejected() -> None:
    error = rejected(kind=99)
    assert error.field == "kind"
    assert "99" in str(error)


def test_kind_given_as_its_number_becomes_the_enum() -> None:
    assert build(kind=1).kind is MessageKind.FLASH


# --- sender --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sender",
    [
        "ABCDEFGHIJK",  # 11 characters
        "Shop",
        "My Shop",
        "Shop-24.ru",
        "123456789012345",  # 15 digits
        "79991234567",
        "",  # "no default sender"
        ".",  # "no default sender"
    ],
)
def test_good_senders_are_accepted(sender: str) -> None:
    assert build(sender=sender).sender == sender


@pytest.mark.parametrize(
    ("sender", "needle"),
    [
        ("ABCDEFGHIJKL", "ABCDEFGHIJKL"),  # 12 characters
        ("Shop With Long Name", "Shop With Long Name"),
        ("1234567890123456", "16"),  # 16 digits: the length is what is wrong
        ("Магазин", "Магазин"),
        ("Shöp", "Shöp"),
        ("商店", "商店"),
        ("Shop\nX", "line break"),
        ("Shop\r", "line break"),
    ],
)
def test_bad_senders_are_rejected(sender: str, needle: str) -> None:
    error = rejected(sender=sender)
    assert error.field == "sender"
    assert needle in str(error)


@pytest.mark.parametrize(
    "sender", ["١٢٣٤٥", "１２３４５", "²³"], ids=["arabic-indic", "full-width", "superscript"]
)
def test_a_numeric_sender_of_non_ascii_digits_is_rejected(sender: str) -> None:
    # str.isdigit() is True for these; SMSC takes Latin letters and ASCII digits only.
    error = rejected(sender=sender)
    assert error.field == "sender"


def test_a_mail_sender_must_be_an_address() -> None:
    message = build(phones="to@example.com", kind=MessageKind.MAIL, sender="from@example.com")
    assert message.sender == "from@example.com"
    for bad in ("Shop", "", "from@", "from@example.com\n"):
        with pytest.raises(ValidationError) as excinfo:
            build(phones="to@example.com", kind=MessageKind.MAIL, sender=bad)
        assert excinfo.value.field == "sender"


@pytest.mark.parametrize("bot", ["@my_shop_bot", "my_shop_bot", "@Abcd"])
def test_a_bot_sender_is_a_bot_name(bot: str) -> None:
    assert build(phones="@customer", kind=MessageKind.BOT, sender=bot).sender == bot


@pytest.mark.parametrize("bot", ["@ab", "bot!", "@1bot", "my shop bot", "."])
def test_a_bad_bot_sender_is_rejected(bot: str) -> None:
    error = rejected(phones="@customer", kind=MessageKind.BOT, sender=bot)
    assert error.field == "sender"
    assert bot in str(error)


# --- id ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message_id", [1, 2147483647, 42, "a", "order-42.v1_b", "A" * 40, "0", "-._"]
)
def test_good_ids_are_accepted(message_id: int | str) -> None:
    assert build(id=message_id).id == message_id


@pytest.mark.parametrize(
    ("message_id", "needle"),
    [
        (0, "0"),
        (2147483648, "2147483648"),
        (-1, "-1"),
        (-2147483647, "-2147483647"),
        ("A" * 41, "A" * 41),
        ("has space", "has space"),
        ("заказ1", "заказ1"),
        ("", "''"),
        ("a/b", "a/b"),
        ("a:b", "a:b"),
    ],
)
def test_bad_ids_are_rejected_and_named(message_id: int | str, needle: str) -> None:
    error = rejected(id=message_id)
    assert error.field == "id"
    assert needle in str(error)


@pytest.mark.parametrize("message_id", [True, False, 1.0, b"1"])
def test_an_id_that_is_not_an_int_or_a_string_is_rejected(message_id: object) -> None:
    error = rejected(id=message_id)
    assert type(message_id).__name__ in str(error)


# --- translit ------------------------------------------------------------------------


@pytest.mark.parametrize("translit", [0, 1, 2])
def test_translit_0_1_2_are_accepted(translit: int) -> None:
    assert build(translit=translit).translit == translit


@pytest.mark.parametrize("translit", [3, -1, "1"])
def test_other_translit_values_are_rejected(translit: object) -> None:
    error = rejected(translit=translit)
    assert error.field == "translit"
    assert repr(translit) in str(error)


@pytest.mark.parametrize("translit", [True, False, 1.0])
def test_translit_must_be_an_int_not_a_bool_or_float(translit: object) -> None:
    # True == 1 and 1.0 == 1, so ``translit in (0, 1, 2)`` lets them through and the
    # wire would send ``translit=True``.
    error = rejected(translit=translit)
    assert error.field == "translit"


# --- send_at -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        datetime(2025, 1, 1, 12, 0, tzinfo=UTC),
        datetime(2025, 1, 1, 12, 0, tzinfo=MSK),
        "0101251200",
        "01.01.25 12:00",
        "9-18",
        "01700000000",
        "+30",
        "+1",
    ],
)
def test_send_at_takes_aware_datetimes_and_smsc_time_strings(when: datetime | str) -> None:
    assert build(send_at=when).send_at == when


def test_send_at_rejects_a_naive_datetime() -> None:
    error = rejected(send_at=datetime(2025, 1, 1, 12, 0))
    assert error.field == "send_at"
    assert "aware" in str(error)


@pytest.mark.parametrize(
    "when",
    ["tomorrow", "", "2025-01-01 12:00", "01.01.2025 12:00", "12345", "+", "+30m", "9-18-20"],
)
def test_send_at_rejects_other_strings_and_names_them(when: str) -> None:
    error = rejected(send_at=when)
    assert error.field == "send_at"
    assert repr(when) in str(error)


@pytest.mark.parametrize(
    "when", ["٠١٠١٢٥١٢٠٠", "+３０", "٩-١٨"], ids=["arabic-indic", "full-width", "hours"]
)
def test_send_at_rejects_time_strings_with_non_ascii_digits(when: str) -> None:
    error = rejected(send_at=when)
    assert error.field == "send_at"


def test_send_at_rejects_a_timestamp_number() -> None:
    error = rejected(send_at=1700000000)
    assert error.field == "send_at"
    assert "1700000000" in str(error)


# --- valid ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "valid", [timedelta(minutes=1), timedelta(hours=1), timedelta(hours=24), timedelta(hours=2)]
)
def test_validity_between_1_minute_and_24_hours_is_accepted(valid: timedelta) -> None:
    assert build(valid=valid).valid == valid


@pytest.mark.parametrize(
    ("valid", "needle"),
    [
        (timedelta(seconds=59), "0:00:59"),
        (timedelta(0), "0:00:00"),
        (timedelta(minutes=-5), "day"),
        (timedelta(hours=24, minutes=1), "1 day, 0:01:00"),
        (timedelta(days=2), "2 days"),
        (timedelta(seconds=90), "whole number of minutes"),
        (timedelta(minutes=5, microseconds=1), "whole number of minutes"),
    ],
)
def test_validity_outside_the_range_or_not_whole_minutes_is_rejected(
    valid: timedelta, needle: str
) -> None:
    error = rejected(valid=valid)
    assert error.field == "valid"
    assert needle in str(error)


def test_validity_must_be_a_timedelta() -> None:
    error = rejected(valid=60)
    assert error.field == "valid"


# --- extra ---------------------------------------------------------------------------


def test_extra_parameters_are_kept_read_only() -> None:
    message = build(extra={"later": 1, "note": "Hello", "level": 3})
    assert dict(message.extra) == {"later": 1, "note": "Hello", "level": 3}
    with pytest.raises(TypeError):
        message.extra["later"] = 0  # type: ignore[index]


@pytest.mark.parametrize("extra", [None, {}, MappingProxyType({})])
@pytest.mark.parametrize("attachments", [None, (), [], iter(())])
def test_no_extra_and_no_attachments_in_any_empty_spelling_build_the_plain_message(
    extra: Any, attachments: Any
) -> None:
    # Message skips the extra/attachment checks for falsy values: what they would return.
    message = build(extra=extra, attachments=attachments)
    assert message == build()
    assert message.extra is build().extra and message.extra == {}
    assert message.attachments == ()


def test_extra_is_copied_so_later_changes_do_not_leak_in() -> None:
    extra: dict[str, str | int] = {"later": 1}
    message = build(extra=extra)
    extra["mes"] = "changed"
    assert dict(message.extra) == {"later": 1}


@pytest.mark.parametrize(
    "name", ["login", "psw", "apikey", "phones", "mes", "fmt", "charset", "cost", "list", "id"]
)
def test_extra_cannot_override_what_the_transport_sets(name: str) -> None:
    error = rejected(extra={name: "x"})
    assert repr(name) in str(error)


@pytest.mark.parametrize("name", ["Tinyurl", "1abc", "with-dash", "", "a b", "a&b=c", "ид"])
def test_extra_parameter_names_must_be_plain(name: str) -> None:
    error = rejected(extra={name: "x"})
    assert repr(name) in str(error)


@pytest.mark.parametrize("value", [True, False, 1.5, None, b"x", ["a"]])
def test_extra_values_must_be_str_or_int(value: object) -> None:
    error = rejected(extra={"later": value})
    assert "'later'" in str(error)


# --- value semantics -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("text", "other"), ("phones", ("79990000000",)), ("sender", "X"), ("id", 5)],
)
def test_a_message_is_frozen(name: str, value: object) -> None:
    message = build()
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(message, name, value)
    assert message == build()


def test_equal_messages_compare_and_hash_equal() -> None:
    first = build(phones=[PHONE, "+79997654321"], sender="Shop", id=7, extra={"later": 1})
    second = build(phones=f"{PHONE}, +7 999 765-43-21", sender="Shop", id=7, extra={"later": 1})
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"text": "other"},
        {"phones": "79990000000"},
        {"sender": "Shop"},
        {"id": 1},
        {"kind": MessageKind.FLASH},
        {"translit": 1},
        {"send_at": "+30"},
        {"valid": timedelta(hours=1)},
        {"extra": {"later": 1}},
    ],
)
def test_messages_that_differ_in_any_field_are_not_equal(changes: dict[str, Any]) -> None:
    assert build() != build(**changes)


def test_replace_returns_a_changed_copy() -> None:
    original = build(sender="Shop", id=7, extra={"later": 1})
    changed = original.replace(text="new text", valid=timedelta(hours=1))
    assert changed.text == "new text"
    assert changed.valid == timedelta(hours=1)
    assert (changed.phones, changed.sender, changed.id) == (original.phones, "Shop", 7)
    assert dict(changed.extra) == {"later": 1}
    assert original.text == "Код: 1234"
    assert original.replace() == original


@pytest.mark.parametrize(
    "changes",
    [
        {"text": ""},
        {"text": "a" * 1001},
        {"sender": "ABCDEFGHIJKL"},
        {"id": 0},
        {"translit": 3},
        {"send_at": "garbage"},
        {"valid": timedelta(seconds=30)},
        {"extra": {"psw": "x"}},
        {"kind": MessageKind.MAIL},  # the phone numbers are not addresses
        {"phones": []},
    ],
)
def test_replace_validates_again(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        build().replace(**changes)
