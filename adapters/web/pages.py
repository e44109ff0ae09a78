"""``GET /board/{token}`` (the kanban), ``/board/{token}/issues`` and
``/board/{token}/approvals``: server-rendered HTML (jinja2), no scripts, no build step, one
small inline stylesheet that reads on a phone and on a desktop.

The token (``bot.web.links``) is the only key: a wrong, tampered or expired one, or one for
a project that is gone, gets the same bare 403. Pages are not cached and send no referrer,
so the link does not leak into logs of other sites.
"""

from __future__ import annotations

import logging
from pathlib import Path

import jinja2
from aiohttp import web

from bot.text.i18n import LOCALES, Translator, normalize_locale
from bot.web.links import LinkSigner
from bot.web.pages import VIEWS, BoardSource, View

logger = logging.getLogger("concord.web")
SOURCE_KEY: web.AppKey[BoardSource] = web.AppKey("board_source")
SIGNER_KEY: web.AppKey[LinkSigner] = web.AppKey("board_signer")
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}
FORBIDDEN = "403 Forbidden\n"


def mount(web_app: web.Application, source: BoardSource, signer: LinkSigner) -> None:
    web_app[SOURCE_KEY] = source
    web_app[SIGNER_KEY] = signer
    web_app.router.add_get("/board/{token}", page)
    web_app.router.add_get("/board/{token}/{view}", page)


async def page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    view = request.match_info.get("view", "board")
    grant = request.app[SIGNER_KEY].verify(token)
    if grant is None or view not in VIEWS:
        return forbidden()
    locale = normalize_locale(request.query.get("lang")) or grant.locale
    locale = locale if locale in LOCALES else "en"
    shown: View = "issues" if view == "issues" else "approvals" if view == "approvals" else "board"
    data = await request.app[SOURCE_KEY].page(
        grant.project_id, shown, locale=locale, zone=grant.zone
    )
    if data is None:
        return forbidden()
    template = "board.html.j2" if shown == "board" else "table.html.j2"
    html = TEMPLATES.get_template(template).render(
        t=Translator(locale),
        page=data,
        view=shown,
        base=f"/board/{token}",
        locale=locale,
        other_locale="en" if locale == "zh-CN" else "zh-CN",
    )
    return web.Response(text=html, content_type="text/html", charset="utf-8", headers=HEADERS)


def forbidden() -> web.Response:
    """The one refusal, whatever was wrong with the link."""
    return web.Response(status=403, text=FORBIDDEN, headers=HEADERS)
