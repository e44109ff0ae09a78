"""The baseline of ``python -m bench e2e``: a bare slack-bolt app, nothing else.

``AsyncApp`` behind bolt's aiohttp adapter on ``POST /slack/events`` (signatures checked
with the same secret as Concord), plus ``GET /healthz``. Its one slash-command listener
acks, then posts one ``chat.postMessage`` reply that carries the command's text (so the
driver can match it exactly as it matches Concord's replies). It is the floor: what any
bolt app costs on this machine, before a database, a dispatcher or an outbox.

    python bench/slack_baseline.py --port 8090 --secret S --api-base-url http://…/api/
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

COMMAND = "/concord"


def reply_text(body: dict[str, Any]) -> str:
    """``board`` answers with a board header (as Concord does); anything else echoes."""
    text = str(body.get("text") or "").strip()
    if text == "board":
        return f"Board — #{body.get('channel_name', '')}"
    return f"Done: {text}"


def bolt_app(secret: str, client: AsyncWebClient) -> AsyncApp:
    bolt = AsyncApp(client=client, signing_secret=secret, process_before_response=False)

    @bolt.command(COMMAND)
    async def on_command(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=body["channel_id"], text=reply_text(body))

    return bolt


def web_app(bolt: AsyncApp) -> web.Application:
    async def events(request: web.Request) -> web.Response:
        response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def healthz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--api-base-url", required=True)
    parser.add_argument("--token", default="xoxb-bench")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    client = AsyncWebClient(token=args.token, base_url=args.api_base_url)
    web.run_app(
        web_app(bolt_app(args.secret, client)), host="127.0.0.1", port=args.port, print=None
    )


if __name__ == "__main__":
    main()
