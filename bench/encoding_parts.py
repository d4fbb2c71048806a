"""Time ``count_parts`` + ``split`` against ``smpplib.gsm.make_parts`` on the same texts.

    python bench/encoding_parts.py [--n 100000] [--repeat 3] [--seed 2024]

The texts are generated deterministically from the seed: short and long Latin, Cyrillic,
and Latin mixed with extension characters, accented letters and emoji, 1-1000 characters
long. Every side runs ``--repeat`` times and the best time counts. The part counts of
both libraries are compared afterwards, with the reason for every disagreement.
"""

from __future__ import annotations

import argparse
import random
import string
import time
from collections import Counter
from collections.abc import Callable, Sequence

from smpplib import gsm

from smsc_transports.encoding import count_parts, split

LATIN = string.ascii_letters + string.digits + " " * 12 + ".,!?-:;'\"()%+=/"
CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ" + " " * 8 + ".,!?-"
EXTENSION = "€{}[]^~|\\"
ACCENTED = "éèùìòÇØøÅåÄÖÑÜäöñüàß¿¡Δ"
# GSM characters smpplib's table gets wrong (it has "`" at 0x5F and no form feed).
CONTESTED = "§`\f"
EMOJI = "😀👍🎉🚀❤✅"


def make_texts(n: int, seed: int) -> list[str]:
    """Return ``n`` reproducible texts in four families, 1-1000 characters long."""
    rng = random.Random(seed)
    mixed = LATIN * 2 + EXTENSION + ACCENTED + EMOJI
    texts: list[str] = []
    for i in range(n):
        family = i % 4
        if family == 0:  # short Latin: one-part notifications and codes
            texts.append("".join(rng.choices(LATIN, k=rng.randint(1, 160))))
        elif family == 1:  # long Latin
            texts.append("".join(rng.choices(LATIN, k=rng.randint(161, 1000))))
        elif family == 2:
            texts.append("".join(rng.choices(CYRILLIC, k=rng.randint(1, 1000))))
        else:
            # Half of these stay GSM (no emoji), so extension boundaries get exercised too.
            pool = mixed if rng.random() < 0.5 else LATIN * 2 + EXTENSION + ACCENTED
            text = "".join(rng.choices(pool, k=rng.randint(1, 1000)))
            if rng.random() < 0.05:
                text += rng.choice(CONTESTED)
            texts.append(text)
    return texts


def ours(texts: Sequence[str]) -> None:
    """Count and split every text with smsc_transports."""
    for text in texts:
        count_parts(text)
        split(text)


def ours_count(texts: Sequence[str]) -> None:
    """Only count the parts of every text with smsc_transports."""
    for text in texts:
        count_parts(text)


def theirs(texts: Sequence[str]) -> None:
    """Build the parts of every text with smpplib."""
    make_parts = gsm.make_parts
    for text in texts:
        make_parts(text)


def best_time(run: Callable[[Sequence[str]], None], texts: Sequence[str], repeat: int) -> float:
    """Best wall time of ``repeat`` runs over all texts."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run(texts)
        best = min(best, time.perf_counter() - start)
    return best


def disagreements(texts: Sequence[str]) -> tuple[int, Counter[str]]:
    """Count texts whose part counts agree, and why the others do not."""
    agree = 0
    reasons: Counter[str] = Counter()
    for text in texts:
        mine = count_parts(text)
        parts, encoding, _ = gsm.make_parts(text)
        their_encoding = "gsm7" if encoding == 0 else "ucs2"
        if len(parts) == mine.parts and their_encoding == mine.encoding:
            agree += 1
        elif their_encoding != mine.encoding:
            reasons[
                f"encoding differs (ours {mine.encoding}, smpplib {their_encoding}):"
                " smpplib has '`' for '§' at 0x5F and no form feed"
            ] += 1
        elif mine.parts > len(parts):
            reasons["smpplib cuts escape/surrogate pairs at 153 septets / 134 octets"] += 1
        else:
            reasons[f"other: ours {mine.parts}, smpplib {len(parts)}"] += 1
    return agree, reasons


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; always exits 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000, help="number of texts")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side; best counts")
    parser.add_argument("--seed", type=int, default=2024, help="seed for the texts")
    args = parser.parse_args(argv)

    texts = make_texts(args.n, args.seed)
    chars = sum(map(len, texts))
    print(f"{len(texts)} texts, {chars} characters, best of {args.repeat}")

    timings = {
        "smsc_transports count_parts": best_time(ours_count, texts, args.repeat),
        "smsc_transports count_parts+split": best_time(ours, texts, args.repeat),
        "smpplib gsm.make_parts": best_time(theirs, texts, args.repeat),
    }
    reference = timings["smpplib gsm.make_parts"]
    print(f"\n{'name':<36}{'seconds':>10}{'texts/s':>14}{'vs smpplib':>12}")
    for name, seconds in timings.items():
        rate = len(texts) / seconds if seconds else float("inf")
        print(f"{name:<36}{seconds:>10.3f}{rate:>14,.0f}{seconds / reference:>12.3f}")

    agree, reasons = disagreements(texts)
    print(f"\npart counts agree on {agree} of {len(texts)} texts")
    for reason, count in reasons.most_common():
        print(f"  {count:>7}  {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
