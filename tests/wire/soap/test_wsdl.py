"""The shipped WSDL holds every operation and field smsc-protocol.md §4 documents.

The table below is written from the protocol notes, not from the library's own table,
so a typo in either shows up here.
"""

from __future__ import annotations

from importlib import resources

import pytest
from lxml import etree

from smsc_transports.wire.soap import calls as wire

WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XS = "http://www.w3.org/2001/XMLSchema"
TNS = "https://smsc.ru/sys/soap.php"

STATUS_RESULT = [
    "status",
    "last_date",
    "last_timestamp",
    "err",
    "error",
    "send_date",
    "send_timestamp",
    "phone",
    "cost",
    "sender_id",
    "status_name",
    "message",
    "operator",
    "region",
]
REQUIRED_SEND = [("login", True), ("psw", True), ("phones", True), ("mes", True)]
# operation: (request element, [(field, required)], response element, result child,
#             result type, result fields)
FACTS = {
    "send_sms": (
        "send",
        [
            ("login", True),
            ("psw", True),
            ("phones", True),
            ("mes", True),
            ("id", False),
            ("sender", False),
            ("time", False),
        ],
        "SendResponse",
        "sendresult",
        "SendResponseType",
        ["id", "balance", "cost", "cnt", "error"],
    ),
    "send_sms2": (
        "send2",
        [
            ("login", True),
            ("psw", True),
            ("phones", True),
            ("mes", True),
            ("id", False),
            ("sender", False),
            ("time", False),
            ("query", False),
        ],
        "Send2Response",
        "sendresult",
        "Send2ResponseType",
        ["id", "balance", "cost", "cnt", "error", "errors"],
    ),
    "get_sms_cost": (
        "cost",
        [("login", True), ("psw", True), ("phones", True), ("mes", True)],
        "CostResponse",
        "costresult",
        "CostResponseType",
        ["cost", "cnt", "error"],
    ),
    "get_sms_cost2": (
        "cost2",
        [("login", True), ("psw", True), ("phones", True), ("mes", True), ("query", True)],
        "Cost2Response",
        "costresult",
        "Cost2ResponseType",
        ["cost", "cnt", "error"],
    ),
    "get_status": (
        "status",
        [("login", True), ("psw", True), ("phone", True), ("id", True), ("all", False)],
        "StatusResponse",
        "statusresult",
        "StatusResponseType",
        STATUS_RESULT,
    ),
    "get_status2": (
        "status2",
        [
            ("login", True),
            ("psw", True),
            ("phone", True),
            ("id", True),
            ("all", False),
            ("query", True),
        ],
        "Status2Response",
        "statusresult",
        "Status2ResponseType",
        STATUS_RESULT,
    ),
    "get_balance": (
        "balance",
        [("login", True), ("psw", True)],
        "BalanceResponse",
        "balanceresult",
        "BalanceResponseType",
        ["balance", "error"],
    ),
}


@pytest.fixture(scope="module")
def root() -> etree._Element:
    data = (resources.files("smsc_transports.wire.soap") / "smsc.wsdl").read_bytes()
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _schema(root: etree._Element) -> etree._Element:
    return root.find(f"{{{WSDL}}}types/{{{XS}}}schema")


def _sequence_of(node: etree._Element) -> list[etree._Element]:
    return list(node.findall(f".//{{{XS}}}sequence/{{{XS}}}element"))


def test_the_wsdl_names_smscs_namespace_service_and_port(root: etree._Element) -> None:
    assert root.get("targetNamespace") == TNS
    assert _schema(root).get("targetNamespace") == TNS
    service = root.find(f"{{{WSDL}}}service")
    assert service.get("name") == "Service"
    port = service.find(f"{{{WSDL}}}port")
    assert port.get("name") == "ServiceSoap"
    assert port.find(f"{{{WSDL_SOAP}}}address").get("location") == TNS


def test_the_binding_is_document_literal_with_one_soap_action(root: etree._Element) -> None:
    binding = root.find(f"{{{WSDL}}}binding")
    assert binding.find(f"{{{WSDL_SOAP}}}binding").get("style") == "document"
    operations = binding.findall(f"{{{WSDL}}}operation")
    assert sorted(op.get("name") for op in operations) == sorted(FACTS)
    for operation in operations:
        assert operation.find(f"{{{WSDL_SOAP}}}operation").get("soapAction") == TNS
        for body in operation.iter(f"{{{WSDL_SOAP}}}body"):
            assert body.get("use") == "literal"


@pytest.mark.parametrize("operation", sorted(FACTS))
def test_each_operation_has_the_documented_request_fields(
    root: etree._Element, operation: str
) -> None:
    request, fields, *_ = FACTS[operation]
    element = _schema(root).find(f"{{{XS}}}element[@name='{request}']")
    found = [
        (e.get("name"), e.get("minOccurs", "1") != "0", e.get("type"))
        for e in _sequence_of(element)
    ]
    assert found == [(name, required, "xs:string") for name, required in fields]


@pytest.mark.parametrize("operation", sorted(FACTS))
def test_each_operation_answers_the_documented_result_fields(
    root: etree._Element, operation: str
) -> None:
    _, _, response, child, result_type, fields = FACTS[operation]
    schema = _schema(root)
    wrapper = _sequence_of(schema.find(f"{{{XS}}}element[@name='{response}']"))
    assert [(e.get("name"), e.get("type")) for e in wrapper] == [(child, f"tns:{result_type}")]
    result = _sequence_of(schema.find(f"{{{XS}}}complexType[@name='{result_type}']"))
    assert [e.get("name") for e in result] == fields
    for element in result:
        assert element.get("minOccurs") == "0"  # an error answer carries only `error`
        expected = "tns:Error" if element.get("name") == "errors" else "xs:string"
        assert element.get("type") == expected


def test_refused_numbers_are_a_list_of_phone_and_status(root: etree._Element) -> None:
    schema = _schema(root)
    errors = schema.find(f"{{{XS}}}complexType[@name='Send2ResponseType']//*[@name='errors']")
    assert errors.get("maxOccurs") == "unbounded"
    error_type = _sequence_of(schema.find(f"{{{XS}}}complexType[@name='Error']"))
    assert [(e.get("name"), e.get("type"), e.get("minOccurs")) for e in error_type] == [
        ("phone", "xs:string", None),
        ("status", "xs:string", None),
    ]


@pytest.mark.parametrize("operation", sorted(FACTS))
def test_messages_and_port_type_tie_each_operation_to_its_elements(
    root: etree._Element, operation: str
) -> None:
    request, _, response, *_ = FACTS[operation]
    port_type = root.find(f"{{{WSDL}}}portType[@name='ServiceSoap']")
    op = port_type.find(f"{{{WSDL}}}operation[@name='{operation}']")
    for direction, element in (("input", request), ("output", response)):
        message_name = op.find(f"{{{WSDL}}}{direction}").get("message").partition(":")[2]
        part = root.find(f"{{{WSDL}}}message[@name='{message_name}']/{{{WSDL}}}part")
        assert part.get("element") == f"tns:{element}"


def test_the_librarys_operation_table_agrees_with_the_facts() -> None:
    for name, (request, fields, response, child, _, result_fields) in FACTS.items():
        spec = wire.OPERATIONS[name]
        assert spec.request == request
        assert list(spec.fields) == [f for f, _ in fields]
        assert spec.required == {f for f, required in fields if required}
        assert (spec.response, spec.result) == (response, child)
        assert list(spec.result_fields) == result_fields


def test_wsdl_bytes_is_the_file_shipped_in_the_package() -> None:
    shipped = (resources.files("smsc_transports.wire.soap") / "smsc.wsdl").read_bytes()
    assert wire.wsdl_bytes() == shipped
    assert b"<!DOCTYPE" not in shipped
