"""SMSC's e-mail-to-SMS format, sans-I/O: the body, the MIME message, the SMTP replies.

Rule: pure functions over strings and bytes; imports only the standard library and the
core modules; never a socket. The client (``backends/smtp``), the emulator's SMTP front
end and the tests share it. ``body`` is the ``login:psw:…`` body with its injection
rules, ``mime`` the e-mail around it, ``replies`` how an SMTP reply carries SMSC's
answer.
"""

from smsc_transports.wire.mail.body import (
    CHARSETS,
    MAILBOXES,
    MAX_MAIL_BYTES,
    SMSC_DEFAULT_CHARSET,
    TRANSFER_ENCODINGS,
    BodyForm,
    MailBody,
    TransferEncoding,
    body_from_message,
    build_body,
    mail_time,
    new_message_id,
    parse_body,
)
from smsc_transports.wire.mail.mime import (
    ComposedMail,
    check_address,
    check_helo_name,
    compose_mail,
    parse_mail,
)
from smsc_transports.wire.mail.replies import (
    parse_accepted_parts,
    parse_smsc_reply,
    smsc_reply,
)

__all__ = [
    "CHARSETS",
    "MAILBOXES",
    "MAX_MAIL_BYTES",
    "SMSC_DEFAULT_CHARSET",
    "TRANSFER_ENCODINGS",
    "BodyForm",
    "ComposedMail",
    "MailBody",
    "TransferEncoding",
    "body_from_message",
    "build_body",
    "check_address",
    "check_helo_name",
    "compose_mail",
    "mail_time",
    "new_message_id",
    "parse_accepted_parts",
    "parse_body",
    "parse_mail",
    "parse_smsc_reply",
    "smsc_reply",
]
