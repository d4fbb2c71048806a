"""SOAP 1.1 envelopes for SMSC's operations: the server's side of :mod:`.calls`.

A client hands envelopes to ``zeep``; the emulator reads and writes them here.
Untrusted envelopes are parsed with a hardened ``lxml`` parser (no DTD, no entity
expansion, no network, no huge trees), and any document that carries a DOCTYPE is
refused outright: SOAP 1.1 forbids one (§3 of the SOAP note), and it is the door to
entity-expansion and external-entity attacks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from smsc_transports.errors import ProtocolError
from smsc_transports.wire.soap.calls import NAMESPACE, NOT_XML, OPERATIONS, OperationSpec

__all__ = [
    "ENVELOPE_NS",
    "MAX_ENVELOPE_BYTES",
    "EnvelopeError",
    "SoapRequest",
    "build_fault",
    "build_response",
    "parse_request",
    "rewrite_address",
]

ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENVELOPE_NS = "http://www.w3.org/2003/05/soap-envelope"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"
MAX_ENVELOPE_BYTES = 1024 * 1024  # a send is at most 1000 characters of text
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
# Characters XML 1.0 cannot carry; stored texts may hold them, answers must not.
_BY_REQUEST: Mapping[str, OperationSpec] = {spec.request: spec for spec in OPERATIONS.values()}


class EnvelopeError(ProtocolError, ValueError):
    """A request envelope that cannot be answered; ``code`` is the SOAP fault code.

    A :class:`~smsc_transports.errors.ProtocolError` like every other refusal of
    malformed input by this library (and a ``ValueError``, as it always was).
    """

    def __init__(self, message: str, code: str = "Client") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class SoapRequest:
    """One parsed request: the operation and its fields (absent fields are missing)."""

    operation: str
    fields: Mapping[str, str]


def _parser(*, keep_comments: bool = False) -> etree.XMLParser:
    # A parser per call: lxml parsers are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=not keep_comments,
        remove_pis=True,
    )


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse_request(body: bytes) -> SoapRequest:
    """Return the operation and fields of a SOAP 1.1 request, or raise :class:`EnvelopeError`.

    Fields are matched by local name, qualified or not, because clients generated from
    other copies of the WSDL differ on ``elementFormDefault``. Unknown fields are
    ignored, as SMSC's PHP server does (``apikey`` is read, for clients of a newer
    WSDL); a field given twice, or holding elements, is malformed.
    """
    call = _operation_element(_parse_envelope(body))
    spec = _BY_REQUEST.get(_local(call.tag))
    if spec is None or etree.QName(call).namespace != NAMESPACE:
        raise EnvelopeError(f"unknown operation element {call.tag!r}")
    wanted = {*spec.fields, "apikey"}
    fields: dict[str, str] = {}
    for child in call.iterchildren(tag=etree.Element):
        name = _local(child.tag)
        if name not in wanted:
            continue
        if name in fields:
            raise EnvelopeError(f"field {name!r} given twice")
        if len(child):
            raise EnvelopeError(f"field {name!r} must hold text, not elements")
        fields[name] = child.text or ""
    return SoapRequest(spec.name, fields)


def _parse_envelope(body: bytes) -> etree._Element:
    if len(body) > MAX_ENVELOPE_BYTES:
        raise EnvelopeError(f"envelope larger than {MAX_ENVELOPE_BYTES} bytes")
    if _DOCTYPE.search(body):
        raise EnvelopeError("a DOCTYPE or ENTITY declaration is not allowed in SOAP")
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise EnvelopeError(f"malformed XML: {exc.msg}") from None
    # The byte check above misses a DOCTYPE in UTF-16; the parsed document does not.
    if root.getroottree().docinfo.doctype:
        raise EnvelopeError("a DOCTYPE is not allowed in SOAP")
    if root.tag == f"{{{SOAP12_ENVELOPE_NS}}}Envelope":
        raise EnvelopeError("only SOAP 1.1 envelopes are understood", code="VersionMismatch")
    if root.tag != f"{{{ENVELOPE_NS}}}Envelope":
        raise EnvelopeError("the document is not a SOAP 1.1 envelope")
    return root


def _operation_element(root: etree._Element) -> etree._Element:
    bodies = root.findall(f"{{{ENVELOPE_NS}}}Body")
    if len(bodies) != 1:
        raise EnvelopeError("a SOAP envelope needs exactly one Body")
    calls = list(bodies[0].iterchildren(tag=etree.Element))
    if len(calls) != 1:
        raise EnvelopeError("the SOAP Body must hold exactly one operation element")
    return calls[0]


def _text(value: str) -> str:
    return NOT_XML.sub("\ufffd", value)


def _serialize(envelope: etree._Element) -> bytes:
    result: bytes = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    return result


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{ENVELOPE_NS}}}Envelope", nsmap={"SOAP-ENV": ENVELOPE_NS})
    return envelope, etree.SubElement(envelope, f"{{{ENVELOPE_NS}}}Body")


def build_response(
    operation: str, result: Mapping[str, str | Sequence[Mapping[str, str]]]
) -> bytes:
    """Return the response envelope of ``operation`` carrying ``result``.

    Fields go out in schema order (strict clients insist on it); ``errors`` of
    ``send_sms2`` is a list of ``{"phone", "status"}`` mappings; fields not in the
    schema are dropped.
    """
    spec = OPERATIONS[operation]
    envelope, body = _envelope()
    response = etree.SubElement(body, f"{{{NAMESPACE}}}{spec.response}", nsmap={"ns1": NAMESPACE})
    holder = etree.SubElement(response, spec.result)
    for name in spec.result_fields:
        value = result.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            etree.SubElement(holder, name).text = _text(value)
            continue
        for entry in value:
            item = etree.SubElement(holder, name)
            for key in ("phone", "status"):
                etree.SubElement(item, key).text = _text(entry.get(key, ""))
    return _serialize(envelope)


def build_fault(message: str, code: str = "Client") -> bytes:
    """Return a SOAP 1.1 Fault envelope (``code`` is Client, Server or VersionMismatch)."""
    envelope, body = _envelope()
    fault = etree.SubElement(body, f"{{{ENVELOPE_NS}}}Fault")
    etree.SubElement(fault, "faultcode").text = f"SOAP-ENV:{code}"
    etree.SubElement(fault, "faultstring").text = _text(message)
    return _serialize(envelope)


def rewrite_address(wsdl: bytes, address: str) -> bytes:
    """Return ``wsdl`` (a trusted document, the shipped one) with every port at ``address``."""
    root = etree.fromstring(wsdl, parser=_parser(keep_comments=True))
    for node in root.iter(f"{{{WSDL_SOAP_NS}}}address"):
        node.set("location", address)
    result: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return result
