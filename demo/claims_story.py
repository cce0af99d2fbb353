"""Demo parcels and claims, so the ops console has work to show on a fresh demo.

Made the way a seller, the carrier feed and a handler would make them: through the app's own
HTTP API, in-process (Flask's test client), with the demo keys. So the demo data passes every
rule the real thing does, and nothing here knows how the tables look. Loaded once: a demo
instance whose seller already has claims is left alone.
"""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from forwarder_insure.domain.access import Role
from forwarder_insure.domain.clock import Clock, format_instant

API = "/api/v1"

#: The demo order: (reference, declared USD, category, kind of claim or None, amount claimed).
PARCELS = (
    ("DEMO-1001/1", "180.00", "electronics", "lost", "180.00"),
    ("DEMO-1001/2", "95.00", "apparel", "damaged", "95.00"),
    ("DEMO-1001/3", "2400.00", "electronics", "lost", "1800.00"),
    ("DEMO-1001/4", "140.00", "home_and_garden", "lost", "140.00"),
    ("DEMO-1001/5", "60.00", "apparel", None, None),
)

#: How each demo parcel ships from the forwarder's warehouse in Shenzhen, in PARCELS' order:
#: (destination, carrier, service or None, tracking number, the carrier's name on its letter).
SHIPPING = (
    ("US", "china_post", "epacket", "LX000000001CN", "China Post"),
    ("GB", "yunexpress", None, "YT0000000000000002", "YunExpress"),
    ("US", "china_ems", None, "EE000000003CN", "China EMS"),
    ("DE", "cainiao", None, "LP00000000000004", "Cainiao"),
    ("DE", "4px", None, "4PX0000000000005", "4PX"),
)


STORIES = {"lost": "never arrived", "damaged": "arrived with a crushed box"}


class DemoClaimsError(RuntimeError):
    """The API refused a demo step: the demo data and the rules disagree."""


class _Client:
    def __init__(self, app: Flask, key: str):
        self._client = app.test_client()
        self._headers = {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        headers = self._headers | kwargs.pop("headers", {})
        response = self._client.open(f"{API}{path}", method=method, headers=headers, **kwargs)
        if response.status_code != expect:
            raise DemoClaimsError(
                f"{method} {path}: {response.status_code} {response.get_data()!r}"
            )
        return response.get_json()

    def upload(self, claim_id: str, kind: str, data: bytes, name: str) -> None:
        form = {"kind": kind, "file": (io.BytesIO(data), name)}
        self.call("POST", f"/claims/{claim_id}/documents", 201, data=form)


def load_demo_claims(app: Flask, keys: dict[Role, str], clock: Clock) -> int:
    """Bind the demo order, give some parcels a tracking history, and file claims in several
    states; returns how many claims were filed (0 when the demo already has its claims)."""
    seller, warehouse, feed, handler = (
        _Client(app, keys[r]) for r in (Role.SELLER, Role.WAREHOUSE, Role.TRACKING, Role.HANDLER)
    )
    if seller.call("GET", "/claims?limit=1")["items"]:
        return 0
    packages = [
        {
            "reference": reference,
            "declared_value": {"amount": declared, "currency": "USD"},
            "category": category,
            "origin_country": "CN",
            "destination_country": destination,
            "carrier": carrier,
            "service": service,
            "weight_kg": "0.80",
        }
        for (reference, declared, category, _, _), (destination, carrier, service, _, _) in zip(
            PARCELS, SHIPPING, strict=True
        )
    ]
    quotes = seller.call("POST", "/quotes", json={"packages": packages})["quotes"]
    claims = 0
    for n, (
        entry,
        (reference, _, _, kind, amount),
        (_, carrier, _, tracking_number, _),
    ) in enumerate(zip(quotes, PARCELS, SHIPPING, strict=True)):
        # The warehouse binds the order as its label prints: the number is confirmed.
        coverage = warehouse.call(
            "POST", "/coverages", 201,
            json={"quote_token": entry["quote_token"], "order_reference": "DEMO-1001",
                  "tracking_number": tracking_number},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )  # fmt: skip
        history = _history(carrier, tracking_number, clock.now())
        feed.call("POST", "/tracking/events", 202, json={"events": history})
        if kind is None or amount is None:
            continue
        claim = seller.call(
            "POST", "/claims", 201,
            json={"coverage_id": coverage["id"], "kind": kind,
                  "amount_claimed": {"amount": amount, "currency": "USD"},
                  "description": f"Parcel {reference} {STORIES[kind]}."},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )  # fmt: skip
        claims += 1
        _evidence(seller, claim["id"], kind, reference, n)
        _progress(seller, handler, claim["id"], n, amount)
    return claims


def _history(carrier: str, tracking_number: str, now: datetime) -> list[dict[str, Any]]:
    """The carrier's first scans, just after binding (earlier ones would be flagged as a parcel
    insured after the carrier already had it)."""
    steps = [
        ("picked_up", 1, "Picked up at the forwarder's warehouse", "Shenzhen, CN"),
        ("in_transit", 2, "Departed international hub", "Hong Kong, HK"),
    ]
    return [
        {
            "event_id": f"demo-{tracking_number}-{i}",
            "carrier": carrier,
            "tracking_number": tracking_number,
            "occurred_at": format_instant(now + timedelta(seconds=seconds)),
            "code": code,
            "description": description,
            "location": location,
        }
        for i, (code, seconds, description, location) in enumerate(steps)
    ]


def _evidence(seller: _Client, claim_id: str, kind: str, ref: str, n: int) -> None:
    seller.upload(claim_id, "value_proof", _pdf(f"Commercial invoice for {ref}"), "invoice.pdf")
    if kind == "damaged":
        seller.upload(claim_id, "damage_photos", _png(n), "damage-photo.png")


def _progress(seller: _Client, handler: _Client, claim_id: str, n: int, amount: str) -> None:
    """Leave the claims at different steps: one still a draft, the rest submitted, one of them
    complete and approved (so it is paid and awaits the underwriter)."""
    if n == 3:
        return  # a draft: the seller has not submitted yet
    seller.call("POST", f"/claims/{claim_id}/submit")
    if n == 0:
        seller.upload(claim_id, "dispute_screenshot", _png(10 + n), "refund-request.png")
        letter = _pdf(f"{SHIPPING[n][4]}: parcel not found")
        handler.upload(claim_id, "carrier_loss_letter", letter, "carrier-letter.pdf")
        approval = {"amount": {"amount": amount, "currency": "USD"}, "note": "Demo approval"}
        handler.call("POST", f"/claims/{claim_id}/approve", json=approval)


def _pdf(title: str) -> bytes:
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setFont("Helvetica-Bold", 16)
    page.drawString(72, 770, title)
    page.setFont("Helvetica", 11)
    page.drawString(72, 745, "Demo document generated for the forwarder_insure demo.")
    page.save()
    return buffer.getvalue()


def _png(seed: int, width: int = 96, height: int = 64) -> bytes:
    """A small gradient picture (distinct per seed, so screening sees no reused evidence)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(((x * 2 + seed) % 256, (y * 3) % 256, 160)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )  # fmt: skip
