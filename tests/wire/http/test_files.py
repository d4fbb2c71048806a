"""multipart_body: the form of a POST with files, read back as the emulator reads it.

The emulator (``smsc_transports/emulator/http/params.py``) reads a multipart body with
the standard library's e-mail parser under the HTTP policy; so does this test, so a
body the transport writes is one a standard reader takes apart into the same fields
and files.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsc_transports.wire.http import FilePart, multipart_body

Parsed = tuple[list[tuple[str, str]], list[tuple[str, str, str, bytes]]]


def _parse(body: bytes, content_type: str) -> Parsed:
    """Fields (values UTF-8) and files ``(field, file name, content type, content)``."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    assert message.is_multipart()
    assert not message.defects, message.defects
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, str, str, bytes]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        assert isinstance(name, str) and isinstance(payload, bytes)
        filename = part.get_filename()
        if filename is None:
            fields.append((name, payload.decode()))
        else:
            files.append((name, filename, part.get_content_type(), payload))
    return fields, files


def _boundary(content_type: str) -> str:
    kind, _, boundary = content_type.partition("; boundary=")
    assert kind == "multipart/form-data"
    return boundary


PICTURE = bytes(range(256)) * 4 + b"\r\n--\r\n\r\n--end--\r\n"


def test_every_field_and_file_reads_back() -> None:
    fields = {"login": "shop", "psw": 'pa$$ "w0rd"', "mes": "Привет, мир!", "empty": ""}
    files: list[FilePart] = [
        ("file0", ("картинка.png", PICTURE, "image/png")),
        ("file1", ("notes.txt", "заметка\n".encode(), "text/plain")),
        ("file2", ("empty.bin", b"", "application/octet-stream")),
    ]
    body, content_type = multipart_body(fields, files)
    parsed_fields, parsed_files = _parse(body, content_type)
    assert parsed_fields == list(fields.items())
    assert parsed_files == [
        ("file0", "картинка.png", "image/png", PICTURE),
        ("file1", "notes.txt", "text/plain", "заметка\n".encode()),
        ("file2", "empty.bin", "application/octet-stream", b""),
    ]


def test_a_given_boundary_is_used_when_no_part_holds_it() -> None:
    body, content_type = multipart_body({"a": "1"}, [], boundary="fixed-boundary-for-tests")
    assert _boundary(content_type) == "fixed-boundary-for-tests"
    assert body == (
        b"--fixed-boundary-for-tests\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        b"--fixed-boundary-for-tests--\r\n"
    )


@pytest.mark.parametrize("where", ["field", "file"])
def test_a_boundary_found_inside_a_part_is_never_used(where: str) -> None:
    boundary = "abc123"
    trap = f"before\r\n--{boundary}\r\nafter --{boundary}--"
    fields = {"mes": trap if where == "field" else "plain"}
    files: list[FilePart] = [("file0", ("a.bin", trap.encode() if where == "file" else b"x", ""))]
    body, content_type = multipart_body(fields, files, boundary=boundary)
    chosen = _boundary(content_type)
    assert chosen != boundary
    assert chosen not in trap
    # The body holds the chosen boundary only as delimiters: one per part and a close.
    assert body.count(f"--{chosen}".encode()) == 3
    parsed_fields, parsed_files = _parse(body, content_type)
    assert parsed_fields[0][1] == fields["mes"]
    assert parsed_files[0][3] == (trap.encode() if where == "file" else b"x")


def test_the_random_boundary_differs_between_bodies() -> None:
    first = _boundary(multipart_body({"a": "1"}, [])[1])
    second = _boundary(multipart_body({"a": "1"}, [])[1])
    assert first != second
    assert len(first) >= 16


def test_quotes_and_line_breaks_in_names_cannot_break_the_part_head() -> None:
    body, content_type = multipart_body(
        {'na"me\r\nX-Injected: 1': "v"}, [("f", ('evil"\r\n.png', b"x", "image/png"))]
    )
    assert b"\r\nX-Injected" not in body
    fields, files = _parse(body, content_type)
    assert fields == [("na%22me%0D%0AX-Injected: 1", "v")]
    assert files[0][1] == "evil%22%0D%0A.png"


# The e-mail parser strips the blanks around a parameter (a name SMSC never gets from
# a user's file), reads a backslash as an escape and "<>" as an empty address.
names = st.text(
    st.characters(exclude_categories=["Cs", "Cc"], exclude_characters='"\\<>'),
    min_size=1,
    max_size=12,
).filter(lambda name: name == name.strip())
values = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@given(
    st.dictionaries(names, values, min_size=1, max_size=5),  # credentials, at least
    st.lists(st.tuples(names, st.binary(max_size=200)), max_size=3),
)
def test_any_fields_and_files_read_back(
    fields: dict[str, str], blobs: list[tuple[str, bytes]]
) -> None:
    files: list[FilePart] = [
        (f"file{index}", (filename, content, "application/octet-stream"))
        for index, (filename, content) in enumerate(blobs)
    ]
    body, content_type = multipart_body(fields, files)
    parsed_fields, parsed_files = _parse(body, content_type)
    assert parsed_fields == list(fields.items())
    assert [(f, n, c) for f, n, _, c in parsed_files] == [
        (field, filename, content) for field, (filename, content, _) in files
    ]
