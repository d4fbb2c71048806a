"""smsc_transports: SMS Center (SMSC) over HTTP(S), SMTP, SMPP and SOAP behind one interface.

::

    from smsc_transports import Message, create_transport

    with create_transport("https://login:password@smsc.ru") as transport:
        result = transport.send(Message(phones=["79991234567"], text="Код: 1234"))

Change the URL's scheme (``smpp://``, ``smtp://``, ``soap://``) to change protocol.

Rule: the names in ``__all__`` are the public contract — add, never rename. The core
modules beside this one (``message``, ``results``, ``statuses``, ``errors``, ``config``,
``encoding``, ``translit``, ``transport``, ``adapters``, ``factory``) import none of
the folders: ``wire/`` (formats and protocol state, sans-I/O), ``backends/`` (I/O),
``emulator/`` (a local SMSC), ``callbacks/``, ``cli/`` and ``contrib/``. The factory
reaches a backend only by the import path its registry names. ``__main__`` is no part
of the core: it runs the ``smsc`` command (``python -m smsc_transports``).
``docs/architecture.md`` draws the whole tree.

The package logs through ``logging.getLogger(__name__)`` loggers under
``smsc_transports`` and never configures logging: a ``NullHandler`` keeps it silent
until the application sets logging up.
"""

import logging

from smsc_transports.config import Secret, Settings, load_settings
from smsc_transports.errors import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    ConnectError,
    DateFormatError,
    DeleteError,
    InsufficientFunds,
    InvalidPhone,
    IPBlocked,
    MessageForbidden,
    NotSent,
    OutcomeUnknown,
    ParameterError,
    ProtocolError,
    RateLimited,
    SMSCError,
    TransportError,
    TransportTimeout,
    Undeliverable,
    UnknownAPIError,
    UnsupportedOperation,
    ValidationError,
    api_error,
)
from smsc_transports.factory import create_async_transport, create_transport
from smsc_transports.message import Attachment, CallParams, Message, MessageKind
from smsc_transports.results import (
    Balance,
    CostOutcome,
    CostResult,
    HlrInfo,
    IncomingMessage,
    OperatorInfo,
    Outcome,
    PhoneResult,
    ScheduledJob,
    SendResult,
    StatusResult,
)
from smsc_transports.statuses import DeliveryError, MessageStatus
from smsc_transports.transport import AsyncTransport, Capability, Transport

__version__ = "0.1.0"

# A library leaves output to the application; without a handler of its own anywhere,
# logging's last resort would print its warnings on stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "APIError",
    "AsyncTransport",
    "Attachment",
    "AuthenticationError",
    "Balance",
    "CallParams",
    "Capability",
    "ConfigurationError",
    "ConnectError",
    "CostOutcome",
    "CostResult",
    "DateFormatError",
    "DeleteError",
    "DeliveryError",
    "HlrInfo",
    "IPBlocked",
    "IncomingMessage",
    "InsufficientFunds",
    "InvalidPhone",
    "Message",
    "MessageForbidden",
    "MessageKind",
    "MessageStatus",
    "NotSent",
    "OperatorInfo",
    "Outcome",
    "OutcomeUnknown",
    "ParameterError",
    "PhoneResult",
    "ProtocolError",
    "RateLimited",
    "SMSCError",
    "ScheduledJob",
    "Secret",
    "SendResult",
    "Settings",
    "StatusResult",
    "Transport",
    "TransportError",
    "TransportTimeout",
    "Undeliverable",
    "UnknownAPIError",
    "UnsupportedOperation",
    "ValidationError",
    "__version__",
    "api_error",
    "create_async_transport",
    "create_transport",
    "load_settings",
]
