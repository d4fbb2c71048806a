"""Where each expectation of the fidelity suite comes from, and how the suite checks one.

The keys are those of ``smsc-protocol.md`` (the project's protocol notes, beside
DESIGN.md) and the SMSC pages and official libraries it cites. A failing check names
its source, so whoever breaks one knows which document the emulator no longer follows.
"""

from __future__ import annotations

from typing import Any

import requests

# smsc-protocol.md sections
P_HOSTS = "smsc-protocol.md §1.1 (charset; recorded Content-Type windows-1251, T-vcr)"
P_AUTH = "smsc-protocol.md §1.2 (login+psw, MD5, apikey; empty login = API key, L-py20)"
P_ENDPOINTS = "smsc-protocol.md §1.3 (command endpoints, T-panda)"
P_SEND = "smsc-protocol.md §1.4 (send.php parameters)"
P_SEND_ANSWER = "smsc-protocol.md §1.5 (send.php answers, D-send-ans)"
P_STATUS = "smsc-protocol.md §1.7 (status.php, D-status-ans)"
P_STATUSES = "smsc-protocol.md §1.8 (status codes, D-statuses)"
P_BALANCE = "smsc-protocol.md §1.10 (balance.php, D-balance)"
# SMSC's own pages and libraries
L_PY20 = "smsc_api.py 2.0 (L-py20): fmt=1, get_status, split(',', 8) unless m[14] == 'HLR'"
L_PHP35 = "smsc_api.php 3.5 (L-php35): get_status comment (HLR fields; multi-id rows)"
L_JS = "smsc_api.js 1.2 (L-js): fmt=3, multipart POST for every call, cur=1"
FAQ_IP = "smscentre.com/faq/99 'Why does the IP address blocked error return'"
D_STAT = "smscentre.com/api/http/get_data/statistic (get_stat: login, cnt, credit, debit)"
D_TINYURL = "smscentre.com/api/http/get_data/tinyurl (tinyurls.php get=1: id, cnt, …)"
D_PREFIX = "smsc.ru/api/http/send 'Использование префиксов' (__CALL__, …; T-panda Prefix.php)"


def check(actual: Any, expected: Any, source: str) -> None:
    """Assert ``actual == expected``, naming the document the expectation comes from."""
    assert actual == expected, f"{actual!r} != {expected!r} — expected by {source}"


def body(answer: requests.Response, charset: str = "utf-8") -> str:
    """An answer's text decoded with the charset that was asked for (never the header's)."""
    assert answer.status_code == 200, (answer.status_code, answer.content[:200])
    return answer.content.decode(charset)
