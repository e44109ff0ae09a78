"""The Slack adapter (``adapters.slack.adapter``); its settings live in ``settings`` so that
reading the config never loads slack_bolt."""

from __future__ import annotations
