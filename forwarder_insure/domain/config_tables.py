"""Typed reading of the TOML rule files (rate card, carrier profiles).

A bad file must stop the app with a message that names the file, the key and the problem
(``rates/default.toml: currencies.USD.min_premium: must be a decimal string, not 1.0``), so every
read goes through :class:`Table`, which knows where it is.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any


class ConfigFileError(ValueError):
    """A rule file is missing, unreadable or breaks a rule; the message says where."""

    def __init__(self, source: str, key: str, problem: str):
        self.source = source
        self.key = key
        self.problem = problem
        location = f"{source}: {key}" if key else source
        super().__init__(f"{location}: {problem}")


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigFileError(str(path), "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(str(path), "", f"not valid TOML ({exc})") from None


class Table:
    """A TOML table plus its dotted position in a named file."""

    def __init__(self, data: Any, source: str, key: str = ""):
        if not isinstance(data, dict):
            raise ConfigFileError(source, key, f"must be a table, not {data!r}")
        self.data = data
        self.source = source
        self.key = key

    def _path(self, name: str) -> str:
        return f"{self.key}.{name}" if self.key else name

    def fail(self, name: str, problem: str) -> ConfigFileError:
        return ConfigFileError(self.source, self._path(name), problem)

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = ...) -> Any:
        if name not in self.data:
            if default is ...:
                raise self.fail(name, "is required")
            return default
        return self.data[name]

    def table(self, name: str, default: Any = ...) -> Table:
        value = self.raw(name, {} if default is ... else default)
        return Table(value, self.source, self._path(name))

    def optional_table(self, name: str) -> Table | None:
        return self.table(name) if name in self.data else None

    def tables(self) -> Iterator[tuple[str, Table]]:
        """Every sub-table of this table, by name."""
        for name in self.data:
            yield name, self.table(name)

    def decimal(self, name: str, default: Any = ...) -> Decimal:
        value = self.raw(name, default)
        if isinstance(value, Decimal):
            return value
        if not isinstance(value, str):
            raise self.fail(name, f'must be a decimal string such as "0.0100", not {value!r}')
        try:
            parsed = Decimal(value)
        except InvalidOperation:
            raise self.fail(name, f"{value!r} is not a decimal number") from None
        if not parsed.is_finite():
            raise self.fail(name, f"{value!r} is not a finite number")
        return parsed

    def positive_decimal(self, name: str, default: Any = ...) -> Decimal:
        value = self.decimal(name, default)
        if value <= 0:
            raise self.fail(name, f"must be greater than zero, not {value}")
        return value

    def integer(self, name: str, default: Any = ..., minimum: int | None = None) -> int:
        value = self.raw(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"must be a whole number, not {value!r}")
        if minimum is not None and value < minimum:
            raise self.fail(name, f"must be at least {minimum}, not {value}")
        return value

    def string(self, name: str, default: Any = ...) -> str:
        value = self.raw(name, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(name, f"must be a non-empty string, not {value!r}")
        return value

    def strings(self, name: str, default: Any = ...) -> list[str]:
        value = self.raw(name, default)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(name, f"must be a list of strings, not {value!r}")
        return value
