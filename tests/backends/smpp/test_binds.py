"""``binds=N`` on real loopback sockets, through both faces.

The emulator sees N bound sessions and each is unbound at close; ``send_many`` spreads
messages over the binds; a receipt read on one bind finds a message sent on another;
when a bind drops for good its unwritten messages go to the other binds (nothing lost,
nothing sent twice, the written-but-unanswered ones unknown); the fault soak with three
binds reconciles every message and receipt; reconnects of several binds are jittered.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import select
import socket
import threading
import time
from collections import Counter
from random import Random

import pytest

from smsc_transports import ConnectError, Message, OutcomeUnknown, SendResult, create_transport
from smsc_transports.backends.smpp import AsyncSmppTransport, SmppTransport
from smsc_transports.config import Settings
from smsc_transports.emulator import EmulatorState, ManualClock
from smsc_transports.emulator.smpp.connection import SmppConnection
from smsc_transports.emulator.smpp.front import SmppFrontEnd
from smsc_transports.observe import OK, Link
from smsc_transports.wire.smpp import pdu as w
from smsc_transports.wire.smpp.incoming import incoming_part
from smsc_transports.wire.smpp.session.options import SmppOptions
from smsc_transports.wire.smpp.short_message import (
    ShortMessage,
    decode_short_message,
    encode_deliver_sm,
)
from tests.backends.smpp.conftest import eventually, smpp_url
from tests.backends.smpp.faces import FACES, Run, run_face
from tests.backends.smpp.servers import (
    Peer,
    Script,
    ScriptedServer,
    answer_until_unbind,
)
from tests.backends.smpp.soak import soak
from tests.faults import AcceptLoop
from tests.observers import Recorder


def messages(count: int, tag: str = "bind") -> list[Message]:
    return [Message(f"7999000{n % 10:04d}", f"{tag} {n:05d}") for n in range(count)]


def accepted_ids(run: Run) -> list[str]:
    return [o.result.id for o in run.outcomes if isinstance(o.result, SendResult)]


# -- the emulator: N sessions bound, receipts matched, every one unbound -------------------


@pytest.mark.parametrize("face", FACES)
def test_the_emulator_sees_every_bind_and_each_is_unbound_at_close(
    face: str, front: SmppFrontEnd, clock: ManualClock, state: EmulatorState
) -> None:
    bound: list[SmppConnection] = []

    def linger(run: Run) -> bool:
        if not bound:
            bound.extend(c for c in list(front.live) if c.account is not None)
            clock.advance(3600)  # every status final: the receipts go out
        return len(run.receipts) >= len(sent)

    sent = messages(300)
    run = run_face(face, smpp_url(front.port, binds="3"), sent, linger=linger)
    assert len(bound) == 3 and front.connections == 3
    ids = accepted_ids(run)
    assert len(ids) == len(sent) == len(set(ids))
    assert sorted(r.id for r in run.receipts) == sorted(ids)  # each matched to its message
    assert all(r.phone == sent[ids.index(r.id)].phones[0] for r in run.receipts)
    assert all(c.mode == "unbound" for c in bound), [c.mode for c in bound]
    assert eventually(lambda: not front.live)
    assert run.binds == 3


def test_every_bind_fails_over_to_the_backup_host(front: SmppFrontEnd) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]  # closed again below: connects are refused
    url = smpp_url(dead, binds="2", backup_hosts=f"127.0.0.1:{front.port}")
    with create_transport(url) as transport:
        assert isinstance(transport, SmppTransport)
        transport.connect()  # returns once every bind is bound (or down for good)
        bound = [c for c in list(front.live) if c.account is not None]
        sent = transport.send(Message("79990000001", "via the backup"))
    assert len(bound) == 2 and sent.id


# -- scripted SMSCs: spread, receipts across binds, a bind lost for good -----------------


class Accounts:
    """What several scripted connections share: unique ids, who accepted what."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.accepted: dict[str, tuple[int, str, str]] = {}  # id -> (peer, phone, text)
        self.texts: Counter[str] = Counter()
        self.unanswered: dict[int, list[str]] = {}

    def accept(self, number: int, sm: ShortMessage) -> str:
        with self.lock:
            message_id = str(next(self.ids))
            self.accepted[message_id] = (number, sm.destination_addr, incoming_part(sm).text)
            return message_id


def serve(
    peer: Peer,
    accounts: Accounts,
    number: int,
    *,
    cross_receipts: bool = False,
    answer_first: int | None = None,
) -> None:
    """Bind, then answer submits with ids unique across connections.

    ``cross_receipts``: send a receipt for each message accepted on *another*
    connection. ``answer_first``: answer that many submits, read for a moment more
    without answering, then drop the connection (a reset).
    """
    if not peer.bind():
        return
    splitter = w.FrameSplitter()
    receipted: set[str] = set()
    answered = 0
    silent_since: float | None = None
    sequence = 1000
    while not peer.stop.is_set():
        if silent_since is not None and time.monotonic() - silent_since > 0.3:
            peer.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            return
        try:
            readable = select.select([peer.conn], [], [], 0.02)[0]
            data = peer.conn.recv(65536) if readable else b"-"
        except OSError:
            return
        if not data:
            return
        frames = splitter.feed(data) if data != b"-" else []
        out = []
        for command_id, _, seq, body in frames:
            if command_id == w.SUBMIT_SM:
                sm = decode_short_message(body)
                accounts.texts[incoming_part(sm).text] += 1
                if silent_since is not None:
                    accounts.unanswered.setdefault(number, []).append(incoming_part(sm).text)
                    continue
                message_id = accounts.accept(number, sm)
                out.append(w.encode_message_id_resp(w.SUBMIT_SM_RESP, 0, seq, message_id))
                answered += 1
                if answer_first is not None and answered >= answer_first:
                    silent_since = time.monotonic()
            elif command_id in (w.ENQUIRE_LINK, w.UNBIND):
                out.append(w.encode_pdu(command_id | w.RESPONSE, 0, seq))
                if command_id == w.UNBIND:
                    peer.send(b"".join(out))
                    return
        if cross_receipts:
            with accounts.lock:
                theirs = [
                    (i, phone)
                    for i, (owner, phone, _) in accounts.accepted.items()
                    if owner != number and i not in receipted
                ]
            for message_id, phone in theirs:
                receipted.add(message_id)
                sequence += 1
                text = f"id:{message_id} sub:001 dlvrd:001 stat:DELIVRD err:000 text:x"
                sm = ShortMessage(source_addr=phone, esm_class=4, short_message=text.encode())
                out.append(encode_deliver_sm(sequence, sm))
        if out:
            peer.send(b"".join(out))


def refuse(peer: Peer) -> None:
    """Close at once: the bind never succeeds."""


@pytest.mark.parametrize("face", FACES)
def test_messages_spread_over_the_binds_and_receipts_cross_them(face: str) -> None:
    accounts = Accounts()
    scripts: list[Script] = [
        functools.partial(serve, accounts=accounts, number=n, cross_receipts=True) for n in range(2)
    ]
    sent = messages(400)
    with ScriptedServer(scripts) as server:
        run = run_face(
            face,
            smpp_url(server.port, binds="2", window="8"),
            sent,
            linger=lambda r: len(r.receipts) >= len(sent),
            connect=True,  # both bound before the first message: a fair start
        )
    assert server.connections == 2
    ids = accepted_ids(run)
    assert len(ids) == len(sent)
    per_bind = Counter(owner for owner, _, _ in accounts.accepted.values())
    assert min(per_bind.values()) > len(sent) // 4, per_bind  # both binds carried load
    # Every receipt came on the other bind, and each found its own message.
    assert sorted(r.id for r in run.receipts) == sorted(ids)
    by_id = {o.result.id: sent[o.index] for o in run.outcomes if o.result is not None}
    assert all(accounts.accepted[r.id][2] == by_id[r.id].text for r in run.receipts)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("face", FACES)
def test_a_bind_lost_for_good_hands_its_unwritten_messages_to_the_others(face: str) -> None:
    accounts = Accounts()
    scripts: list[Script] = [
        functools.partial(serve, accounts=accounts, number=0, answer_first=20),
        functools.partial(serve, accounts=accounts, number=1),
        *[refuse] * 200,  # the lost bind's reconnects: it never binds again
    ]
    sent = messages(600)
    with ScriptedServer(scripts) as server:
        # Reconnect attempts never run out: without the move, its queue would wait forever.
        url = smpp_url(server.port, binds="2", window="8", reconnect_attempts="100000")
        run = run_face(face, url, sent)
    outcomes = run.outcomes
    assert [o.index for o in outcomes] == list(range(len(sent)))
    unknown = [sent[o.index].text for o in outcomes if isinstance(o.error, OutcomeUnknown)]
    failed = [o.error for o in outcomes if o.error and not isinstance(o.error, OutcomeUnknown)]
    assert not failed, failed[:3]
    # Unknown: exactly those written on the lost bind and never answered.
    assert sorted(unknown) == sorted(accounts.unanswered.get(0, []))
    assert 0 < len(unknown) <= 8
    # Nothing reached the SMSC twice; each accepted message under its own id.
    assert max(accounts.texts.values()) == 1
    ids = accepted_ids(run)
    assert len(ids) == len(set(ids)) == len(sent) - len(unknown)
    per_bind = Counter(owner for owner, _, _ in accounts.accepted.values())
    assert per_bind == {0: 20, 1: len(ids) - 20}  # the lost bind never took another


# -- the fault soak with several binds ---------------------------------------------------


@pytest.mark.timeout(90)
@pytest.mark.parametrize("face", FACES)
def test_the_fault_soak_reconciles_with_three_binds(face: str) -> None:
    problems, counts = soak("link faults", face, 3000, seed=15, binds=3)
    assert problems == [], f"{len(problems)} problems, e.g. {problems[:5]}; {counts}"
    assert counts["accepted"] + counts["rejected"] + counts["unknown"] == 3000
    assert counts["connections"] >= 6  # three binds, and each link fault made one rebind
    assert counts["receipts delivered"] >= counts["receipts acknowledged"] > 0


# -- reconnect jitter --------------------------------------------------------------------


def attempt_times(face: str, jitter: str, seconds: float = 2.0) -> list[float]:
    """When 4 binds tried to connect to a server that closes every connection at once."""
    times: list[float] = []

    def accepted(conn: socket.socket) -> None:
        times.append(time.monotonic())
        conn.close()

    loop = AcceptLoop(accepted)
    loop.start()
    url = smpp_url(
        loop.port,
        binds="4",
        timeout=str(seconds / 2),
        reconnect_delay="0.3",
        reconnect_max_delay="0.3",
        reconnect_attempts="1000",
        reconnect_jitter=jitter,
    )
    options = SmppOptions.from_settings(Settings.from_url(url))
    try:
        if face == "sync":
            with SmppTransport(options, random=Random(4)) as transport:
                with pytest.raises(ConnectError):
                    transport.connect()
        else:

            async def main() -> None:
                async with AsyncSmppTransport(options, random=Random(4)) as transport:
                    with pytest.raises(ConnectError):
                        await transport.connect()

            asyncio.run(main())
    finally:
        with contextlib.suppress(Exception):
            loop.stop()
    return sorted(times)


def in_step(times: list[float], within: float = 0.015) -> float:
    """The share of attempts that came within ``within`` seconds of the one before."""
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return sum(gap < within for gap in gaps) / max(1, len(gaps))


@pytest.mark.parametrize("face", FACES)
def test_the_binds_reconnect_out_of_step_with_jitter(face: str) -> None:
    plain = attempt_times(face, "0")
    jittered = attempt_times(face, "1")
    assert len(plain) >= 12 and len(jittered) >= 12
    # Without jitter the four binds retry together; with it they drift apart.
    assert in_step(plain) > 0.5, plain
    assert in_step(jittered) < in_step(plain) - 0.25, jittered


# -- an observer sees every bind ---------------------------------------------------------


@pytest.mark.parametrize("face", FACES)
def test_an_observer_hears_each_bind_and_watches_every_window(
    face: str, front: SmppFrontEnd, clock: ManualClock
) -> None:
    recorder = Recorder()
    sent = messages(60)

    def receipts_in(run: Run) -> bool:
        clock.advance(3600)
        return len(recorder.receipts) >= len(sent)

    run = run_face(
        face, smpp_url(front.port, binds="3"), sent, linger=receipts_in, observer=recorder
    )
    assert recorder.changes() == [Link.CONNECTED] * 3  # each bind's first bind, none "again"
    assert len(recorder.watched) == 3 and len(recorder.unwatched) == 3  # one window each
    assert sorted(recorder.outcomes()) == [OK] * len(sent)
    assert len(run.outcomes) == len(sent)
    assert sum(r.matched for r in recorder.receipts) == len(sent)


# -- a bind refused while the others are up is tried again --------------------------------


def refuse_bind(status: int, seen: list[float], after: threading.Event | None = None) -> Script:
    """Answer the bind with ``status`` (noting when), then wait for the client to leave;
    with ``after``, answer only once it is set (and the client had a moment to read
    what came before)."""

    def script(peer: Peer) -> None:
        frame = peer.read()
        if frame is None:
            return
        if after is not None and after.wait(5):
            time.sleep(0.1)
        seen.append(time.monotonic())
        peer.send(w.encode_pdu(frame[0] | w.RESPONSE, status, frame[2]))
        peer.read(timeout=2)

    return script


def well_behaved_slowly(peer: Peer) -> None:
    """Bind, then answer everything after a millisecond each: sending takes seconds."""
    if not peer.bind():
        return
    while (frame := peer.read(timeout=30)) is not None:
        time.sleep(0.001)
        peer.answer(frame)
        if frame[0] == w.UNBIND:
            return


def submits(peer: Peer) -> int:
    return sum(frame[0] == w.SUBMIT_SM for frame in peer.received)


def bound_late_then_slowly(peer: Peer) -> None:
    """Bind only after the other bind was refused, then answer as slowly."""
    time.sleep(0.3)
    well_behaved_slowly(peer)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("first", [well_behaved_slowly, bound_late_then_slowly])
@pytest.mark.parametrize("face", FACES)
def test_a_bind_refused_once_while_the_other_is_up_binds_again_and_carries_load(
    face: str, first: Script
) -> None:
    """Refused while the other bind is up (it retries by itself) or while it is still
    binding (the next operation past the back-off retries it)."""
    refused: list[float] = []
    scripts: list[Script] = [first, refuse_bind(w.ESME_RSYSERR, refused)]
    sent = messages(1500)
    with ScriptedServer(scripts) as server:
        url = smpp_url(
            server.port, binds="2", window="4", reconnect_delay="0.05", reconnect_max_delay="0.2"
        )
        run = run_face(face, url, sent, connect=True)
        peers = list(server.peers)
    assert len(refused) == 1
    assert all(o.ok for o in run.outcomes) and len(run.outcomes) == len(sent)
    # The refused bind connected again, bound, and took messages while they were sent.
    assert len(peers) == 3, len(peers)
    assert submits(peers[2]) > 0 and submits(peers[0]) > 0
    assert submits(peers[0]) + submits(peers[2]) == len(sent)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("face", FACES)
def test_a_bind_refused_for_its_password_while_the_other_is_up_waits_the_longest(
    face: str,
) -> None:
    refused: list[float] = []
    up = threading.Event()

    def bound_first(peer: Peer) -> None:
        if peer.bind():
            up.set()
            answer_until_unbind(peer)

    # The refusal comes once the other bind is up: refused while it still binds, a bind
    # waits for the next operation instead (the test above), and the two binds' answers
    # would otherwise race.
    scripts: list[Script] = [bound_first, *[refuse_bind(w.ESME_RINVPASWD, refused, up)] * 20]
    with ScriptedServer(scripts) as server:
        url = smpp_url(
            server.port,
            binds="2",
            reconnect_delay="0.01",
            reconnect_max_delay="0.6",
            reconnect_jitter="0.5",
        )
        run = run_face(
            face, url, messages(10), connect=True, linger=lambda r: len(refused) >= 3,
            linger_timeout=3,
        )  # fmt: skip
    assert all(o.ok for o in run.outcomes)
    # Tried again (not left down), but each time after the longest back-off, jittered:
    # between 0.3 and 0.6 s, never the 0.01 s doubling that a transient refusal gets.
    assert len(refused) >= 3, refused
    gaps = [b - a for a, b in itertools.pairwise(refused)]
    # Each refusal is answered 0.1 s after its bind arrives (refuse_bind's ``after``).
    assert all(gap >= 0.29 + 0.1 for gap in gaps), gaps
