"""`forwarder-insure import-tracking FILE.csv`: the API's semantics, streamed, bad rows named."""

from __future__ import annotations

import io
import json

from blueprints.tracking import read_events
from forwarder_insure.domain.access import Role
from forwarder_insure.services.tracking_import import import_csv
from tests.fixtures.insurance import bound

HEADER = "event_id,carrier,tracking_number,occurred_at,code,description,location,extra\n"


def test_import_applies_events_and_reports_bad_lines(app, tmp_path, as_role, underwriter):
    seller = as_role(Role.SELLER)
    coverage = bound(seller, "CSV-1")
    path = tmp_path / "events.csv"
    path.write_text(
        HEADER
        + "c1,usps,CSV-1,2026-11-21T11:00:00Z,picked_up,Accepted,Los Angeles,x\n"
        + "c2,USPS,csv-1,2026-11-22T11:00:00Z,in_transit,,,\n"
        + "c3,usps,CSV-1,yesterday,in_transit,,,\n"
        + "c1,usps,CSV-1,2026-11-21T11:00:00Z,picked_up,,,\n"
        + "c4,usps,NOPE-9,2026-11-21T11:00:00Z,teleported,,,\n"
        + "c5,usps,LATER-1,2026-11-21T11:00:00Z,in_transit,,,\n"
    )
    result = app.test_cli_runner().invoke(args=["import-tracking", str(path)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary == {"accepted": 3, "duplicates": 1, "unmatched": 1, "rejected": 2}
    assert "line 4: occurred_at:" in result.stderr
    assert "line 6: code:" in result.stderr
    package = seller.get(f"/api/v1/coverages/{coverage['id']}").get_json()["package"]
    assert package["last_event_at"] == "2026-11-22T11:00:00Z"
    # Running the same file again changes nothing.
    again = app.test_cli_runner().invoke(args=["import-tracking", str(path)])
    assert json.loads(again.stdout.strip().splitlines()[-1])["accepted"] == 0


def test_a_file_without_the_required_columns_is_refused(app, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,number\n1,2\n")
    result = app.test_cli_runner().invoke(args=["import-tracking", str(path)])
    assert result.exit_code == 1
    assert "event_id" in result.output


class CountingReader(io.StringIO):
    """A text file that remembers how far it has been read."""

    def __init__(self, text: str):
        super().__init__(text)
        self.high_water = 0

    def read(self, size: int = -1) -> str:
        chunk = super().read(size)
        self.high_water = max(self.high_water, self.tell())
        return chunk

    def readline(self, size: int = -1) -> str:
        line = super().readline(size)
        self.high_water = max(self.high_water, self.tell())
        return line

    def __next__(self) -> str:
        line = super().__next__()
        self.high_water = max(self.high_water, self.tell())
        return line


def test_the_file_is_streamed_a_batch_at_a_time(app, clock):
    rows = "".join(
        f"s{n},usps,STREAM-{n % 97},2026-11-21T11:00:00Z,in_transit,,,\n" for n in range(5000)
    )
    handle = CountingReader(HEADER + rows)
    seen_at_first_batch = []

    def progress(lines, summary):
        if not seen_at_first_batch:
            seen_at_first_batch.append(handle.high_water)

    summary = import_csv(
        app.extensions["forwarder_insure"].database,
        handle,
        clock,
        read_events,
        on_progress=progress,
        batch_size=500,
    )
    assert summary["accepted"] + summary["duplicates"] == 5000
    assert seen_at_first_batch[0] < len(handle.getvalue()) / 4
