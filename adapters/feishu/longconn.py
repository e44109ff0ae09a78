"""``mode = "long_connection"``: events over lark-oapi's WebSocket client, no public URL.

``lark.ws.Client.start()`` blocks forever and runs on an event loop the SDK captured at
import time (``lark_oapi.ws.client.loop``: the bot's own loop, when imported from it). So
the client gets a thread with a fresh loop of its own, installed as that module loop before
the client is built. The SDK calls the event handler synchronously in that thread; the
handler hands the payload to the bot's loop (``run_coroutine_threadsafe``) and waits for
the answer — the event stored, or the card callback's response — for less than Feishu's
3 s. A handler that raises makes the SDK answer 500, so Feishu delivers the event again
(when the store is down, say). Reconnects are the SDK's; ``stop`` turns them off, closes
the socket and ends the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import lark_oapi as lark
import lark_oapi.ws.client as ws_client
from lark_oapi.core.json import JSON as LarkJSON
from lark_oapi.event.callback.model.p2_card_action_trigger import (
    P2CardActionTrigger,
    P2CardActionTriggerResponse,
)

from adapters.feishu.settings import FeishuSettings

logger = logging.getLogger("concord.feishu")
Payload = dict[str, Any]
Handle = Callable[[Payload], Coroutine[Any, Any, Payload]]
# Feishu waits 3 s for the answer; leave room for the frame's way back.
ANSWER_TIMEOUT = 2.8
# The loop the SDK made at import stays referenced (replacing it must not garbage-collect
# a loop that may be the bot's own).
_IMPORT_LOOP = ws_client.loop


def event_handler(handle: Handle, loop: asyncio.AbstractEventLoop) -> lark.EventDispatcherHandler:
    """The handler the SDK calls for each event frame (``_do_without_validation``)."""

    def run(data: Any) -> Payload:
        payload = json.loads(LarkJSON.marshal(data) or "{}")
        future = asyncio.run_coroutine_threadsafe(handle(payload), loop)
        answer: Payload = future.result(timeout=ANSWER_TIMEOUT)
        return answer

    def on_message(data: Any) -> None:
        run(data)

    def on_card_action(data: P2CardActionTrigger) -> P2CardActionTriggerResponse:
        return P2CardActionTriggerResponse(run(data))

    return (
        lark.EventDispatcherHandler.builder("", "")
        .register_p2_im_message_receive_v1(on_message)
        .register_p2_card_action_trigger(on_card_action)
        .build()
    )


class LongConnection:
    """One ``lark.ws.Client`` in its own thread, started and stopped from the bot's loop."""

    def __init__(self, settings: FeishuSettings, handle: Handle) -> None:
        self.settings = settings
        self.handle = handle
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: lark.ws.Client | None = None
        self._ready = threading.Event()

    async def start(self) -> None:
        handler = event_handler(self.handle, asyncio.get_running_loop())
        self._thread = threading.Thread(
            target=self._run, args=(handler,), name="feishu-long-connection", daemon=True
        )
        self._thread.start()
        await asyncio.to_thread(self._ready.wait)

    async def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None or loop.is_closed():
            return
        # The SDK's loop only ends through this; should it have closed, the thread is done.
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        await asyncio.to_thread(thread.join)
        self._thread = None

    def _run(self, handler: lark.EventDispatcherHandler) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        ws_client.loop = loop  # the SDK schedules everything on this module-level loop
        self._loop = loop
        try:
            self._client = lark.ws.Client(
                self.settings.app_id,
                self.settings.app_secret,
                event_handler=handler,
                domain=self.settings.domain,
                log_level=lark.LogLevel.WARNING,
            )
        finally:
            self._ready.set()
        try:
            self._client.start()
        except asyncio.CancelledError:
            pass  # stop() cancelled the SDK's tasks
        except Exception:
            logger.exception("Feishu long connection ended")
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        client = self._client
        if client is not None:
            client._auto_reconnect = False  # the SDK has no public stop
            await client._disconnect()
        current = asyncio.current_task()
        for task in asyncio.all_tasks():
            if task is not current:
                task.cancel()
