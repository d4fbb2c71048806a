"""Attachment values: whatever a caller passes is an attachment that is safe to put in a
multipart header, or a ValidationError — never anything else."""

from __future__ import annotations

import re

import pytest
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


_HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,12}(\.[a-z]{2,6}){1,2}", fullmatch=True)
_PATHS = st.text(st.characters(codec="ascii", exclude_characters="#?"), max_size=30)
# Mostly URL-shaped input (every branch of the check is reached), and anything at all.
_URLS = st.one_of(
    st.builds(
        lambda scheme, user, host, path: f"{scheme}{user}{host}/{path}",
        st.sampled_from(["http://", "https://", "ftp://", "file://", ""]),
        st.sampled_from(["", "user:pw@", "user@"]),
        _HOSTS,
        _PATHS,
    ),
    st.text(max_size=200),
)


@given(_URLS)
def test_any_url_gives_an_http_url_without_credentials_or_a_validation_error(url: str) -> None:
    try:
        attachment = Attachment.from_url(url)
    except ValidationError:
        return
    assert attachment.url == url
    assert url.startswith(("http://", "https://"))
    assert "@" not in url.split("/", 3)[2]
    assert not re.search(r"\s", url)


def test_plain_web_addresses_are_taken() -> None:
    # The property above holds only if acceptance happens at all: pin both sides.
    for url in ("https://example.org/a.pdf", "http://cdn.example.com/img/logo.png"):
        assert Attachment.from_url(url).url == url
    assert Attachment.from_url("https://example.org/a.pdf").name == "a.pdf"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/a.pdf",
        "https://user:pw@example.org/a.pdf",
        "https://example.org/a b.pdf",
        "example.org/a.pdf",
    ],
)
def test_other_addresses_are_refused(url: str) -> None:
    with pytest.raises(ValidationError):
        Attachment.from_url(url)


def test_an_mms_survives_replace_with_its_attachments() -> None:
    message = Message(
        "79990000001",
        "",
        kind=MessageKind.MMS,
        attachments=[Attachment.from_bytes("a.png", b"png")],
    )
    assert message.replace(text="now with text").attachments == message.attachments
