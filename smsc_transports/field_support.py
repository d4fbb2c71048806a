"""Which protocol carries which :class:`~smsc_transports.message.Message` field, and how.

One declaration per option field (:data:`FIELDS`): SMSC's parameter, and for each
protocol family (``https``, ``soap``, ``smtp``, ``smpp``: the names
:class:`~smsc_transports.errors.UnsupportedOperation` uses) how the field travels. A
protocol missing from a field's ``carried`` refuses it: each wire format calls
:func:`refuse_uncarried` before building anything, which raises
:class:`~smsc_transports.errors.ValidationError` naming the protocols that can send it.
So a field is sent, mapped or refused, never dropped, and ``docs/conformance.md``'s field
table is written from this declaration and checked against what each protocol does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from smsc_transports.errors import ValidationError
from smsc_transports.message import KIND_FLAGS, TYPED_PARAMETERS, Message, MessageKind

__all__ = [
    "FIELDS",
    "KINDS",
    "PROTOCOLS",
    "FieldSupport",
    "fields_in_use",
    "refuse_uncarried",
]

PROTOCOLS = ("https", "soap", "smtp", "smpp")


@dataclass(frozen=True, slots=True)
class FieldSupport:
    """One Message field: SMSC's parameter and how each protocol carries it.

    ``carried`` maps a protocol family to a short phrase (Markdown) saying how the
    field travels there; a protocol not in it refuses the field.
    """

    field: str
    parameter: str
    carried: Mapping[str, str]

    @property
    def refused_by(self) -> tuple[str, ...]:
        """The protocols that refuse the field."""
        return tuple(p for p in PROTOCOLS if p not in self.carried)


# The send.php parameter of each typed field, from the table Message checks ``extra`` by.
_PARAMETER_OF = {field: parameter for parameter, field in TYPED_PARAMETERS.items()}


def _support(field: str, parameter: str | None = None, **carried: str) -> FieldSupport:
    """``field``'s declaration; ``parameter`` only for a field with no typed parameter."""
    return FieldSupport(field, parameter or _PARAMETER_OF[field], MappingProxyType(carried))


_QUERY = "in `send_sms2`'s `query`"
FIELDS: Mapping[str, FieldSupport] = MappingProxyType(
    {
        s.field: s
        for s in (
            _support(
                "sender",
                https="`sender`",
                soap="`sender`",
                smtp="body `sender`",
                smpp="`source_addr`",
            ),
            _support(
                "id",
                "id",
                https="`id`",
                soap="`id`",
                smtp="body `id`",
                smpp="kept by the transport: status by it on this transport; SMSC assigns its own",
            ),
            _support(
                "translit",
                https="`translit`",
                soap=_QUERY,
                smtp="body `translit`",
                smpp="applied locally",
            ),
            _support(
                "send_at",
                https="`time`",
                soap="`time`",
                smtp="body `time`",
                smpp="`schedule_delivery_time`",
            ),
            _support(
                "tz",
                https="`tz`",
                soap=_QUERY,
                smtp="body `tz`",
                smpp="`schedule_delivery_time` (read in Moscow time + `tz`)",
            ),
            _support(
                "valid",
                https="`valid`",
                soap=_QUERY,
                smpp="`validity_period`",
            ),
            _support(
                "max_parts",
                https="`maxsms`",
                soap=_QUERY,
                smpp="text cut locally to `max_parts` parts",
            ),
            _support("subject", https="`subj`", soap=_QUERY),
            _support("voice", https="`voice`", soap=_QUERY),
            _support("call_params", https="`param`", soap=_QUERY),
            _support("spread_over", https="`period`", soap=_QUERY),
            _support("spread_every", https="`freq`", soap=_QUERY),
            _support("short_links", https="`tinyurl=1`", soap=_QUERY),
            _support("partner_id", https="`pp`", soap=_QUERY),
            _support("user_ip", https="`userip`", soap=_QUERY),
            _support(
                "data",
                "bin",
                https="`bin=2`, hex `mes`",
                soap="hex `mes`, `bin=2` " + _QUERY,
                smtp="body format 5, hex text",
                smpp="octets, `data_coding` 4 (UDHI with a header)",
            ),
            _support(
                "attachments",
                "file0…, fileurl",
                https="`file0`, `file1`… parts of a multipart POST, and `fileurl`",
            ),
            _support("extra", "(as named)", https="as named", soap=_QUERY),
        )
    }
)


# Kinds whose meaning travels in a protocol's own field (the others are SMSC's flags,
# refused by SMTP's and SMPP's backends with UnsupportedOperation where they have none).
KINDS: Mapping[MessageKind, FieldSupport] = MappingProxyType(
    {
        MessageKind.FLASH: _support(
            "kind",
            KIND_FLAGS[MessageKind.FLASH],
            https="`flash=1`",
            soap="`flash=1` " + _QUERY,
            smtp="body format 1",
            smpp="message class 0 in `data_coding`",
        ),
    }
)


def fields_in_use(message: Message) -> tuple[str, ...]:
    """The option fields of :data:`FIELDS` that ``message`` sets (not at their default)."""
    used = []
    for name in FIELDS:
        value = getattr(message, name)
        if name == "sender":
            # An e-mail's or a bot's sender is part of its kind, which the protocol
            # refuses or sends as a whole.
            value = value if message.kind.is_sms_like else None
        if value not in (None, False, 0, "") and (
            name not in ("extra", "attachments") or len(value)
        ):
            used.append(name)
    return tuple(used)


def refuse_uncarried(message: Message, protocol: str) -> None:
    """Raise :class:`ValidationError` for the first field of ``message`` ``protocol`` cannot carry.

    The error names the field (``field``), SMSC's parameter and the protocols that can.
    """
    for name in fields_in_use(message):
        support = FIELDS[name]
        if protocol in support.carried:
            continue
        able = ", ".join(p for p in PROTOCOLS if p in support.carried)
        what = f"`{support.parameter}`" if name != "extra" else ", ".join(sorted(message.extra))
        raise ValidationError(
            f"{protocol} cannot carry Message.{name} ({what}); send it over {able}",
            field=name,
        )
