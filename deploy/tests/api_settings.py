"""The environment variables the API reads, taken from its own sources, so a deployment
file that sets a misspelt or unknown one fails its test."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def plain_names():
    """DATABASE_URL, BETTER_AUTH_URL, ...: the PLAIN_NAMES table in settings.rs."""
    source = (ROOT / "crates/server/src/settings.rs").read_text()
    table = re.search(r"const PLAIN_NAMES[^=]*=\s*&\[(.*?)\];", source, re.S)
    if table is None:
        raise AssertionError("PLAIN_NAMES not found in crates/server/src/settings.rs")
    return set(re.findall(r'\(\s*"([A-Z_]+)"\s*,', table.group(1)))


def is_known(variable):
    """A plain name, or APP__SECTION__KEY for a key of config/default.toml."""
    if variable in plain_names():
        return True
    parts = variable.split("__")
    if len(parts) != 3 or parts[0] != "APP":
        return False
    defaults = tomllib.loads((ROOT / "config/default.toml").read_text())
    section, key = parts[1].lower(), parts[2].lower()
    return key in defaults.get(section, {})
