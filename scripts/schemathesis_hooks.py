"""Schemathesis hooks for scripts/schemathesis.sh.

A generated `Idempotency-Key` is often short ("0", "a"), so unrelated creates share one;
the second then replays the first's 201 (contract §7), even for a task deleted since,
which Schemathesis' stateful phase reads as "created resource not found". Each valid key
gets a suffix of its own, so only the idempotency tests in the Rust suite repeat keys;
invalid keys stay as generated, for the checks that they are refused.
"""

import itertools

import schemathesis

_suffixes = itertools.count()
_MAX_KEY = 255


def _valid_key(value: object) -> bool:
    return isinstance(value, str) and 1 <= len(value) <= _MAX_KEY and all("!" <= ch <= "~" for ch in value)


@schemathesis.hook
def map_headers(ctx, headers):
    key = (headers or {}).get("Idempotency-Key")
    if _valid_key(key):
        suffix = f"-{next(_suffixes)}"
        headers["Idempotency-Key"] = key[: _MAX_KEY - len(suffix)] + suffix
    return headers
