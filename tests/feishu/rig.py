"""Drive Concord as Feishu would: a command typed in a group becomes a real
``im.message.receive_v1`` payload (people as ``@_user_N`` placeholders plus the ``mentions``
list), is parsed by the adapter's inbound functions, run, and its replies are delivered
through the Feishu platform to the fake OpenAPI."""

from __future__ import annotations

import re
from typing import Any

from adapters.feishu.inbound import from_message
from adapters.feishu.platform import FeishuPlatform, api_client
from adapters.feishu.settings import FeishuSettings
from bot.main import App
from bot.profiles import Profile, apply_profiles
from bot.replies import Origin, queue_replies
from bot.settings import RateLimit
from tests.feishu.fake_feishu import FakeFeishu
from tests.feishu.payloads import BOT, message

PEOPLE = {"ou_alice": "王丽", "ou_bob": "李博", "ou_carol": "周卡", BOT: "Concord"}
GROUP = "oc_group"
_PERSON = re.compile(r"<@(ou_\w+)>")


def group_message(text: str, *, sender: str, chat: str = GROUP) -> dict[str, Any]:
    """``@Concord`` + ``text`` as Feishu delivers it; ``<@ou_x>`` become ``@_user_N``."""
    mentions = {"@_user_1": (BOT, PEOPLE[BOT])}

    def placeholder(match: re.Match[str]) -> str:
        key = f"@_user_{len(mentions) + 1}"
        mentions[key] = (match.group(1), PEOPLE.get(match.group(1), match.group(1)))
        return key

    return message(
        "@_user_1 " + _PERSON.sub(placeholder, text), sender=sender, chat=chat, mentions=mentions
    )


class FeishuRig:
    def __init__(self, app: App, fake: FakeFeishu, settings: FeishuSettings) -> None:
        self.app = app
        self.fake = fake
        self.platform = FeishuPlatform(api_client(settings))
        app.settings.delivery.feishu = RateLimit(0.0, 0, 0.0, 0)  # one chat, a frozen clock
        app.attach({"feishu": self.platform})

    async def command(self, text: str, *, user: str = "ou_alice", chat: str = GROUP) -> None:
        incoming = from_message(group_message(text, sender=user, chat=chat), bot_open_id=BOT)
        assert incoming is not None
        # What the people directory does for a new sender (the contact API's name).
        profile = {user: Profile(name=PEOPLE.get(user))}
        await apply_profiles(
            self.app.sessions, platform="feishu", profiles=profile, now=self.app.clock.now()
        )
        origin = Origin("feishu", incoming.chat_id, incoming.sender_id, False, incoming.thread_id)
        replies = await self.app.dispatcher.handle_message(incoming)
        await queue_replies(self.app.sessions, origin, replies, now=self.app.clock.now())
        await self.app.deliver()
