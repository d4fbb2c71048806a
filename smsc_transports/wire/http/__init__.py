"""SMSC's HTTP API, sans-I/O: the parameters of each command, and its answers as results.

Rule: like all of ``wire/``, no socket, no ``requests``: values in, values out, so the
HTTP and SOAP backends, the callbacks parser and the emulator's front end share it.
``params`` builds each command's parameters; ``answers`` reads SMSC's JSON answers
into typed results and errors, bounding every number and masking the caller's secrets,
and holds SMSC's Moscow time zone.
"""

from smsc_transports.wire.http.answers import (
    MAX_NUMBER_CHARS,
    MOSCOW,
    check_error,
    decode_answer,
    error_id,
    mask_secrets,
    may_repeat_send,
    parse_balance,
    parse_cost,
    parse_incoming,
    parse_send,
    parse_senders,
    parse_status,
    parse_statuses,
    rate_limited,
    refused_for_load,
    says_duplicate,
)
from smsc_transports.wire.http.params import (
    CHARSET,
    MAX_CONCURRENCY,
    auth_params,
    balance_params,
    list_params,
    message_text,
    period_param,
    send_params,
    status_params,
    time_param,
    valid_param,
)

__all__ = [
    "CHARSET",
    "MAX_CONCURRENCY",
    "MAX_NUMBER_CHARS",
    "MOSCOW",
    "auth_params",
    "balance_params",
    "check_error",
    "decode_answer",
    "error_id",
    "list_params",
    "mask_secrets",
    "may_repeat_send",
    "message_text",
    "parse_balance",
    "parse_cost",
    "parse_incoming",
    "parse_send",
    "parse_senders",
    "parse_status",
    "parse_statuses",
    "period_param",
    "rate_limited",
    "refused_for_load",
    "says_duplicate",
    "send_params",
    "status_params",
    "time_param",
    "valid_param",
]
