"""Inquiry ids are made by the sweep's SQL, yet sort by creation time like every other id."""

from __future__ import annotations

import re
import time

from forwarder_insure.domain.access import Role
from forwarder_insure.domain.ids import new_id
from tests.api.test_sweep_and_inquiries import inquiries, sweep
from tests.fixtures.insurance import bound

ID = re.compile(r"^inq_[0-9A-V]{26}$")


def test_the_queue_lists_inquiries_newest_first_and_their_ids_sort_with_pythons(
    app, clock, as_role, underwriter
):
    seller, handler = as_role(Role.SELLER), as_role(Role.HANDLER)
    before = new_id("inq")
    opened = []
    for _ in range(5):
        time.sleep(0.002)  # the next sweep runs in a later millisecond
        coverage = bound(seller)
        assert sweep(app, clock, 15)["opened"] == 1
        [newest] = [i for i in inquiries(handler) if i["coverage_id"] == coverage["id"]]
        opened.append(newest["id"])
        clock.advance(days=1)
    time.sleep(0.002)
    after = new_id("inq")
    assert all(ID.match(i) for i in opened), opened
    assert before < opened[0] < opened[1] < opened[2] < opened[3] < opened[4] < after
    assert [i["id"] for i in inquiries(handler)] == opened[::-1]
