"""Regenerate the initial migration from the models (only while no release has shipped).

Usage: python scripts/regen_initial_migration.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from storage.db import MIGRATIONS_DIR, alembic_config

if __name__ == "__main__":
    versions = MIGRATIONS_DIR / "versions"
    for old in versions.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        config = alembic_config(f"sqlite+aiosqlite:///{Path(tmp) / 'empty.db'}")
        command.revision(
            config,
            message="initial schema",
            autogenerate=True,
            rev_id="0001",
            version_path=str(versions),
        )
    generated = next(versions.glob("0001_*.py"))
    generated.rename(versions / "0001_initial_schema.py")
    print("wrote", versions / "0001_initial_schema.py")
