"""Several binds of one transport, sans-I/O: where messages go, what moves, what is shared."""

from __future__ import annotations

from random import Random
from typing import Any

import pytest

from smsc_transports import ConfigurationError, ConnectError, OutcomeUnknown, create_transport
from smsc_transports.config import Settings
from smsc_transports.errors import AuthenticationError
from smsc_transports.results import SendResult
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.command_status import smpp_error
from smsc_transports.wire.smpp.session.binds import BindRetry, Binds, to_start
from smsc_transports.wire.smpp.session.link import (
    LinkState,
    SmppSession,
    bind_retry_delay,
    reconnect_delay,
)
from smsc_transports.wire.smpp.session.options import MAX_BINDS, SmppOptions
from smsc_transports.wire.smpp.session.tickets import Pipeline, Ticket
from tests.wire.smpp.session.kit import Clock, answer, deliver, sms, submits
from tests.wire.smpp.session.test_deliveries import receipt


def binds(count: int = 3, **options: Any) -> tuple[Binds, Clock]:
    """``count`` sessions, none bound yet."""
    clock = Clock()
    base = SmppOptions(host="h", port=1, login="demo", password="pw", binds=count, **options)
    return Binds(base, clock=clock, random=Random(1)), clock


def bind(session: SmppSession) -> None:
    sequence = int.from_bytes(session.begin_bind()[12:16], "big")
    session.feed(w.encode_bind_resp(w.BIND_TRANSCEIVER, 0, sequence, w.BindResponse("SMSC")))
    assert session.state is LinkState.BOUND


def enqueue(group: Binds, *numbers: int, phones: str | list[str] = "79990000001") -> list[Ticket]:
    tickets = []
    for n in numbers:
        message = sms(n, phones)
        ticket = Ticket(n, message, group.encoder.encode(message))
        group.enqueue(ticket)
        tickets.append(ticket)
    return tickets


def test_messages_go_to_the_least_loaded_bound_bind() -> None:
    group, _ = binds(3)
    first, second, third = group.sessions
    bind(first)
    bind(second)
    enqueue(group, *range(10))
    # The third is not bound: nothing goes there while others are.
    assert (len(first.window.unsent), len(second.window.unsent), len(third.window.unsent)) == (
        5,
        5,
        0,
    )
    written = submits(first)  # written, unanswered: still load
    assert len(written) == 5
    enqueue(group, 10, 11, 12)  # 5 in flight vs 5 waiting: a tie, then turns
    assert (len(first.window.unsent), len(second.window.unsent)) == (2, 6)
    # A bind whose answers came has room again: it takes the next ones.
    for sequence, _ in written:
        answer(first, sequence)
    enqueue(group, 13, 14, 15)
    assert (len(first.window.unsent), len(second.window.unsent)) == (5, 6)


def test_a_bind_down_for_good_gets_no_messages_while_another_can_take_them() -> None:
    group, _ = binds(2)
    first, second = group.sessions
    first.window.down_error = ConnectError("gone")
    (ticket,) = enqueue(group, 1)
    assert list(second.window.unsent) and not first.window.unsent and ticket.outcome is None
    second.window.down_error = ConnectError("gone too")
    (failed,) = enqueue(group, 2)
    assert isinstance(failed.outcome, ConnectError)  # every bind down: it fails at once
    assert group.down()


def test_a_dropped_binds_unwritten_submits_move_and_its_written_ones_end_unknown() -> None:
    group, _ = binds(2, window=2)
    first, second = group.sessions
    bind(first)
    bind(second)
    tickets = enqueue(group, *range(6))
    on_first = [t for t in tickets if any(p.ticket is t for p in first.window.unsent)]
    written = submits(first)
    assert len(written) == 2 and len(first.window.unsent) == 1
    first.link_lost(ConnectionResetError("reset"))
    assert group.rehome(first)
    assert not first.window.unsent
    # The moved message waits at the head of the other queue: it is older.
    assert second.window.unsent[0].ticket is on_first[-1]
    unknown = [t for t in tickets if isinstance(t.outcome, OutcomeUnknown)]
    assert unknown == on_first[:2]
    for sequence, _ in submits(second):
        answer(second, sequence)
    for sequence, _ in submits(second):
        answer(second, sequence)
    outcomes = [t.outcome for t in tickets]
    assert sum(isinstance(o, SendResult) for o in outcomes) == 4
    assert sum(isinstance(o, OutcomeUnknown) for o in outcomes) == 2


def test_nothing_moves_when_no_other_bind_is_bound() -> None:
    group, _ = binds(2)
    first = group.sessions[0]
    bind(first)
    enqueue(group, 1, 2)
    first.link_lost(ConnectionResetError("reset"))
    assert not group.rehome(first)
    assert len(first.window.unsent) == 2  # they wait for a bind, as with one bind
    group.give_up(first, ConnectError("gone"))
    assert not first.window.unsent  # nobody bound: they fail with the bind's error


def test_a_message_split_in_parts_moves_whole() -> None:
    group, _ = binds(3, window=1)
    first, second, third = group.sessions
    for session in group:
        bind(session)
    enqueue(group, 1, 2, phones=["79990000001", "79990000002", "79990000003"])
    assert len(first.window.unsent) == 3 and len(second.window.unsent) == 3
    submits(first)
    first.link_lost(ConnectionResetError("reset"))
    group.rehome(first)
    assert len(third.window.unsent) == 2  # both remaining parts, to the emptiest bind


def test_a_receipt_read_on_any_bind_finds_its_message() -> None:
    group, _ = binds(2)
    first, second = group.sessions
    bind(first)
    bind(second)
    heard: list[object] = []
    first.on_receipt = heard.append
    (ticket,) = enqueue(group, 1)
    ((sequence, _),) = submits(first)
    answer(first, sequence, message_id="42")
    deliver(second, receipt("42"))
    (result,) = second.receipts
    assert heard == [result] and list(first.receipts) == [result]
    assert (result.id, result.status) == ("42", 1)
    assert group.stats.receipts == 1 and group.stats.uncorrelated_receipts == 0
    assert isinstance(ticket.outcome, SendResult)


def test_an_early_receipt_on_one_bind_waits_for_the_answer_on_another() -> None:
    group, _ = binds(2)
    first, second = group.sessions
    bind(first)
    bind(second)
    enqueue(group, 1)
    ((sequence, _),) = submits(first)
    # The second bind has nothing in flight, but the first has: the receipt may be its.
    deliver(second, receipt("42"))
    assert not second.receipts and group.deliveries.early == 1
    answer(first, sequence, message_id="42")
    (result,) = second.receipts
    assert result.id == "42" and group.stats.uncorrelated_receipts == 0


def test_the_pipeline_feeds_every_bind_and_is_stopped_on_all() -> None:
    group, _ = binds(2, window=4)
    for session in group:
        bind(session)
    pipe = Pipeline(group, 8)
    for n in range(10):
        ticket = pipe.add(sms(n))
        assert ticket is not None
        group.enqueue(ticket)
    assert len(group.unsent) == 10 and {len(s.window.unsent) for s in group} == {5}
    assert all(s.window.on_fatal == pipe._stop for s in group)
    first = group.sessions[0]
    ((sequence, _), *_) = submits(first)
    answer(first, sequence, status=w.ESME_RINVPASWD)  # every later message would fail too
    assert not group.unsent  # nothing more is written, on either bind
    pipe.abandon()
    assert group.on_fatal is None
    failures = [o for o in pipe.ready() if o.error is not None]
    assert isinstance(failures[0].error, AuthenticationError)


# -- the options ----------------------------------------------------------------------


def test_binds_is_read_from_the_url_and_bounded() -> None:
    given = SmppOptions.from_settings(Settings.from_url("smpp://l:p@h?binds=4"))
    assert given.binds == 4
    assert SmppOptions.from_settings(Settings.from_url("smpp://l:p@h")).binds == 1


@pytest.mark.parametrize("value", ["0", "-1", str(MAX_BINDS + 1), "two", "1.5"])
def test_a_bad_binds_count_is_refused_before_anything_is_sent(value: str) -> None:
    with pytest.raises(ConfigurationError, match="binds"):
        create_transport(f"smpp://l:p@127.0.0.1:9?binds={value}")


@pytest.mark.parametrize("value", ["-0.1", "1.5", "x"])
def test_a_bad_jitter_is_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match="reconnect_jitter"):
        create_transport(f"smpp://l:p@127.0.0.1:9?reconnect_jitter={value}")


# -- reconnect jitter ------------------------------------------------------------------


def jittered(jitter: float) -> SmppOptions:
    return SmppOptions(
        host="h",
        port=1,
        login="l",
        password="p",
        reconnect_delay=0.5,
        reconnect_max_delay=30,
        reconnect_jitter=jitter,
    )


@pytest.mark.parametrize("failures", [1, 2, 5, 12])
def test_jittered_delays_differ_and_stay_within_their_bounds(failures: int) -> None:
    options = jittered(0.5)
    draw = Random(7).random
    delays = [reconnect_delay(options, failures, draw) for _ in range(200)]
    ceiling = min(30.0, 0.5 * 2 ** (failures - 1))
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len({round(d, 9) for d in delays}) > 190  # a fleet does not come back in step
    assert max(delays) - min(delays) > ceiling * 0.4  # spread over the whole band


def test_the_first_reconnect_waits_at_most_a_share_of_the_delay() -> None:
    delays = [reconnect_delay(jittered(0.5), 0, Random(3).random) for _ in range(50)]
    assert all(0 <= d <= 0.25 for d in delays)


def test_a_seeded_draw_repeats_and_no_jitter_is_the_plain_back_off() -> None:
    first = [reconnect_delay(jittered(1), n, Random(5).random) for n in range(6)]
    again = [reconnect_delay(jittered(1), n, Random(5).random) for n in range(6)]
    assert first == again
    plain = [reconnect_delay(jittered(0), n, Random(5).random) for n in range(6)]
    assert plain == [0.0, 0.5, 1.0, 2.0, 4.0, 8.0]


def test_a_refused_bind_backs_off_like_a_reconnect_and_a_refused_password_the_longest() -> None:
    plain = jittered(0)
    system = smpp_error(w.ESME_RSYSERR, operation="bind")
    password = smpp_error(w.ESME_RINVPASWD, operation="bind")
    assert isinstance(password, AuthenticationError) and not isinstance(system, AuthenticationError)
    assert [bind_retry_delay(plain, n, system) for n in (1, 2, 3, 20)] == [0.5, 1.0, 2.0, 30.0]
    assert [bind_retry_delay(plain, n, password) for n in (1, 2, 20)] == [30.0, 30.0, 30.0]
    draw = Random(11).random
    delays = [bind_retry_delay(jittered(0.5), 1, password, draw) for _ in range(100)]
    assert all(15.0 <= d <= 30.0 for d in delays) and len(set(delays)) > 90  # jittered


def test_a_refused_bind_waits_its_back_off_and_counts_refusals_until_it_binds() -> None:
    clock = Clock()
    retry = BindRetry(jittered(0), Random(1).random, clock)
    system = smpp_error(w.ESME_RSYSERR, operation="bind")
    assert [retry.refusal(system) for _ in range(3)] == [0.5, 1.0, 2.0]
    assert retry.retry_at == clock.now + 2.0
    assert not retry.due  # never refused for good: nothing to retry
    retry.refused = system
    assert not retry.due
    clock.now += 2.0
    assert retry.due
    retry.bound()
    assert retry.refusal(system) == 0.5  # the first refusal in a row again


class _Link:
    def __init__(self, retry: BindRetry, running: bool) -> None:
        self.retry = retry
        self.running = running


def test_a_refused_bind_starts_again_at_once_only_when_no_bind_is_up() -> None:
    clock = Clock()
    refused = smpp_error(w.ESME_RINVPASWD, operation="bind")
    links = [_Link(BindRetry(jittered(0), Random(1).random, clock), False) for _ in range(2)]
    for link in links:
        link.retry.refusal(refused)
        link.retry.refused = refused
    assert to_start(links) == links  # none is up: the caller hears the refusal again
    links[1].retry.refused = None
    links[1].running = True
    assert to_start(links) == [links[1]]  # another carries the traffic: wait the back-off
    clock.now += 30.0
    assert to_start(links) == links


def test_a_query_goes_to_a_bound_bind_else_the_first() -> None:
    group, _ = binds(3)
    assert group.for_query() is group.sessions[0]
    bind(group.sessions[2])
    assert group.for_query() is group.sessions[2]
