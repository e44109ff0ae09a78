"""Socket Mode against a local WebSocket fake: the SDK connects to the URL that
``apps.connections.open`` returns; envelopes are acked and handled like HTTP requests."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from adapters.http import make_web_app
from adapters.slack.adapter import EVENTS_PATH
from bot.main import App, create_adapters
from bot.settings import Settings
from storage.db import transaction
from storage.inbox import queries as inbox
from tests.slack.conftest import configure, fixture
from tests.slack.fake_slack import FakeSlack


async def run(app: App, web_app: Any, fake: FakeSlack, acks: int) -> None:
    """Start the adapters (Socket Mode connects), wait for the acks, run what was stored."""
    (adapter,) = create_adapters(app, web_app)
    client: TestClient[Any, Any] = TestClient(TestServer(web_app))
    await client.start_server()
    await adapter.start()
    try:
        async with asyncio.timeout(10):
            await fake.wait_for_acks(acks)
        await app.settle()
    finally:
        await adapter.stop()
        await client.close()


def slash_envelope(text: str) -> dict[str, Any]:
    envelope = copy.deepcopy(fixture("socket_mode_slash_commands.json"))
    envelope["payload"].update(command="/concord", text=text)
    return envelope


async def test_a_slash_command_envelope_is_acked_and_handled(
    app: App, settings: Settings, fake: FakeSlack
) -> None:
    configure(settings, fake, mode="socket")
    fake.hello = fixture("socket_mode_hello.json")
    fake.envelopes = [slash_envelope('project new "Apollo"')]
    web_app = make_web_app(app.health)
    await run(app, web_app, fake, acks=1)
    assert not any(r.resource.canonical == EVENTS_PATH for r in web_app.router.routes())

    assert fake.acks == [{"envelope_id": "1d3c79ab-0ffb-41f3-a080-d19e85f53649"}]
    assert fake.named("apps.connections.open")[0].headers["Authorization"] == "Bearer xapp-1-test"
    [reply] = fake.named("chat.postMessage")
    assert "Created project *P1 Apollo*" in reply.body["blocks"][0]["text"]["text"]


async def test_a_retried_event_envelope_runs_once(
    app: App, settings: Settings, fake: FakeSlack
) -> None:
    configure(settings, fake, mode="socket")
    fake.bot_user_id = "U111"
    mention = fixture("socket_mode_events_api_app_mention.json")
    retry = copy.deepcopy(mention)
    retry.update(envelope_id="08cfc559-d933-402e-a5c1-79e135afaae4", retry_attempt=1)
    retry["retry_reason"] = "timeout"
    fake.envelopes = [mention, retry]
    web_app = make_web_app(app.health)
    await run(app, web_app, fake, acks=2)

    assert {a["envelope_id"] for a in fake.acks} == {mention["envelope_id"], retry["envelope_id"]}
    # The bare mention answers with help (privately): once.
    assert len(fake.named("chat.postMessage") + fake.named("chat.postEphemeral")) == 1
    async with transaction(app.sessions) as session:
        assert await inbox.is_stored(
            session, platform="slack", event_id="message:C111:1610241741.000200"
        )
