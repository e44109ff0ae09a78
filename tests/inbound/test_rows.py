"""Row ids: a row that was never saved has none, and reading it must fail, not become 0."""

from __future__ import annotations

import pytest

from bot.dates.clock import ManualClock, to_utc
from bot.main import App
from storage.db import transaction
from storage.rows import MissingId, id_of, saved_id
from storage.tables import Department


def test_an_unsaved_row_has_no_id_to_read(clock: ManualClock) -> None:
    department = Department(name="Legal", created_at=to_utc(clock.now()))

    with pytest.raises(MissingId, match=r"Department has no id \(not flushed\?\)"):
        id_of(department)


async def test_a_new_row_is_flushed_for_its_id(app: App, clock: ManualClock) -> None:
    async with transaction(app.sessions) as session:
        department = Department(name="Legal", created_at=to_utc(clock.now()))
        session.add(department)

        department_id = await saved_id(session, department)

        assert department_id == id_of(department)
        assert (await session.get(Department, department_id)) is department
