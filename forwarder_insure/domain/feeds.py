"""Tracking providers' webhook pushes (EasyPost, AfterShip, 17TRACK) read as our scans.

Two parts, both pure:

- :class:`FeedMappings`, the validated ``config/feeds.toml``: per provider, which push types are
  read, which say the tracker stopped, its carrier codes → our carrier ids, and an ordered list
  of rules (first match wins) from one field of a scan to our event code and/or a carrier-declared
  :class:`Outcome`. A contradictory or unknown mapping stops the app at start, naming the file,
  the key and the reason, as the rate card does.
- One parser per provider (:func:`parse_feed`): the provider's JSON document, already decoded,
  becomes a :class:`FeedParse` — one :class:`ProviderScan` per checkpoint of the history, each
  with an id derived from provider, tracking number, time and raw status, so a re-delivered
  history yields the same ids (duplicates downstream) whatever order its checkpoints come in.

Nothing a provider sends raises: an unknown status or carrier is kept and marked (no code, the
raw values kept), a scan with a bad value (a time that does not parse) is rejected on its own
with a reason, and a document that carries nothing usable gives no scans.

Times: EasyPost and 17TRACK send offsets (17TRACK's ``time_utc`` is read first); an AfterShip
``checkpoint_time`` is carrier-local and its offset optional, and one without an offset is read
as UTC (the place's zone is not in the push), so it may be off by the place's UTC offset.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from forwarder_insure.domain.config_tables import Table
from forwarder_insure.domain.tracking import EVENT_CODES

PROVIDERS = ("easypost", "aftership", "17track")

#: The fields of a scan a rule may match, per provider: (main status, sub-status).
FIELDS: dict[str, tuple[str, str]] = {
    "easypost": ("status", "status_detail"),
    "aftership": ("tag", "subtag"),
    "17track": ("status", "sub_status"),
}

CARRIER_ID = re.compile(r"^[a-z0-9][a-z0-9_]{0,31}$")


class Outcome(StrEnum):
    """What the carrier itself declared, beside the event code."""

    #: Lost, destroyed or disposed: the inquiry goes to presumed lost.
    DECLARED_LOST = "declared_lost"
    DAMAGE_REPORTED = "damage_reported"
    RETURNED = "returned"
    #: A stopped or expired tracker, or no data: never read as delivered or lost.
    IGNORED = "ignored"


#: The event codes each outcome may go with (None: no code at all).
OUTCOME_CODES: dict[Outcome, frozenset[str | None]] = {
    Outcome.DECLARED_LOST: frozenset({"exception"}),
    Outcome.DAMAGE_REPORTED: frozenset({"exception"}),
    Outcome.RETURNED: frozenset({"returned"}),
    Outcome.IGNORED: frozenset({None}),
}

_RULE_KEYS = {"field", "values", "code", "outcome"}
_PROVIDER_KEYS = {"events", "stop_events", "carriers", "rules"}


# --- the mapping -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    field: str
    values: frozenset[str]
    code: str | None
    outcome: Outcome | None


@dataclass(frozen=True)
class ProviderMapping:
    provider: str
    events: frozenset[str]
    stop_events: frozenset[str]
    #: provider carrier code, case-folded → our carrier id
    carriers: Mapping[str, str]
    rules: tuple[Rule, ...]

    def carrier(self, code: str | None) -> str | None:
        """Our carrier id for the provider's code, or None when it is unknown."""
        return None if code is None else self.carriers.get(code.casefold())

    def classify(self, facts: Mapping[str, str | None]) -> tuple[str | None, Outcome | None]:
        """The first rule matching one of ``facts`` → (event code, outcome); (None, None) when
        no rule knows the status."""
        for rule in self.rules:
            value = facts.get(rule.field)
            if value is not None and value in rule.values:
                return rule.code, rule.outcome
        return None, None


@dataclass(frozen=True)
class FeedMappings:
    providers: Mapping[str, ProviderMapping]

    def __getitem__(self, provider: str) -> ProviderMapping:
        return self.providers[provider]

    def carrier_ids(self) -> frozenset[str]:
        """Every one of our carrier ids some provider maps to."""
        return frozenset(
            carrier for mapping in self.providers.values() for carrier in mapping.carriers.values()
        )


def parse_feed_mappings(
    data: dict[str, Any], source: str, known_carriers: Collection[str] | None = None
) -> FeedMappings:
    """Validate a decoded ``feeds.toml``; raises ConfigFileError naming the offending key.

    ``known_carriers``, when given, are our carrier ids (``carriers.toml``); a code mapped to any
    other id is refused.
    """
    root = Table(data, source)
    for name in root.data:
        if name not in PROVIDERS:
            raise root.fail(name, f"is not a provider (one of {', '.join(PROVIDERS)})")
    providers = {}
    for provider in PROVIDERS:
        if not root.has(provider):
            raise root.fail(provider, "is required (every provider's mapping)")
        providers[provider] = _provider(root.table(provider), provider, known_carriers)
    return FeedMappings(providers=providers)


def _provider(
    table: Table, provider: str, known_carriers: Collection[str] | None
) -> ProviderMapping:
    for name in table.data:
        if name not in _PROVIDER_KEYS:
            raise table.fail(
                name, f"is not a key of a provider ({', '.join(sorted(_PROVIDER_KEYS))})"
            )
    events = frozenset(table.strings("events"))
    if not events:
        raise table.fail("events", "must name at least one push type to read")
    stop_events = frozenset(table.strings("stop_events", []))
    both = sorted(events & stop_events)
    if both:
        raise table.fail("stop_events", f"{', '.join(both)} also in events: read or stopped?")

    carriers_table = table.table("carriers")
    carriers: dict[str, str] = {}
    spelled: dict[str, str] = {}
    for code in carriers_table.data:
        ours = carriers_table.string(code)
        if not CARRIER_ID.match(ours):
            raise carriers_table.fail(code, f"{ours!r} is not a carrier id (a-z, 0-9, _)")
        if known_carriers is not None and ours not in known_carriers:
            raise carriers_table.fail(code, f"{ours!r} is not a carrier of carriers.toml")
        folded = code.casefold()
        if folded in carriers and carriers[folded] != ours:
            raise carriers_table.fail(
                code, f"maps to {ours!r} but {spelled[folded]!r} maps to {carriers[folded]!r}"
            )
        carriers[folded] = ours
        spelled[folded] = code
    if not carriers:
        raise table.fail("carriers", "must map at least one carrier code")

    rules_data = table.raw("rules")
    if not isinstance(rules_data, list) or not rules_data:
        raise table.fail("rules", "must be a non-empty list of [[rules]] tables")
    rules: list[Rule] = []
    seen: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(rules_data):
        rule = _rule(Table(raw, table.source, f"{table.key}.rules[{index}]"), provider)
        for value in sorted(rule.values):
            earlier = seen.get((rule.field, value))
            if earlier is not None:
                raise table.fail(
                    f"rules[{index}].values",
                    f"{rule.field} {value!r} is already matched by rules[{earlier}] "
                    "(first match wins, so this rule could never apply to it)",
                )
            seen[(rule.field, value)] = index
        rules.append(rule)
    return ProviderMapping(
        provider=provider,
        events=events,
        stop_events=stop_events,
        carriers=carriers,
        rules=tuple(rules),
    )


def _rule(table: Table, provider: str) -> Rule:
    for name in table.data:
        if name not in _RULE_KEYS:
            raise table.fail(name, f"is not a key of a rule ({', '.join(sorted(_RULE_KEYS))})")
    field_name = table.string("field")
    if field_name not in FIELDS[provider]:
        raise table.fail(
            "field", f"{field_name!r} is not a field of {provider} ({', '.join(FIELDS[provider])})"
        )
    values = table.strings("values")
    if not values:
        raise table.fail("values", "must list at least one value")
    code = table.string("code") if table.has("code") else None
    if code is not None and code not in EVENT_CODES:
        raise table.fail(
            "code", f"{code!r} is not one of our event codes ({', '.join(EVENT_CODES)})"
        )
    outcome: Outcome | None = None
    if table.has("outcome"):
        raw = table.string("outcome")
        try:
            outcome = Outcome(raw)
        except ValueError:
            raise table.fail(
                "outcome", f"{raw!r} is not an outcome ({', '.join(o.value for o in Outcome)})"
            ) from None
    if code is None and outcome is None:
        raise table.fail("code", "a rule must give a code, an outcome, or both")
    if outcome is not None and code not in OUTCOME_CODES[outcome]:
        allowed = sorted(c or "no code" for c in OUTCOME_CODES[outcome])
        raise table.fail(
            "code",
            f"outcome {outcome.value!r} goes with {' or '.join(allowed)}, not {code or 'no code'}",
        )
    return Rule(field=field_name, values=frozenset(values), code=code, outcome=outcome)


# --- what a push says ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderScan:
    """One checkpoint of a provider's history, in our terms where we know them."""

    provider: str
    #: Derived from provider, tracking number, time and raw status: stable across re-deliveries.
    event_id: str
    tracking_number: str
    #: Our carrier id, or None when the provider's code is not in feeds.toml.
    carrier: str | None
    #: The provider's own carrier code, always kept.
    carrier_code: str | None
    occurred_at: datetime
    #: Our event code, or None (an unknown status, or an ignored one: see ``outcome``).
    code: str | None
    #: The provider's main status and sub-status, as sent.
    raw_status: str | None
    raw_sub_status: str | None
    outcome: Outcome | None = None
    description: str | None = None
    location: str | None = None
    #: The destination carrier's leg, where the push names one.
    last_mile_carrier: str | None = None
    last_mile_carrier_code: str | None = None
    last_mile_tracking_number: str | None = None

    @property
    def status_known(self) -> bool:
        return self.code is not None or self.outcome is not None

    @property
    def carrier_known(self) -> bool:
        return self.carrier is not None


@dataclass(frozen=True)
class RejectedScan:
    """A checkpoint that could not be read; the rest of the push still is."""

    index: int
    reason: str


@dataclass(frozen=True)
class FeedParse:
    provider: str
    #: The push type as sent (``tracker.updated``, ``tracking_update``, ``TRACKING_UPDATED``…).
    event: str | None
    #: The provider's id of the push itself, where it sends one (not per scan).
    push_id: str | None = None
    scans: tuple[ProviderScan, ...] = ()
    rejected: tuple[RejectedScan, ...] = ()
    #: IGNORED for a stop notice (the tracker stopped: neither delivered nor lost).
    outcome: Outcome | None = None
    tracking_number: str | None = None
    carrier_code: str | None = None


def parse_feed(provider: str, document: Any, mappings: FeedMappings) -> FeedParse:
    """Read a decoded push of ``provider``; never raises for anything the provider may send."""
    parser = PARSERS[provider]
    mapping = mappings[provider]
    if not isinstance(document, dict):
        return FeedParse(provider=provider, event=None)
    return parser(document, mapping)


@dataclass
class _Checkpoint:
    """What a provider parser extracts from one checkpoint, before the common steps."""

    index: int
    time: Any
    facts: dict[str, str | None]
    description: str | None
    location: str | None
    fallback_time: Any = None
    #: Why the checkpoint cannot be read at all (not an object), if so.
    problem: str | None = None


@dataclass
class _Push:
    event: str | None
    push_id: str | None
    number: str | None
    carrier_code: str | None
    checkpoints: list[_Checkpoint] = field(default_factory=list)
    last_mile_number: str | None = None
    last_mile_code: str | None = None


def _finish(
    push: _Push, mapping: ProviderMapping, parse_time: Callable[[Any], datetime]
) -> FeedParse:
    base = FeedParse(
        provider=mapping.provider,
        event=push.event,
        push_id=push.push_id,
        tracking_number=push.number,
        carrier_code=push.carrier_code,
    )
    if push.event in mapping.stop_events:
        return replace(base, outcome=Outcome.IGNORED)
    if push.event not in mapping.events or not push.number:
        return base
    carrier = mapping.carrier(push.carrier_code)
    last_mile_number = push.last_mile_number or None
    last_mile_carrier = mapping.carrier(push.last_mile_code) if last_mile_number else None
    main_field, sub_field = FIELDS[mapping.provider]
    scans: list[tuple[datetime, int, ProviderScan]] = []
    rejected: list[RejectedScan] = []
    for checkpoint in push.checkpoints:
        if checkpoint.problem is not None:
            rejected.append(RejectedScan(checkpoint.index, checkpoint.problem))
            continue
        try:
            occurred_at = _first_time(parse_time, checkpoint.time, checkpoint.fallback_time)
        except ValueError as exc:
            rejected.append(RejectedScan(checkpoint.index, str(exc)))
            continue
        code, outcome = mapping.classify(checkpoint.facts)
        raw_status = checkpoint.facts.get(main_field)
        raw_sub = checkpoint.facts.get(sub_field)
        scan = ProviderScan(
            provider=mapping.provider,
            event_id=scan_id(mapping.provider, push.number, occurred_at, raw_status, raw_sub),
            tracking_number=push.number,
            carrier=carrier,
            carrier_code=push.carrier_code,
            occurred_at=occurred_at,
            code=code,
            raw_status=raw_status,
            raw_sub_status=raw_sub,
            outcome=outcome,
            description=checkpoint.description,
            location=checkpoint.location,
            last_mile_carrier=last_mile_carrier,
            last_mile_carrier_code=push.last_mile_code if last_mile_number else None,
            last_mile_tracking_number=last_mile_number,
        )
        scans.append((occurred_at, checkpoint.index, scan))
    scans.sort(key=lambda item: (item[0], item[1]))
    return replace(base, scans=tuple(s for _, _, s in scans), rejected=tuple(rejected))


def scan_id(
    provider: str,
    tracking_number: str,
    occurred_at: datetime,
    raw_status: str | None,
    raw_sub_status: str | None,
) -> str:
    """The scan's stable id: provider + number + instant + raw status (the dedupe key)."""
    key = "\x1f".join(
        (
            provider,
            tracking_number,
            occurred_at.astimezone(UTC).isoformat(),
            raw_status or "",
            raw_sub_status or "",
        )
    )
    return f"{provider}.{hashlib.sha256(key.encode('utf-8')).hexdigest()[:40]}"


# --- reading values ------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A string field as sent (numbers accepted as their text); anything else is absent."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _join(*parts: Any) -> str | None:
    texts = [t for t in (_text(p) for p in parts) if t]
    return ", ".join(texts) or None


def _iso_time(value: Any, *, naive_is_utc: bool) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"no time ({value!r})")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        if not naive_is_utc:
            raise ValueError(f"{value!r} has no UTC offset")
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{value!r} is out of range") from None


def _first_time(parse: Callable[[Any], datetime], value: Any, fallback: Any) -> datetime:
    try:
        return parse(value)
    except ValueError:
        if fallback is None:
            raise
        return parse(fallback)


def _not_an_object(index: int, value: Any) -> _Checkpoint:
    return _Checkpoint(
        index, None, {}, None, None, problem=f"not an object ({type(value).__name__})"
    )


def _main_of(sub_status: str | None) -> str | None:
    """Main status = the sub-status up to its first ``_`` (our rule)."""
    return sub_status.split("_", 1)[0] if sub_status else None


# --- EasyPost ------------------------------------------------------------------------------------


def _easypost_time(value: Any) -> datetime:
    # EasyPost: the place's zone when known, else UTC; a time without an offset is UTC.
    return _iso_time(value, naive_is_utc=True)


def parse_easypost(document: dict[str, Any], mapping: ProviderMapping) -> FeedParse:
    tracker = _object(document.get("result"))
    push = _Push(
        event=_text(document.get("description")),
        push_id=_text(document.get("id")),
        number=_text(tracker.get("tracking_code")),
        carrier_code=_text(tracker.get("carrier")),
    )
    for index, detail in enumerate(_list(tracker.get("tracking_details"))):
        if not isinstance(detail, dict):
            push.checkpoints.append(_not_an_object(index, detail))
            continue
        place = _object(detail.get("tracking_location"))
        push.checkpoints.append(
            _Checkpoint(
                index=index,
                time=detail.get("datetime"),
                facts={
                    "status": _text(detail.get("status")),
                    "status_detail": _text(detail.get("status_detail")),
                },
                description=_text(detail.get("message")),
                location=_join(
                    place.get("city"), place.get("state"), place.get("zip"), place.get("country")
                ),
            )
        )
    return _finish(push, mapping, _easypost_time)


# --- AfterShip -----------------------------------------------------------------------------------


def _aftership_time(value: Any) -> datetime:
    # Carrier-local, offset optional: without one the zone is unknown and UTC is assumed.
    return _iso_time(value, naive_is_utc=True)


def parse_aftership(document: dict[str, Any], mapping: ProviderMapping) -> FeedParse:
    tracking = _object(document.get("msg"))
    last_mile = _object(tracking.get("last_mile"))
    push = _Push(
        event=_text(document.get("event")),
        push_id=_text(document.get("event_id")),
        number=_text(tracking.get("tracking_number")),
        carrier_code=_text(tracking.get("slug")),
        last_mile_number=_text(last_mile.get("tracking_number")),
        last_mile_code=_text(last_mile.get("slug")),
    )
    for index, checkpoint in enumerate(_list(tracking.get("checkpoints"))):
        if not isinstance(checkpoint, dict):
            push.checkpoints.append(_not_an_object(index, checkpoint))
            continue
        subtag = _text(checkpoint.get("subtag"))
        country = checkpoint.get("country_region") or checkpoint.get("country_iso3")
        postal = checkpoint.get("postal_code") or checkpoint.get("zip")
        push.checkpoints.append(
            _Checkpoint(
                index=index,
                time=checkpoint.get("checkpoint_time"),
                facts={"tag": _text(checkpoint.get("tag")) or _main_of(subtag), "subtag": subtag},
                description=_text(checkpoint.get("message"))
                or _text(checkpoint.get("subtag_message")),
                location=_text(checkpoint.get("location"))
                or _join(checkpoint.get("city"), checkpoint.get("state"), postal, country),
            )
        )
    return _finish(push, mapping, _aftership_time)


# --- 17TRACK -------------------------------------------------------------------------------------


def _seventeen_track_time(value: Any) -> datetime:
    return _iso_time(value, naive_is_utc=False)


def parse_17track(document: dict[str, Any], mapping: ProviderMapping) -> FeedParse:
    data = _object(document.get("data"))
    info = _object(data.get("track_info"))
    latest_sub = _text(_object(info.get("latest_status")).get("sub_status"))
    misc = _object(info.get("misc_info"))
    push = _Push(
        event=_text(document.get("event")),
        push_id=None,
        number=_text(data.get("number")),
        carrier_code=_text(data.get("carrier")),
        last_mile_number=_text(misc.get("local_number")),
        last_mile_code=_text(misc.get("local_key")),
    )
    index = 0
    for leg in _list(_object(info.get("tracking")).get("providers")):
        for event in _list(_object(leg).get("events")):
            if not isinstance(event, dict):
                push.checkpoints.append(_not_an_object(index, event))
                index += 1
                continue
            sub = _text(event.get("sub_status")) or latest_sub
            address = _object(event.get("address"))
            push.checkpoints.append(
                _Checkpoint(
                    index=index,
                    time=event.get("time_utc"),
                    fallback_time=event.get("time_iso"),
                    facts={"status": _main_of(sub), "sub_status": sub},
                    description=_text(event.get("description")),
                    location=_text(event.get("location"))
                    or _join(
                        address.get("city"),
                        address.get("state"),
                        address.get("postal_code"),
                        address.get("country"),
                    ),
                )
            )
            index += 1
    return _finish(push, mapping, _seventeen_track_time)


PARSERS: dict[str, Callable[[dict[str, Any], ProviderMapping], FeedParse]] = {
    "easypost": parse_easypost,
    "aftership": parse_aftership,
    "17track": parse_17track,
}
