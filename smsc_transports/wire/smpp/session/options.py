"""The SMPP backend's options, read once from :class:`~smsc_transports.config.Settings`.

Every option is a URL query parameter or a settings key (``smpp://login:pw@host?window=128``);
``docs/smpp.md`` lists them with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, cast

from smsc_transports.config import Settings, host_list
from smsc_transports.errors import ConfigurationError
from smsc_transports.wire.smpp.command_status import SMSC_STATUS_BASE
from smsc_transports.wire.smpp.pdu import BIND_COMMANDS, MAX_PDU_LENGTH
from smsc_transports.wire.smpp.receipts import ReceiptIdMode
from smsc_transports.wire.smpp.submit import SubmitSettings
from smsc_transports.wire.smpp.text import Coding, LongMode

__all__ = ["MAX_BINDS", "OPTION_NAMES", "BindMode", "SmppOptions"]

BindMode = Literal["trx", "tx", "rx"]
# smsc-protocol.md §3: the backup server for SMSC's own SMPP host.
_BACKUPS = {"smpp.smsc.ru": ("smpp2.smsc.ru",)}
# The most binds one transport opens: each is a TCP connection, a session and (threaded)
# a reader thread, and an SMSC counts binds per account, so more is a mistake, not a plan.
MAX_BINDS = 32


def _choice(settings: Settings, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (settings.get_str(name, default) or default).lower()
    if value not in allowed:
        raise ConfigurationError(f"option {name}={value!r}; choose one of {', '.join(allowed)}")
    return value


def _optional_int(settings: Settings, name: str) -> int | None:
    return None if settings.options.get(name) in (None, "") else settings.get_int(name, 0)


@dataclass(frozen=True, slots=True)
class SmppOptions:
    """How the SMPP backend connects, binds, pipelines and tracks messages.

    Times are seconds. ``window`` submit_sm may be unanswered at once; ``rate`` caps
    messages per second (0 = no cap). A submit unanswered ``response_timeout`` seconds
    after it was written means the link is dead (SMPP 3.4 §2.7 leaves the value to the
    ESME). See ``docs/smpp.md`` for every option.
    """

    host: str
    port: int
    login: str
    password: str = field(repr=False)
    tls: bool = False
    verify: bool = True
    ca_file: str | None = None
    bind: BindMode = "trx"
    binds: int = 1
    system_type: str = ""
    window: int = 64
    rate: float = 0.0
    timeout: float = 10.0
    response_timeout: float = 30.0
    enquire_link_interval: float = 30.0
    reconnect_attempts: int = 5
    reconnect_delay: float = 0.5
    reconnect_max_delay: float = 30.0
    reconnect_jitter: float = 0.5
    throttle_retries: int = 8
    throttle_delay: float = 0.1
    receipt_id: ReceiptIdMode = "auto"
    receipt_store_size: int = 100_000
    receipt_ttl: float = 48 * 3600.0
    receipt_buffer: int = 10_000
    receipt_utc_offset: float = 3.0
    query_sm: bool = True
    status_base: int = SMSC_STATUS_BASE
    max_pdu: int = MAX_PDU_LENGTH
    close_timeout: float = 5.0
    backup_hosts: tuple[tuple[str, int], ...] = ()
    submit: SubmitSettings = field(default_factory=SubmitSettings)

    def __post_init__(self) -> None:
        if self.window < 1:
            raise ConfigurationError("window must be at least 1")
        if self.bind not in BIND_COMMANDS:
            raise ConfigurationError(f"bind must be trx, tx or rx, not {self.bind!r}")
        if not 1 <= self.binds <= MAX_BINDS:
            raise ConfigurationError(f"binds must be 1…{MAX_BINDS}, not {self.binds}")
        if not 0 <= self.reconnect_jitter <= 1:
            raise ConfigurationError("reconnect_jitter must be within 0…1")
        if self.receipt_store_size < 1 or self.receipt_buffer < 1:
            raise ConfigurationError("receipt_store_size and receipt_buffer must be positive")

    @property
    def hosts(self) -> tuple[str, ...]:
        """The host, then its backups, in the order reconnects try them."""
        return tuple(host for host, _ in self.addresses)

    @property
    def addresses(self) -> tuple[tuple[str, int], ...]:
        """``(host, port)`` of the host and its backups, in the order reconnects try them."""
        return ((self.host, self.port), *self.backup_hosts)

    @property
    def receives(self) -> bool:
        """Whether the bind lets the SMSC send deliver_sm (receipts, incoming)."""
        return self.bind != "tx"

    @property
    def transmits(self) -> bool:
        """Whether the bind lets us submit."""
        return self.bind != "rx"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmppOptions:
        """Read the options; a missing login or password is a ConfigurationError."""
        if not (settings.login and settings.password):
            raise ConfigurationError(
                "SMPP binds with a login and password (system_id = SMSC login); "
                "an API key cannot bind: smpp://login:password@smpp.smsc.ru"
            )
        host, port = settings.address
        if port is None:
            raise ConfigurationError("the SMPP port is unknown")
        backups_text = settings.get_str("backup_hosts")
        # Read now, so a bad entry is refused when the transport is built; a backup
        # host keeps its own port and takes the main one when it names none.
        backups = (
            tuple((h, p or port) for h, p in host_list(backups_text, port))
            if backups_text is not None
            else tuple((h, port) for h in _BACKUPS.get(host, ()))
        )
        submit = SubmitSettings(
            service_type=settings.get_str("service_type", "") or "",
            source_ton=_optional_int(settings, "source_ton"),
            source_npi=_optional_int(settings, "source_npi"),
            dest_ton=settings.get_int("dest_ton", 1),
            dest_npi=settings.get_int("dest_npi", 1),
            registered_delivery=settings.get_int("registered_delivery", 1),
            priority_flag=settings.get_int("priority", 0),
            long_mode=cast(
                LongMode, _choice(settings, "long", "payload", ("payload", "udh", "sar"))
            ),
            coding=cast(Coding, _choice(settings, "coding", "auto", ("auto", "smsc", "ucs2"))),
            default_sender=settings.get_str("sender"),
        )
        return cls(
            host=host,
            port=port,
            login=settings.login,
            password=settings.password.reveal(),
            tls=settings.scheme == "smpps",
            verify=settings.get_bool("verify", True),
            ca_file=settings.get_str("ca_file"),
            bind=cast(BindMode, _choice(settings, "bind", "trx", ("trx", "tx", "rx"))),
            binds=settings.get_int("binds", 1),
            system_type=settings.get_str("system_type", "") or "",
            window=settings.get_int("window", 64),
            rate=settings.get_float("rate", 0.0),
            timeout=settings.get_float("timeout", 10.0),
            response_timeout=settings.get_float("response_timeout", 30.0),
            enquire_link_interval=settings.get_float("enquire_link_interval", 30.0),
            reconnect_attempts=settings.get_int("reconnect_attempts", 5),
            reconnect_delay=settings.get_float("reconnect_delay", 0.5),
            reconnect_max_delay=settings.get_float("reconnect_max_delay", 30.0),
            reconnect_jitter=settings.get_float("reconnect_jitter", 0.5),
            throttle_retries=settings.get_int("throttle_retries", 8),
            throttle_delay=settings.get_float("throttle_delay", 0.1),
            receipt_id=cast(
                ReceiptIdMode, _choice(settings, "receipt_id", "auto", ("auto", "hex", "dec"))
            ),
            receipt_store_size=settings.get_int("receipt_store_size", 100_000),
            receipt_ttl=settings.get_float("receipt_ttl", 48 * 3600.0),
            receipt_buffer=settings.get_int("receipt_buffer", 10_000),
            receipt_utc_offset=_utc_offset(settings),
            query_sm=settings.get_bool("query_sm", True),
            status_base=settings.get_int("status_base", SMSC_STATUS_BASE),
            max_pdu=settings.get_int("max_pdu", MAX_PDU_LENGTH),
            close_timeout=settings.get_float("close_timeout", 5.0),
            backup_hosts=backups,
            submit=submit,
        )


# Every settings option SmppOptions.from_settings reads.
OPTION_NAMES = frozenset(
    {"backup_hosts", "bind", "binds", "ca_file", "close_timeout", "coding", "dest_npi",
     "dest_ton", "enquire_link_interval", "long", "max_pdu", "priority", "query_sm", "rate",
     "receipt_buffer", "receipt_id", "receipt_store_size", "receipt_ttl", "receipt_utc_offset",
     "reconnect_attempts", "reconnect_delay", "reconnect_jitter", "reconnect_max_delay",
     "registered_delivery", "response_timeout", "sender", "service_type", "source_npi",
     "source_ton", "status_base", "system_type", "throttle_delay", "throttle_retries",
     "timeout", "verify", "window"}
)  # fmt: skip


def _utc_offset(settings: Settings) -> float:
    raw = settings.options.get("receipt_utc_offset")
    if raw in (None, ""):
        return 3.0  # SMSC shows its dates in Moscow time (UTC+3)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigurationError(f"receipt_utc_offset={raw!r} is not a number of hours") from None
    if not -14 <= value <= 14:
        raise ConfigurationError("receipt_utc_offset must be within -14…14 hours")
    return value
