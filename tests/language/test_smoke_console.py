from __future__ import annotations

from tests.console_driver import ConsoleDriver


async def test_project_task_board(console: ConsoleDriver) -> None:
    out = await console.run("""
        project new "Apollo" depts:研发部
        task add "Write spec" owner:@bob due:D+2
        board
    """)
    assert "Created project P1 Apollo" in out
    assert "T1 Write spec — @bob" in out
