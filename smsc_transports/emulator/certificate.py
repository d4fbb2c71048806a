"""The emulator's TLS certificate: one given as files, or a self-signed one made for it.

:func:`self_signed` makes a certificate for ``localhost``, ``127.0.0.1`` and the
listening host with the ``openssl`` command (the ``cryptography`` package is not a
dependency of this library), valid for 30 days; clients rehearse ``verify=`` with it
as their CA file. :func:`server_context` loads a certificate and key into a server
TLS context. Both raise :class:`~smsc_transports.errors.ConfigurationError` with one
line saying what to do.
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
from pathlib import Path

from smsc_transports.errors import ConfigurationError

__all__ = ["self_signed", "server_context"]

_DAYS = "30"


def _alt_names(host: str) -> str:
    names = {"DNS:localhost", "IP:127.0.0.1"}
    if host and host not in ("0.0.0.0", "::"):  # noqa: S104  # a wildcard is no name
        try:
            ipaddress.ip_address(host)
        except ValueError:
            names.add(f"DNS:{host}")
        else:
            names.add(f"IP:{host}")
    return ",".join(sorted(names))


def self_signed(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """Make ``cert.pem`` and ``key.pem`` in ``folder`` (kept when already there); return them.

    The certificate is its own CA: a client given ``cert.pem`` as its CA file trusts it.
    """
    cert, key = folder / "cert.pem", folder / "key.pem"
    if cert.is_file() and key.is_file():
        return cert, key
    openssl = shutil.which("openssl")
    if openssl is None:
        raise ConfigurationError(
            "a TLS port without --tls-cert needs the openssl command to make a "
            "certificate: install openssl, or give --tls-cert and --tls-key"
        )
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", _DAYS,
        "-subj", "/CN=smsc-transports emulator", "-addext", f"subjectAltName={_alt_names(host)}",
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)  # noqa: S603
    except (OSError, subprocess.SubprocessError) as exc:
        said = getattr(exc, "stderr", None) or str(exc)
        last = said.strip().splitlines()[-1] if said.strip() else type(exc).__name__
        raise ConfigurationError(f"openssl could not make a certificate: {last}") from None
    return cert, key


def server_context(cert: str | Path, key: str | Path | None) -> ssl.SSLContext:
    """A server TLS context holding ``cert`` and its ``key`` (``None``: the key is in ``cert``)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(cert), None if key is None else str(key))
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
        raise ConfigurationError(f"cannot load --tls-cert {cert}: {reason}") from None
    return context
