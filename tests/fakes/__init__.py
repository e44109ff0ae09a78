"""Fakes of our own ports (``bot.platform.Platform``) for tests: record, script, never mock."""
