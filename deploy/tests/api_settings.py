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


def config_keys():
    """(section, key) of every setting config/default.toml or config/production.toml sets."""
    keys = set()
    for name in ("default", "production"):
        config = tomllib.loads((ROOT / f"config/{name}.toml").read_text())
        keys |= {(section, key) for section, table in config.items() for key in table}
    return keys


def is_known(variable):
    """A plain name, or APP__SECTION__KEY for a setting of the config files."""
    if variable in plain_names():
        return True
    parts = variable.split("__")
    if len(parts) != 3 or parts[0] != "APP":
        return False
    return (parts[1].lower(), parts[2].lower()) in config_keys()
