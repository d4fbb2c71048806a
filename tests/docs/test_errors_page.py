"""The documentation names every code the library knows, so the tables cannot drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from smsc_transports import errors
from smsc_transports.statuses import DeliveryError, MessageStatus

DOCS = Path(__file__).resolve().parents[2] / "docs"
ERRORS_PAGE = (DOCS / "errors.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("status", list(MessageStatus))
def test_every_status_is_in_the_errors_page(status: MessageStatus) -> None:
    assert f"| {int(status)} | `{status.name}` |" in ERRORS_PAGE


@pytest.mark.parametrize("error", list(DeliveryError))
def test_every_delivery_error_is_in_the_errors_page(error: DeliveryError) -> None:
    assert f"| {int(error)} | `{error.name}` |" in ERRORS_PAGE


@pytest.mark.parametrize(
    "name",
    [
        name
        for name in errors.__all__
        if isinstance(getattr(errors, name), type)
        and issubclass(getattr(errors, name), errors.SMSCError)
    ],
)
def test_every_exception_class_is_in_the_errors_page(name: str) -> None:
    assert name in ERRORS_PAGE
