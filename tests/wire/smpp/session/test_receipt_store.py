"""The receipt store: bounded, time-limited, ids matched in the configured base."""

from __future__ import annotations

from smsc_transports import (
    MessageStatus,
)
from smsc_transports.wire.smpp.receipts import parse_receipt
from smsc_transports.wire.smpp.session.receipt_store import ReceiptStore, Track
from smsc_transports.wire.smpp.short_message import ShortMessage


def receipt(message_id: str, phone: str = "79990000001") -> ShortMessage:
    text = f"id:{message_id} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201"
    return ShortMessage(
        source_addr=phone, esm_class=4, short_message=(text + " stat:DELIVRD").encode()
    )


def test_the_store_holds_a_bounded_number_of_messages_oldest_out_first() -> None:
    store = ReceiptStore(size=3, ttl=1000)
    for n in range(5):
        store.add(str(n + 1), Track(str(n + 1), str(n + 1), "79990000001", ""), now=0)
    assert len(store) == 3 and store.evicted == 2
    assert store.lookup("1", "79990000001") is None
    assert store.lookup("5", "79990000001") is not None


def test_the_store_forgets_messages_older_than_its_ttl() -> None:
    store = ReceiptStore(size=100, ttl=60)
    store.add("1", Track("1", "1", "79990000001", ""), now=0)
    store.add("2", Track("2", "2", "79990000001", ""), now=30)
    store.expire(now=61)
    assert store.lookup("1", "79990000001") is None
    assert store.lookup("2", "79990000001") is not None


def test_a_receipt_id_in_the_same_base_wins_even_if_the_smsc_writes_the_phone_its_way() -> None:
    store = ReceiptStore(size=10, ttl=1000)
    track = Track("77", "77", "79990000001", "")
    store.add("77", track, now=0)
    assert store.for_receipt(parse_receipt(receipt("77", phone="89990000001"))) is track


def test_in_auto_mode_a_converted_id_needs_the_phone_to_match() -> None:
    store = ReceiptStore(size=10, ttl=1000, mode="auto")
    store.add("255", Track("255", "255", "79990000001", ""), now=0)
    assert store.for_receipt(parse_receipt(receipt("ff", phone="79990000002"))) is None
    explicit = ReceiptStore(size=10, ttl=1000, mode="hex")
    explicit.add("255", Track("255", "255", "79990000001", ""), now=0)
    assert explicit.for_receipt(parse_receipt(receipt("ff", phone="79990000002"))) is not None


def test_a_split_message_is_delivered_only_when_every_part_is() -> None:
    track = Track("1", "1", "79990000001", "", parts=2)
    delivered = parse_receipt(receipt("1"))
    track.apply(delivered, delivered.status, None)
    first = track.status
    track.apply(delivered, delivered.status, None)
    assert (first, track.status) == (MessageStatus.TRANSFERRED, MessageStatus.DELIVERED)


class Pending:
    """A stand-in claimant (a ticket's one property the store reads): pending until done."""

    def __init__(self) -> None:
        self.done = False


def test_a_callers_id_is_held_to_each_phone_from_queueing_until_the_store_forgets_it() -> None:
    store = ReceiptStore(size=2, ttl=1000)
    first = Pending()
    assert store.claim("order-1", ["79990000001", "79990000002"], first) is None
    refused = store.claim("order-1", ["+79990000002"], Pending())
    assert refused is not None and refused.field == "id" and "order-1" in str(refused)
    assert store.claim("order-1", ["79990000003"], Pending()) is None  # another phone
    # Accepted: the claim gives way to the alias, which holds the id while remembered.
    track = Track("11", "11", "79990000001", "")
    store.add("11", track, now=0)
    store.alias(track, "order-1", caller=True)
    first.done = True
    assert store.claim("order-1", ["79990000001"], Pending()) is not None
    # The second phone was refused (no alias): its id is free again.
    assert store.claim("order-1", ["79990000002"], Pending()) is None
    for n in (12, 13):  # two more messages push the first out of a store of two
        store.add(str(n), Track(str(n), str(n), "79990000009", ""), now=0)
    assert store.claim("order-1", ["79990000001"], Pending()) is None


def test_a_released_claim_frees_the_id_and_settled_claims_do_not_pile_up() -> None:
    store = ReceiptStore(size=10, ttl=1000)
    abandoned = Pending()
    assert store.claim("7", ["79990000001"], abandoned) is None
    assert store.claim("007", ["79990000001"], Pending()) is not None  # ids compare canonically
    store.release("7", ["79990000001"], abandoned)
    assert store.claim("7", ["79990000001"], Pending()) is None
    claimants = [Pending() for _ in range(1000)]
    for n, claimant in enumerate(claimants):
        assert store.claim(f"m-{n}", ["79990000001"], claimant) is None
        claimant.done = True  # refused, say: nothing left behind
    assert len(store._claims) <= 128
