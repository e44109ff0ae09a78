"""Skips for what a developer's machine may lack but CI installs (``.ci/run``): there, with
``CI`` set, the missing piece fails the test instead of skipping it."""

from __future__ import annotations

import os

import pytest


def require(available: bool, what: str, install: str) -> None:
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI ({install} in .ci/run)")
    pytest.skip(f"{what} is not installed ({install})")
