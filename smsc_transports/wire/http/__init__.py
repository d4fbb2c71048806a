"""SMSC's HTTP API, sans-I/O: the parameters of each command, and its answers as results.

Rule: like all of ``wire/``, no socket, no ``requests``: values in, values out, so the
HTTP and SOAP backends, the callbacks parser and the emulator's front end share it.
``params`` builds each command's parameters; ``answers`` reads SMSC's JSON answers
into typed results and errors, bounding every number and masking the caller's secrets,
and holds SMSC's Moscow time zone; ``account`` does both for the rest of the API
(history filters and paging, operator, jobs, sender names, HLR's ``fmt=1`` form, raw
calls); ``files`` builds the multipart form of a message with attachments;
``framing`` writes an HTTP/1.1 request and reads the answer's framing (the HTTP
backend speaks HTTP itself).
"""

from smsc_transports.wire.http.account import (
    MAX_HISTORY,
    add_sender_params,
    cancel_job_params,
    check_done,
    confirm_sender_params,
    history_params,
    hlr_from_fields,
    jobs_params,
    operator_params,
    parse_hlr_line,
    parse_jobs,
    parse_operator,
    raw_request,
    sender_code_params,
)
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
from smsc_transports.wire.http.files import (
    DEFAULT_MAX_ATTACHMENT_BYTES,
    FilePart,
    file_parts,
    multipart_body,
)
from smsc_transports.wire.http.params import (
    CHARSET,
    MAX_CONCURRENCY,
    auth_params,
    balance_params,
    form_body,
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
    "DEFAULT_MAX_ATTACHMENT_BYTES",
    "MAX_CONCURRENCY",
    "MAX_HISTORY",
    "MAX_NUMBER_CHARS",
    "MOSCOW",
    "FilePart",
    "add_sender_params",
    "auth_params",
    "balance_params",
    "cancel_job_params",
    "check_done",
    "check_error",
    "confirm_sender_params",
    "decode_answer",
    "error_id",
    "file_parts",
    "form_body",
    "history_params",
    "hlr_from_fields",
    "jobs_params",
    "list_params",
    "mask_secrets",
    "may_repeat_send",
    "message_text",
    "multipart_body",
    "operator_params",
    "parse_balance",
    "parse_cost",
    "parse_hlr_line",
    "parse_incoming",
    "parse_jobs",
    "parse_operator",
    "parse_send",
    "parse_senders",
    "parse_status",
    "parse_statuses",
    "period_param",
    "rate_limited",
    "raw_request",
    "refused_for_load",
    "says_duplicate",
    "send_params",
    "sender_code_params",
    "status_params",
    "time_param",
    "valid_param",
]
