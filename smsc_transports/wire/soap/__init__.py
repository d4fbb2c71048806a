"""SMSC's SOAP API, sans-I/O: operations, their parameters and answers, the envelopes.

Rule: pure functions over values and XML bytes; imports only the standard library, lxml,
the core modules and ``wire/http`` (SOAP answers carry the HTTP API's codes and dates);
never a socket and never ``zeep`` (the backend's client). ``calls`` maps a Message to an
operation and an answer to results, ``envelope`` reads and writes SOAP 1.1 envelopes
(the emulator's side), ``smsc.wsdl`` is SMSC's service description as shipped.
"""

from smsc_transports.wire.soap.calls import (
    DEFAULT_ADDRESS,
    ENDPOINT_PATH,
    NAMESPACE,
    OPERATIONS,
    SOAP_ACTION,
    OperationSpec,
    SoapCall,
    balance_call,
    check_error,
    cost_call,
    credential_fields,
    parse_balance,
    parse_cost,
    parse_send,
    parse_status,
    rate_limited,
    send_call,
    status_call,
    wsdl_bytes,
)
from smsc_transports.wire.soap.envelope import (
    ENVELOPE_NS,
    MAX_ENVELOPE_BYTES,
    EnvelopeError,
    SoapRequest,
    build_fault,
    build_response,
    parse_request,
    rewrite_address,
)

__all__ = [
    "DEFAULT_ADDRESS",
    "ENDPOINT_PATH",
    "ENVELOPE_NS",
    "MAX_ENVELOPE_BYTES",
    "NAMESPACE",
    "OPERATIONS",
    "SOAP_ACTION",
    "EnvelopeError",
    "OperationSpec",
    "SoapCall",
    "SoapRequest",
    "balance_call",
    "build_fault",
    "build_response",
    "check_error",
    "cost_call",
    "credential_fields",
    "parse_balance",
    "parse_cost",
    "parse_request",
    "parse_send",
    "parse_status",
    "rate_limited",
    "rewrite_address",
    "send_call",
    "status_call",
    "wsdl_bytes",
]
