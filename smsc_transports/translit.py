"""SMSC's ``translit`` send parameter, modelled locally so a message can be priced first.

* 0: the text is sent as written.
* 1: "translit": Russian letters become Latin ones, as Russian SMS gateways commonly
  write them ("Привет" → "Privet", "щ" → "sch", "ж" → "zh", "ц" → "c").
* 2: "mpaHc/Ium": letters become look-alike Latin letters, digits and signs, so that the
  text still *looks* Cyrillic ("транслит" → "mpaHc/Ium", SMSC's own example).

SMSC does not publish its exact tables, so these are our best model of them, used to
estimate the cost before sending: ``count_parts(transliterate(text, mode))``. Only
letters are replaced (the 33 Russian ones plus і, ї, є, ґ, ў); digits, Latin text,
punctuation and emoji pass through unchanged, so typographic signs SMSC might also
replace (« » — №) keep a text in UCS-2 here: the estimate errs towards the dearer side.
"""

from __future__ import annotations

import re
from typing import Final

from smsc_transports.errors import ValidationError

__all__ = ["MODE_LOOKALIKE", "MODE_NONE", "MODE_TRANSLIT", "transliterate"]

MODE_NONE: Final = 0
"""``translit=0``: send the text as written."""
MODE_TRANSLIT: Final = 1
"""``translit=1``: Cyrillic → Latin transliteration ("Privet")."""
MODE_LOOKALIKE: Final = 2
"""``translit=2``: Cyrillic → look-alike Latin characters ("mpaHc/Ium")."""

# Mode 1, lower case. Short forms where Russian gateways disagree: "c" for ц and "j" for
# й keep messages short and й distinct from ы; both signs become an apostrophe.
_TRANSLIT: Final = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh",
    "з": "z", "и": "i", "й": "j", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "'", "ы": "y", "ь": "'", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",
}  # fmt: skip

# Mode 2, as (lower, upper). Every replacement is in the GSM 7-bit alphabet; "|" is an
# extension character and costs two septets. Lower-case т is "m", as in SMSC's example.
_LOOKALIKE: Final = {
    "а": ("a", "A"), "б": ("6", "6"), "в": ("B", "B"), "г": ("r", "r"),
    "д": ("g", "D"), "е": ("e", "E"), "ё": ("e", "E"), "ж": (">|<", ">|<"),
    "з": ("3", "3"), "и": ("u", "U"), "й": ("u", "U"), "к": ("k", "K"),
    "л": ("/I", "/I"), "м": ("M", "M"), "н": ("H", "H"), "о": ("o", "O"),
    "п": ("n", "n"), "р": ("p", "P"), "с": ("c", "C"), "т": ("m", "T"),
    "у": ("y", "Y"), "ф": ("qp", "<|>"), "х": ("x", "X"), "ц": ("u,", "U,"),
    "ч": ("4", "4"), "ш": ("LLI", "LLI"), "щ": ("LLI,", "LLI,"), "ъ": ("'b", "'b"),
    "ы": ("bI", "bI"), "ь": ("b", "b"), "э": ("e", "E"), "ю": ("I-O", "I-O"),
    "я": ("9I", "9I"), "і": ("i", "I"), "ї": ("i", "I"), "є": ("e", "E"),
    "ґ": ("r", "r"), "ў": ("y", "Y"),
}  # fmt: skip

_TRANSLIT_TABLE: Final = {ord(c): latin for c, latin in _TRANSLIT.items()} | {
    ord(c.upper()): latin.capitalize() for c, latin in _TRANSLIT.items()
}
_LOOKALIKE_TABLE: Final = {ord(c): pair[0] for c, pair in _LOOKALIKE.items()} | {
    ord(c.upper()): pair[1] for c, pair in _LOOKALIKE.items()
}
_UPPER_TRANSLIT: Final = {c.upper(): latin.upper() for c, latin in _TRANSLIT.items()}

# A capital whose Latin form has several letters is written all in capitals inside an
# upper-case word ("ЩУКА" → "SCHUKA") and capitalised elsewhere ("Щука" → "Schuka").
_MULTI: Final = "".join(c for c, latin in _UPPER_TRANSLIT.items() if len(latin) > 1)
_UPPER: Final = "A-ZА-ЯЁІЇЄҐЎ"
_LOWER: Final = "a-zа-яёіїєґў"
_CAPS_RUN: Final = re.compile(f"(?<=[{_UPPER}])[{_MULTI}](?![{_LOWER}])|[{_MULTI}](?=[{_UPPER}])")


def _upper(match: re.Match[str]) -> str:
    """Replace one multi-letter capital inside an upper-case word."""
    return _UPPER_TRANSLIT[match[0]]


def transliterate(text: str, mode: int) -> str:
    """Return ``text`` as SMSC would send it with ``translit=mode`` (0, 1 or 2).

    Mode 0 returns ``text`` itself. Mode 1 keeps case, with multi-letter forms in full
    capitals inside upper-case words. Mode 2 output is GSM 7-bit whenever the input is
    GSM 7-bit apart from the Cyrillic letters. SMSC's real tables are not published; this
    is a model for pricing (see the module docstring). Raises :class:`ValidationError`
    for any other mode.
    """
    if mode == MODE_NONE:
        return text
    if mode == MODE_TRANSLIT:
        return _CAPS_RUN.sub(_upper, text).translate(_TRANSLIT_TABLE)
    if mode == MODE_LOOKALIKE:
        return text.translate(_LOOKALIKE_TABLE)
    raise ValidationError(f"translit must be 0, 1 or 2, got {mode!r}", field="translit")
