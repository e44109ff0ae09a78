"""Golden files: the exact DingTalk data Concord sends, pinned in tests/golden/dingtalk/.

Run with ``CONCORD_UPDATE_GOLDEN=1`` to rewrite them after an intended change (then read
the diff before committing it).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "dingtalk"


def assert_golden(name: str, data: Any) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if os.environ.get("CONCORD_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path} is missing; run with CONCORD_UPDATE_GOLDEN=1 to create it"
    assert json.loads(path.read_text(encoding="utf-8")) == data, f"{path.name} differs"
