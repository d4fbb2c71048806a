"""Over SOAP too, ``send_many`` stops sending when the account runs out of money.

Every refusal the emulator gives is a real SOAP request it answered; after the first
one, the messages not yet on their way must end as ``NotSent`` without a request.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from smsc_transports import InsufficientFunds, Message, NotSent, create_transport
from tests.backends.soap.conftest import SoapPeer

CONCURRENCY = 4


@pytest.mark.parametrize("concurrency", [1, CONCURRENCY])
def test_running_out_of_money_stops_the_batch(peer: SoapPeer, concurrency: int) -> None:
    peer.emulator.state.set_balance("demo", Decimal("5.00"))
    messages = [Message(f"7999{n:07d}", f"text {n}", id=f"m{n}") for n in range(100)]
    with create_transport(peer.url(concurrency=concurrency)) as transport:
        outcomes = list(transport.send_many(messages))
    assert [o.index for o in outcomes] == list(range(100))
    accepted = [o for o in outcomes if o.ok]
    refused = [o for o in outcomes if isinstance(o.error, InsufficientFunds)]
    skipped = [o for o in outcomes if isinstance(o.error, NotSent)]
    assert accepted and refused and skipped
    assert len(accepted) + len(refused) + len(skipped) == 100
    # Only requests already on their way when the money ran out were refused.
    assert len(refused) <= concurrency
    assert all(isinstance(o.error, NotSent) for o in outcomes[outcomes.index(skipped[0]) :])
