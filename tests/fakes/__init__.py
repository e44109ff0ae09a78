"""Fakes of our own ports (``bot.outbound.platform.Platform``) for tests: record, script, never mock."""
