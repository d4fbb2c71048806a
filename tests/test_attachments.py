"""Attachment values: whatever a caller passes is an attachment that is safe to put in a
multipart header, or a ValidationError — never anything else."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from smsc_transports import Attachment, Message, MessageKind, ValidationError


@given(st.text(max_size=120), st.binary(max_size=50))
def test_any_name_gives_a_header_safe_attachment_or_a_validation_error(
    name: str, content: bytes
) -> None:
    try:
        attachment = Attachment.from_bytes(name, content)
    except ValidationError:
        return
    assert not re.search(r'[/\\"\x00-\x1f\x7f]', attachment.name)
    assert attachment.content == content
    assert 0 < len(attachment.name) <= 100


@given(st.text(max_size=200))
def test_any_url_gives_an_http_url_without_credentials_or_a_validation_error(url: str) -> None:
    try:
        attachment = Attachment.from_url(url)
    except ValidationError:
        return
    assert attachment.url == url
    assert url.startswith(("http://", "https://"))
    assert "@" not in url.split("/", 3)[2]
    assert not re.search(r"\s", url)


def test_an_mms_survives_replace_with_its_attachments() -> None:
    message = Message(
        "79990000001",
        "",
        kind=MessageKind.MMS,
        attachments=[Attachment.from_bytes("a.png", b"png")],
    )
    assert message.replace(text="now with text").attachments == message.attachments
