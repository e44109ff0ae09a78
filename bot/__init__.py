"""Concord's framework, platform-neutral: inbound (inbox, dispatch), outbound (delivery,
broadcasts), text (messages, locales), dates, the scheduler's clock and the composition root.

Imports ``storage``; never imports a platform SDK, ``adapters`` or ``commands``
(``bot.main`` and ``bot.cli`` are the composition root and the only exceptions).
"""

from __future__ import annotations

__version__ = "0.1.0"
