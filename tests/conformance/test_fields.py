"""Every Message field means one thing on every protocol: sent, mapped, or refused.

Each row of :data:`~tests.conformance.fields.FIELD_ROWS` is played over HTTP, SOAP,
SMTP and SMPP, sync and async, against the emulator. A protocol the code declares as
carrying the field must make SMSC store exactly what HTTP makes it store; one declared
as refusing it must raise ``ValidationError`` for that field with nothing stored. The
field table in ``docs/conformance.md`` is the declaration these plays confirmed.
"""

from __future__ import annotations

import pytest

from smsc_transports import Message, ValidationError
from smsc_transports.field_support import FIELDS
from smsc_transports.wire.smpp.submit import SubmitEncoder, SubmitSettings
from tests.conformance.fields import (
    FIELD_PROFILES,
    FIELD_ROWS,
    OK,
    PLAIN,
    Effect,
    FieldObservations,
    FieldRow,
    Refused,
    expected,
    render_field_table,
    support,
)
from tests.conformance.stage import MODES, Mode, Profile
from tests.conformance.table import PAGE


@pytest.fixture(scope="session")
def field_observations() -> FieldObservations:
    """One play of each (row, protocol, mode) per session."""
    return FieldObservations()


def _name(item: FieldRow | Profile) -> str:
    return item.title if isinstance(item, FieldRow) else item.key


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("profile", FIELD_PROFILES, ids=_name)
@pytest.mark.parametrize("row", FIELD_ROWS, ids=_name)
def test_each_field_is_sent_mapped_or_refused_as_declared(
    field_observations: FieldObservations, row: FieldRow, profile: Profile, mode: Mode
) -> None:
    http = field_observations.get(row, FIELD_PROFILES[0], mode)
    assert isinstance(http, Effect), "HTTP sends every field"
    seen = field_observations.get(row, profile, mode)
    assert seen == expected(row, profile, http)


def test_every_row_changes_what_smsc_stores(field_observations: FieldObservations) -> None:
    # A row whose field changed nothing would pass for a field that is silently dropped.
    plain = FieldRow("plain", "none", lambda: Message([OK], PLAIN))
    baseline = field_observations.get(plain, FIELD_PROFILES[0], "sync")
    assert isinstance(baseline, Effect)
    for row in FIELD_ROWS:
        effect = field_observations.get(row, FIELD_PROFILES[0], "sync")
        assert isinstance(effect, Effect)
        assert effect != baseline, row.title
        # A message with an id must be found by it (False would differ from the
        # baseline's None too, and pass above, with the id dropped everywhere).
        assert effect.found_by_id is not False, row.title


def test_every_declared_field_has_a_row_and_no_cell_is_a_silent_drop() -> None:
    assert {row.field for row in FIELD_ROWS} == {*FIELDS, "kind"}
    table = render_field_table()
    assert "dropped" not in table
    for row in FIELD_ROWS:
        assert "https" in support(row).carried  # HTTP is the reference: it sends everything


def test_a_refusal_names_the_protocols_that_can() -> None:
    with pytest.raises(ValidationError) as refused:
        SubmitEncoder(SubmitSettings()).encode(Message("79990000001", "hi", extra={"later": "1"}))
    assert refused.value.field == "extra"
    assert "later" in str(refused.value) and "https, soap" in str(refused.value)


def test_the_docs_page_holds_the_field_table() -> None:
    assert render_field_table() in PAGE.read_text("utf-8")


def test_refused_means_nothing_was_stored(field_observations: FieldObservations) -> None:
    for row in FIELD_ROWS:
        for profile in FIELD_PROFILES:
            seen = field_observations.get(row, profile, "sync")
            if isinstance(seen, Refused):
                assert seen.stored == 0, (row.title, profile.key)
