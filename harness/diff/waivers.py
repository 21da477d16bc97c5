"""Waivers: accepted differences, each with an owner, a reason and an expiry date.

``scenarios/waivers.yaml`` (or ``--waivers FILE``)::

    waivers:
      - id: hera-env-order                        # unique, [a-z0-9-]
        path: "spec.templates[main].script.env"   # glob over readable paths: * in a segment, ** across
        scenarios: ["*"]                          # optional, globs over scenario names; default all
        reason: "..."                             # required
        owner: "platform-team"                    # required
        expires: 2027-06-30                       # required; an expired waiver fails the gate

A waiver turns a semantic or metadata difference whose path it covers into ``waived``. Expired
waivers fail the gate (``WaiverSet.expired``); waivers that matched nothing in a whole run are
reported stale (``WaiverSet.stale``), because a waiver nobody needs any more hides the next
regression at the same path.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from harness.diff.model import Category, Difference
from harness.diff.paths import PathPattern, PathSyntaxError
from harness.errors import ParityInputError, read_input_file
from harness.yaml_input import parse_listing_file

# The waivers ``parity diff`` and ``parity fuzz`` read when no file is named (when it exists).
DEFAULT_WAIVERS = Path("scenarios") / "waivers.yaml"
_ID = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")
_FIELDS = ("id", "path", "scenarios", "reason", "owner", "expires")


@dataclass(frozen=True)
class Waiver:
    id: str
    path: str
    reason: str
    owner: str
    expires: dt.date
    scenarios: tuple[str, ...] = ("*",)
    pattern: PathPattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", PathPattern.compile(self.path))

    def covers(self, path: str, scenario: str | None = None) -> bool:
        """True when this waiver accepts a difference at ``path`` in ``scenario``.

        Without a scenario (``parity diff`` on two files) the scenario filter does not apply.
        """
        if scenario is not None and not any(fnmatchcase(scenario, g) for g in self.scenarios):
            return False
        return self.pattern.matches(path)

    def is_expired(self, today: dt.date) -> bool:
        return self.expires < today

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "scenarios": list(self.scenarios),
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
        }


@dataclass(frozen=True)
class WaiverSet:
    waivers: tuple[Waiver, ...] = ()
    source: str | None = None
    _by_id: dict[str, Waiver] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({w.id: w for w in self.waivers})

    def __iter__(self) -> Iterator[Waiver]:
        return iter(self.waivers)

    def __len__(self) -> int:
        return len(self.waivers)

    def __getitem__(self, waiver_id: str) -> Waiver:
        return self._by_id[waiver_id]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(self._by_id)

    def match(self, difference: Difference | str, scenario: str | None = None) -> Waiver | None:
        """The first waiver (file order) covering this difference, or None.

        Only semantic and metadata differences can be waived; cosmetic and noise need no waiver.
        The caller records the returned ids across a run and passes them to :meth:`stale`.
        """
        if isinstance(difference, Difference):
            if difference.category not in (Category.SEMANTIC, Category.METADATA):
                return None
            path = difference.path
        else:
            path = difference
        for waiver in self.waivers:
            if waiver.covers(path, scenario):
                return waiver
        return None

    def active(self, today: dt.date | None = None) -> WaiverSet:
        """The waivers that have not expired: an expired waiver accepts nothing."""
        day = today or dt.date.today()
        return WaiverSet(tuple(w for w in self.waivers if not w.is_expired(day)), self.source)

    def expired(self, today: dt.date | None = None) -> tuple[Waiver, ...]:
        day = today or dt.date.today()
        return tuple(w for w in self.waivers if w.is_expired(day))

    def stale(self, used_ids: Iterable[str]) -> tuple[Waiver, ...]:
        """Waivers whose id is not among ``used_ids``: they matched nothing in the run."""
        used = set(used_ids)
        return tuple(w for w in self.waivers if w.id not in used)


def load_waivers(path: str | Path) -> WaiverSet:
    """Read a waivers file; every error names the file, the waiver (id or index) and the field."""
    return parse_waivers(read_input_file(path, "waivers file"), source=str(path))


def parse_waivers(text: str, *, source: str = "<waivers>") -> WaiverSet:
    data = parse_listing_file(text, key="waivers", source=source)
    if not data:
        return WaiverSet((), source)
    waivers: list[Waiver] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(data):
        where = f"waivers[{index}]"
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            where += f" ({raw['id']})"
        if not isinstance(raw, dict):
            raise ParityInputError(
                "a waiver is a mapping with id, path, reason, owner, expires", file=source, field=where
            )
        waiver = _waiver(raw, source, where)
        if waiver.id in seen:
            raise ParityInputError(
                f"duplicate waiver id (also waivers[{seen[waiver.id]}])", file=source, field=f"{where}.id"
            )
        seen[waiver.id] = index
        waivers.append(waiver)
    return WaiverSet(tuple(waivers), source)


def _waiver(raw: dict[Any, Any], source: str, where: str) -> Waiver:
    def fail(field_name: str, message: str) -> ParityInputError:
        return ParityInputError(message, file=source, field=f"{where}.{field_name}")

    unknown = sorted(str(k) for k in raw if k not in _FIELDS)
    if unknown:
        raise fail(unknown[0], f"unknown field; expected one of {', '.join(_FIELDS)}")
    for name in ("id", "path", "reason", "owner", "expires"):
        if raw.get(name) is None:
            raise fail(name, "required")
    text: dict[str, str] = {}
    for name in ("id", "path", "reason", "owner"):
        value = raw[name]
        if not isinstance(value, str) or not value.strip():
            raise fail(name, "must be a non-empty string")
        text[name] = value.strip()
    if not _ID.match(text["id"]):
        raise fail("id", "must match [a-z0-9-] (lowercase letters, digits, dashes)")
    try:
        PathPattern.compile(text["path"])
    except PathSyntaxError as exc:
        raise fail("path", str(exc)) from None
    scenarios = raw.get("scenarios", ["*"])
    if isinstance(scenarios, str):
        scenarios = [scenarios]
    if not isinstance(scenarios, list) or not scenarios or not all(isinstance(g, str) and g.strip() for g in scenarios):
        raise fail("scenarios", "must be a non-empty list of scenario-name globs")
    expires = raw["expires"]
    if isinstance(expires, str):
        try:
            expires = dt.date.fromisoformat(expires.strip())
        except ValueError:
            raise fail("expires", f"not a date like 2027-06-30: {expires!r}") from None
    if isinstance(expires, dt.datetime) or not isinstance(expires, dt.date):
        raise fail("expires", f"not a date like 2027-06-30: {expires!r}")
    return Waiver(
        id=text["id"],
        path=text["path"],
        reason=text["reason"],
        owner=text["owner"],
        expires=expires,
        scenarios=tuple(g.strip() for g in scenarios),
    )
