"""A real ``concord serve`` at its edges: malformed or forged requests to ``/slack/events``
are refused with a 4xx and no traceback, and a second process on the same SQLite file is
refused at start-up while the first keeps working."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.serve_process import FORM, FaultRig, fault_rig, traceback_count

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture
async def rig(tmp_path: Path, database_url: str) -> AsyncIterator[FaultRig]:
    async with fault_rig(tmp_path, database_url) as made:
        yield made


HUGE = "x" * (3 * 1024 * 1024)
# (body, content type, signed): unsigned ones must be refused before anything is parsed;
# signed ones show that a correctly signed but malformed request is not a 500 either.
MALFORMED = {
    "bad JSON": ("{not json", "application/json", False),
    "bad payload=": ("payload=%7Bnope", FORM, False),
    "huge body": (HUGE, "application/json", False),
    "wrong content type": ('{"type": "event_callback"}', "text/plain", False),
    "signed bad JSON": ("{not json", "application/json", True),
    "signed bad payload=": ("payload=%7Bnope", FORM, True),
    "signed payload= not an object": ("payload=%5B1%2C2%5D", FORM, True),
    "signed JSON not an object": ("[1, 2]", "application/json", True),
    "signed event without event": ('{"type": "event_callback"}', "application/json", True),
    "signed wrong content type": ('{"type": "event_callback"}', "text/plain", True),
    "signed form without fields": ("a=b", FORM, True),
    "signed huge body": (HUGE, "application/json", True),
    "signed not UTF-8": ("payload=%FF%FE", FORM, True),
}
BAD_STAMPS = {"non-numeric timestamp": "soon", "missing timestamp": None, "stale": "1000000000"}


async def test_malformed_requests_get_4xx_never_500_and_no_traceback(rig: FaultRig) -> None:
    server = await rig.started()
    answers: dict[str, int | None] = {}
    for case, (body, content_type, signed) in MALFORMED.items():
        answers[case], _ = await rig.sender.post(server, body, content_type, signed=signed)
    for case, stamp in BAD_STAMPS.items():
        headers = {"Content-Type": "application/json", "X-Slack-Signature": "v0=abc"}
        if stamp is not None:
            headers["X-Slack-Request-Timestamp"] = stamp
        async with rig.sender.client.post(
            server.url + "/slack/events", data=json.dumps({"type": "x"}), headers=headers
        ) as response:
            answers[case] = response.status

    print(f"\nFIGURES malformed: {answers}")
    assert {
        case: status for case, status in answers.items() if not 400 <= (status or 0) < 500
    } == {}
    unsigned = [case for case, (_, _, signed) in MALFORMED.items() if not signed]
    assert {answers[case] for case in unsigned} <= {401, 413}
    assert await server.health_status() == 200
    assert traceback_count(server.log()) == 0, server.log()
    assert "ERROR" not in server.log(), server.log()


async def test_a_second_process_on_one_sqlite_file_is_refused_and_the_first_keeps_working(
    rig: FaultRig,
) -> None:
    first = await rig.started("first")
    second = rig.server("second")
    console = rig.server("console")

    serve_code = await (await second.launch("serve")).wait()
    console_code = await (await console.launch("console")).wait()

    assert (serve_code, console_code) == (2, 2)
    assert first.process is not None
    for refused in (second, console):
        message = refused.log()
        assert f"Another Concord process (pid {first.process.pid}) is using" in message
        assert "use PostgreSQL to run several replicas" in message
        assert traceback_count(message) == 0
    assert await second.health_status() is None
    sent = await rig.sender.command(first, 'project new "StillHere"', channel="C777")
    assert sent.acknowledged
    await rig.all_replied(["StillHere"])
    assert first.process.returncode is None
