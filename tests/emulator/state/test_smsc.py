"""The emulator state, called directly: what a front end can rely on."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from smsc_transports.emulator import (
    Account,
    EmulatorState,
    Limits,
    ManualClock,
    SendRequest,
    Tariff,
)
from smsc_transports.emulator.state.number_rules import behaviour_for
from smsc_transports.emulator.state.pricing import prepare
from smsc_transports.errors import (
    AuthenticationError,
    DateFormatError,
    DeleteError,
    InsufficientFunds,
    InvalidPhone,
    MessageForbidden,
    ParameterError,
    RateLimited,
    ValidationError,
)
from smsc_transports.message import MessageKind, normalize_phone
from smsc_transports.statuses import MessageStatus

PHONE = "79990000001"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def state(clock: ManualClock) -> EmulatorState:
    return EmulatorState(clock=clock)


def send(state: EmulatorState, **fields: object) -> str:
    account = state.authenticate("demo", "demo")
    fields.setdefault("phones", (PHONE,))
    fields.setdefault("text", "hello")
    outcome = state.send(account, SendRequest(**fields))  # type: ignore[arg-type]
    assert outcome.id is not None
    return outcome.id


def status(state: EmulatorState, id: str, phone: str = PHONE) -> MessageStatus:
    return state.status(state.authenticate("demo", "demo"), id, phone).status


class TestAuthentication:
    def test_plain_password_opens_the_account(self, state: EmulatorState) -> None:
        assert state.authenticate("demo", "demo").login == "demo"

    def test_lower_case_md5_of_the_password_is_accepted(self, state: EmulatorState) -> None:
        digest = hashlib.md5(b"demo").hexdigest()
        assert state.authenticate("demo", digest).login == "demo"

    def test_upper_case_md5_is_not_accepted(self, state: EmulatorState) -> None:
        with pytest.raises(AuthenticationError):
            state.authenticate("demo", hashlib.md5(b"demo").hexdigest().upper())

    def test_wrong_password_is_error_2(self, state: EmulatorState) -> None:
        with pytest.raises(AuthenticationError) as caught:
            state.authenticate("demo", "nope")
        assert caught.value.code == 2
        assert caught.value.message == "authorise error"

    def test_api_key_and_empty_login_with_the_key_as_password(self) -> None:
        state = EmulatorState([Account("shop", "pw", apikey="KEY-1")])
        assert state.authenticate(None, None, "KEY-1").login == "shop"
        assert state.authenticate("", "KEY-1").login == "shop"
        with pytest.raises(AuthenticationError):
            state.authenticate(None, None, "KEY-2")

    def test_ip_allow_list_refuses_other_addresses(self) -> None:
        state = EmulatorState([Account("shop", "pw", allowed_ips=("10.0.0.1",))])
        assert state.authenticate("shop", "pw", ip="10.0.0.1").login == "shop"
        with pytest.raises(AuthenticationError):
            state.authenticate("shop", "pw", ip="127.0.0.1")


class TestStatusProgression:
    def test_waiting_then_transferred_then_delivered(
        self, state: EmulatorState, clock: ManualClock
    ) -> None:
        id = send(state)
        assert status(state, id) == MessageStatus.WAITING
        clock.advance(1)
        assert status(state, id) == MessageStatus.TRANSFERRED
        clock.advance(2)
        assert status(state, id) == MessageStatus.DELIVERED

    def test_last_timestamp_is_when_the_status_changed(
        self, state: EmulatorState, clock: ManualClock
    ) -> None:
        start = clock()
        id = send(state)
        clock.advance(100)
        record = state.status(state.authenticate("demo", "demo"), id, PHONE)
        assert record.last_timestamp == start + 3
        assert record.send_timestamp == start

    def test_send_at_keeps_the_message_waiting_until_its_time(
        self, state: EmulatorState, clock: ManualClock
    ) -> None:
        id = send(state, time="+10")  # ten minutes from now
        clock.advance(599)
        assert status(state, id) == MessageStatus.WAITING
        clock.advance(1 + 1)
        assert status(state, id) == MessageStatus.TRANSFERRED
        clock.advance(2)
        assert status(state, id) == MessageStatus.DELIVERED

    def test_an_absolute_send_at_from_another_front_end_wins_over_time(
        self, state: EmulatorState, clock: ManualClock
    ) -> None:
        id = send(state, send_at=clock() + 50, time="+1000")
        clock.advance(52)
        assert status(state, id) == MessageStatus.TRANSFERRED

    def test_unknown_message_is_status_minus_3(self, state: EmulatorState) -> None:
        assert status(state, "12345") == MessageStatus.NOT_FOUND

    def test_phone_in_status_request_may_carry_plus_and_spaces(self, state: EmulatorState) -> None:
        id = send(state)
        assert status(state, id, "+7 999 000-00-01") == MessageStatus.WAITING


class TestSending:
    def test_ids_increase_per_account(self, state: EmulatorState) -> None:
        assert [send(state, text=f"m{i}") for i in range(3)] == ["1", "2", "3"]

    def test_client_id_becomes_the_message_id(self, state: EmulatorState) -> None:
        assert send(state, id="order-17") == "order-17"
        assert status(state, "order-17") == MessageStatus.WAITING

    def test_cost_is_parts_times_the_price_and_is_charged(self, state: EmulatorState) -> None:
        account = state.authenticate("demo", "demo")
        outcome = state.send(account, SendRequest(phones=(PHONE,), text="Я" * 71, cost=3))
        assert outcome.parts == 2
        assert outcome.cost == Decimal("2.80")
        assert outcome.balance == Decimal("97.20")

    def test_longest_tariff_prefix_wins(self) -> None:
        tariff = Tariff(sms={"7": Decimal("1.00"), "7999": Decimal("2.50")}, default=Decimal(9))
        assert tariff.part_price("79990000001") == Decimal("2.50")
        assert tariff.part_price("79160000001") == Decimal("1.00")
        assert tariff.part_price("4915100000001") == Decimal("9.00")

    def test_a_price_keeps_the_digits_its_prefix_was_given_with(self) -> None:
        # Products of a part price are made once and shared: prices equal in value but
        # written differently must not share one (snapshots store the cost as written).
        prices_given = {"7": "1.4", "375": "1.40", "380": "0", "49": "-0"}
        tariff = Tariff(sms={prefix: Decimal(price) for prefix, price in prices_given.items()})
        prices = [tariff.price(p, MessageKind.SMS, 2) for p in ("79161", "37529", "38050")]
        prices.append(tariff.price("4915100000001", MessageKind.SMS, 2))
        assert [str(p) for p in prices] == ["2.8", "2.80", "0", "-0"]
        assert [str(tariff.price("79162", MessageKind.SMS, n)) for n in (1, 3)] == ["1.4", "4.2"]

    def test_other_kinds_are_priced_per_message(self) -> None:
        tariff = Tariff(per_message={MessageKind.HLR: Decimal("0.30")})
        assert tariff.price("79990000001", MessageKind.HLR, 1) == Decimal("0.30")

    def test_price_query_sends_and_charges_nothing(self, state: EmulatorState) -> None:
        account = state.authenticate("demo", "demo")
        outcome = state.send(account, SendRequest(phones=(PHONE,), text="hi", cost=1))
        assert (outcome.id, outcome.cost, outcome.parts) == (None, Decimal("1.40"), 1)
        assert state.balance(account).balance == Decimal("100.00")
        assert state.history(account) == []

    def test_not_enough_money_is_error_3_with_id_and_charges_nothing(
        self, state: EmulatorState
    ) -> None:
        state.set_balance("demo", "1.00")
        with pytest.raises(InsufficientFunds) as caught:
            send(state)
        assert caught.value.id == "1"
        assert state.account("demo").balance == Decimal("1.00")

    def test_credit_lets_the_balance_go_below_zero(self) -> None:
        state = EmulatorState([Account("c", "p", balance=Decimal("1.00"), credit=Decimal(10))])
        outcome = state.send(state.authenticate("c", "p"), SendRequest((PHONE,), "hi"))
        assert outcome.balance == Decimal("-0.40")

    def test_only_bad_phones_is_error_7_with_id(self, state: EmulatorState) -> None:
        with pytest.raises(InvalidPhone) as caught:
            send(state, phones=("12",))
        assert caught.value.id == "1"

    def test_bad_phones_among_good_ones_are_reported_not_fatal(self, state: EmulatorState) -> None:
        account = state.authenticate("demo", "demo")
        outcome = state.send(account, SendRequest(phones=(PHONE, "abc"), text="hi"))
        assert [(p.phone, p.error) for p in outcome.phones] == [(PHONE, 0), ("abc", 7)]
        assert outcome.parts == 1

    def test_unregistered_sender_is_error_6_when_the_account_has_a_list(self) -> None:
        state = EmulatorState([Account("s", "p", senders=("Shop",))])
        account = state.authenticate("s", "p")
        assert state.send(account, SendRequest((PHONE,), "hi", sender="Shop")).id == "1"
        with pytest.raises(MessageForbidden) as caught:
            state.send(account, SendRequest((PHONE,), "hi", sender="Other"))
        assert caught.value.id == "2"

    def test_text_over_1000_characters_is_error_1(self, state: EmulatorState) -> None:
        with pytest.raises(ParameterError):
            send(state, text="a" * 1001)

    def test_malformed_time_is_error_5(self, state: EmulatorState) -> None:
        with pytest.raises(DateFormatError):
            send(state, time="tomorrow")

    def test_translit_changes_the_text_that_is_sent(self, state: EmulatorState) -> None:
        id = send(state, text="Привет", translit=1)
        record = state.status(state.authenticate("demo", "demo"), id, PHONE)
        assert record.text == "Privet"

    def test_maxsms_cuts_the_text_to_fit(self, state: EmulatorState) -> None:
        account = state.authenticate("demo", "demo")
        outcome = state.send(account, SendRequest((PHONE,), "x" * 500, maxsms=2))
        assert outcome.parts == 2


def stored_as(raw: str, kind: MessageKind) -> tuple[str, int]:
    """(stored phone, error) of one recipient by the general rules: normalize_phone,
    no unknown group, no "+", and the number's own send error."""
    try:
        address = normalize_phone(raw, kind)
    except ValidationError:
        return raw, 7
    if address.startswith("G"):
        return raw, 7
    address = address.lstrip("+")
    return address, behaviour_for(address).send_error or 0


class TestBulkSend:
    """What a bulk send works out once per request or takes a short cut for (plain
    digits, prices, networks) comes out as the general rules give it."""

    TRICKY = (
        "1234",  # too short
        "12345",
        "123456789012345",
        "1234567890123456",  # too long
        "\uff17\uff19\uff11\uff16\uff11\uff12\uff13\uff14\uff15\uff16\uff17",  # full-width
        "\u0667\u0669\u0661\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0668",  # Arabic-Indic
        "+79161234567",
        "7916-123-45-68",
        "79161234569",
        "79990004007",  # refused at send with 7
        "79990004008",  # refused at send with 8
        "79990001249",
        "G12",  # no such group
        "read@emulator.test",
        "someone@example.com",
        "79161234569",  # a repeat
    )

    @pytest.mark.parametrize("kind", [*MessageKind])
    def test_recipients_are_stored_as_the_general_rules_store_them(self, kind: MessageKind) -> None:
        text = "00FF" if kind in (MessageKind.BIN, MessageKind.BIN_HEX) else "hello"
        request = SendRequest(phones=self.TRICKY, text=text, kind=kind)
        prepared = prepare(request, Tariff(), Limits())
        expected = [stored_as(raw, kind) for raw in self.TRICKY]
        # A repeated address is dropped (its first place kept); refused ones are kept.
        kept = [e for i, e in enumerate(expected) if e[1] == 7 or e not in expected[:i]]
        assert [(p.phone, p.error) for p in prepared] == kept

    def test_plain_digits_outside_5_to_15_or_ascii_are_invalid(self) -> None:
        prepared = prepare(SendRequest(phones=self.TRICKY[:6], text="hi"), Tariff(), Limits())
        assert [p.error for p in prepared] == [7, 0, 0, 7, 7, 7]

    def test_each_recipient_gets_its_own_network(self, state: EmulatorState) -> None:
        phones = ("79161234567", "375291234567", "380501234567", "77011234567", "4915112345678")
        outcome = state.send(state.authenticate("demo", "demo"), SendRequest(phones, "hi"))
        assert [p.mccmnc for p in outcome.phones] == ["25099", "25799", "25599", "40199", ""]

    def test_prefix_prices_are_per_recipient_within_one_request(self) -> None:
        tariff = Tariff(sms={"7": Decimal("1.00"), "375": Decimal("4.50")}, default=Decimal(9))
        state = EmulatorState(tariff=tariff)
        phones = ("79161234567", "375291234567", "4915112345678", "79161234568")
        outcome = state.send(state.authenticate("demo", "demo"), SendRequest(phones, "Я" * 71))
        assert [p.cost for p in outcome.phones] == [Decimal(n) for n in ("2", "9", "18", "2")]
        assert outcome.cost == Decimal("31.00")

    def test_each_text_of_a_list_is_priced_for_its_own_parts(self, state: EmulatorState) -> None:
        pairs = (("79161234567", "hi"), ("79161234568", "Я" * 71), ("79161234569", "hi"))
        outcome = state.send(state.authenticate("demo", "demo"), SendRequest(pairs=pairs))
        assert [(p.parts, p.cost) for p in outcome.phones] == [
            (1, Decimal("1.40")),
            (2, Decimal("2.80")),
            (1, Decimal("1.40")),
        ]

    def test_states_with_different_tariffs_price_the_same_request_their_own_way(self) -> None:
        cheap = EmulatorState(tariff=Tariff(default=Decimal("0.50")))
        usual = EmulatorState()
        request = SendRequest(("79161234567", "79161234568"), "hi", cost=1)
        costs = [
            s.send(s.authenticate("demo", "demo"), request).cost for s in (cheap, usual, cheap)
        ]
        assert costs == [Decimal("1.00"), Decimal("2.80"), Decimal("1.00")]

    def test_a_flat_price_is_only_given_where_every_phone_pays_it(self) -> None:
        assert Tariff().flat_price(MessageKind.SMS, 2) == Decimal("2.80")
        by_prefix = Tariff(sms={"7": Decimal("1.00")})
        assert by_prefix.flat_price(MessageKind.SMS, 1) is None
        assert by_prefix.flat_price(MessageKind.HLR, 1) == Decimal("0.20")


class TestDuplicates:
    def test_identical_send_within_a_minute_is_error_9(
        self, state: EmulatorState, clock: ManualClock
    ) -> None:
        send(state)
        with pytest.raises(RateLimited):
            send(state)
        clock.advance(60)
        assert send(state) == "2"

    def test_retry_with_the_same_client_id_is_error_9_even_with_other_text(
        self, state: EmulatorState
    ) -> None:
        send(state, id="42", text="first")
        with pytest.raises(RateLimited):
            send(state, id="42", text="second")

    def test_switched_off_by_limits(self, clock: ManualClock) -> None:
        state = EmulatorState(clock=clock, limits=Limits.unlimited())
        assert send(state) != send(state)


class TestThrottles:
    def test_sixth_status_request_for_one_message_in_a_minute_is_error_9(
        self, state: EmulatorState, clock: ManualClock
    ) -> None:
        id = send(state)
        for _ in range(5):
            status(state, id)
        with pytest.raises(RateLimited):
            status(state, id)
        clock.advance(60)
        assert status(state, id) == MessageStatus.DELIVERED

    def test_unthrottled_reads_by_front_ends_do_not_count(self, state: EmulatorState) -> None:
        id = send(state)
        account = state.authenticate("demo", "demo")
        for _ in range(20):
            state.status(account, id, PHONE, throttled=False)
        assert status(state, id) == MessageStatus.WAITING

    def test_eleventh_balance_request_in_a_minute_is_error_9(self, state: EmulatorState) -> None:
        account = state.authenticate("demo", "demo")
        for _ in range(10):
            state.balance(account)
        with pytest.raises(RateLimited):
            state.balance(account)

    def test_sixth_identical_price_query_is_error_9(self, state: EmulatorState) -> None:
        account = state.authenticate("demo", "demo")
        request = SendRequest((PHONE,), "hi", cost=1)
        for _ in range(5):
            state.send(account, request)
        with pytest.raises(RateLimited):
            state.send(account, request)

    def test_sixteenth_concurrent_request_is_error_9(self, state: EmulatorState) -> None:
        slots = [state.request_slot("demo") for _ in range(16)]
        for slot in slots[:15]:
            slot.__enter__()
        with pytest.raises(RateLimited):
            slots[15].__enter__()
        for slot in slots[:15]:
            slot.__exit__(None, None, None)
        assert state.in_flight("demo") == 0


class TestReadSide:
    def test_delete_removes_the_message(self, state: EmulatorState) -> None:
        id = send(state)
        account = state.authenticate("demo", "demo")
        state.delete(account, id, PHONE)
        assert status(state, id) == MessageStatus.NOT_FOUND
        with pytest.raises(DeleteError):
            state.delete(account, id, PHONE)

    def test_history_is_newest_first_and_pages_back_by_int_id(self, state: EmulatorState) -> None:
        for i in range(3):
            send(state, text=f"m{i}")
        account = state.authenticate("demo", "demo")
        newest = state.history(account, cnt=2)
        assert [r.text for r in newest] == ["m2", "m1"]
        older = state.history(account, prev_id=newest[-1].int_id)
        assert [r.text for r in older] == ["m0"]

    def test_incoming_messages_are_listed_newest_first(self, state: EmulatorState) -> None:
        state.add_incoming("demo", "+79990000001", "first", to_phone="79990009999")
        state.add_incoming("demo", "79990000002", "second")
        inbox = state.incoming(state.authenticate("demo", "demo"))
        assert [(m.phone, m.text) for m in inbox] == [
            ("79990000002", "second"),
            ("79990000001", "first"),
        ]
        assert inbox[1].to_phone == "79990009999"


def test_a_scheduled_message_can_be_cancelled_until_it_leaves(
    state: EmulatorState, clock: ManualClock
) -> None:
    account = state.account("demo")
    before = account.balance
    later = state.send(account, SendRequest((PHONE,), "later", send_at=clock() + 3600))
    now = state.send(account, SendRequest((PHONE,), "now"))
    assert later.id is not None and now.id is not None
    stopped = state.cancel(account, later.id, PHONE)
    assert stopped is not None and stopped.status is MessageStatus.STOPPED
    assert state.account("demo").balance == before - now.cost  # the cancelled one refunded
    assert state.cancel(account, now.id, PHONE) is None  # it has left: nothing changes
    clock.advance(7200)
    assert state.status(account, later.id, PHONE).status is MessageStatus.STOPPED
    missing = state.cancel(account, "404", PHONE)
    assert missing is not None and missing.status is MessageStatus.NOT_FOUND


def test_a_scheduled_message_can_get_a_new_text_and_time(
    state: EmulatorState, clock: ManualClock
) -> None:
    account = state.account("demo")
    before = account.balance
    sent = state.send(account, SendRequest((PHONE,), "short", send_at=clock() + 3600))
    assert sent.id is not None
    longer = "Здравствуйте! " * 10  # 140 UCS-2 characters: 3 parts
    record = state.replace(account, sent.id, PHONE, text=longer, send_at=clock() + 60)
    assert record is not None
    assert (record.text, record.parts, record.cost) == (longer, 3, Decimal("4.20"))
    assert record.send_timestamp == clock() + 60
    assert state.account("demo").balance == before - Decimal("4.20")  # the new price
    clock.advance(70)
    assert state.status(account, sent.id, PHONE).status is MessageStatus.DELIVERED
    assert state.replace(account, sent.id, PHONE, text="too late") is None


def test_a_click_on_a_short_link_is_reported_by_a_callback(clock: ManualClock) -> None:
    state = EmulatorState(clock=clock, callback_url="http://127.0.0.1:9/cb")
    state.set_link_base("http://emu/t/")
    account = state.authenticate("demo", "demo")
    outcome = state.send(
        account, SendRequest(phones=(PHONE,), text="go https://a.example", tinyurl=True)
    )
    clock.advance(3)
    assert [e.fields["status"] for e in state.collect_callbacks()] == ["0", "1"]
    text = state.status(account, str(outcome.id), PHONE).text
    assert text.startswith("go http://emu/t/")
    assert state.click(text.rpartition("/")[2]) == "https://a.example"
    assert state.click("nope") is None
    events = state.collect_callbacks()
    assert [(e.fields["status"], e.fields["ts"]) for e in events] == [("4", str(int(clock())))]
    assert state.status(account, str(outcome.id), PHONE).status == MessageStatus.LINK_CLICKED


def test_a_refused_send_leaves_no_short_links(state: EmulatorState) -> None:
    state.set_link_base("http://emu/t/")
    account = state.authenticate("demo", "demo")
    with pytest.raises(InvalidPhone):
        state.send(account, SendRequest(phones=("12",), text="https://a.example", tinyurl=True))
    sent = state.send(account, SendRequest(phones=(PHONE,), text="https://b.example", tinyurl=True))
    code = state.status(account, str(sent.id), PHONE).text.rpartition("/")[2]
    assert state.short_link(account, link=code) is not None
    assert state.short_link(account, id=1) is None  # the refused send's link is gone
