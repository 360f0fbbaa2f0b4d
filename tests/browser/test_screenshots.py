"""Full-page screenshots of the main pages, for a human to look at (CRM_SCREENSHOT_DIR, else a temp dir).

The assertions check that each page rendered its content and ran without JavaScript errors; looks are
judged by a person from the PNG files.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

VENDOR = Path(__file__).resolve().parents[2] / "app" / "static" / "vendor"


def _shoot(page: Any, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000, f"{path} looks empty"
    return path


def test_screenshots_of_inbox_task_page_and_board(new_session: Any, screenshot_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    manager = new_session()
    page = manager.login("manager1")
    assert page.get_by_test_id("task-row").count() >= 1
    shots = [_shoot(page, screenshot_dir, "current-tasks-manager1")]

    row = page.locator("[data-testid=task-row]", has_text="Prepare the Q4 sales forecast")
    with page.expect_navigation():
        row.locator("td").first.locator("a").click()
    assert page.get_by_test_id("task-form").is_visible()
    shots.append(_shoot(page, screenshot_dir, "task-page-manager1"))

    director = new_session()
    page = director.login("director")
    page.goto("/board")
    assert page.get_by_test_id("board-card").count() >= 1
    assert page.locator(".board .cards").count() >= 2
    shots.append(_shoot(page, screenshot_dir, "assignment-board-director"))

    if (VENDOR / "bootstrap" / "bootstrap.min.css").exists():
        # With the vendor assets installed the pages must be styled and the board script must run.
        navbar_bg = page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).backgroundColor")
        assert navbar_bg not in ("rgba(0, 0, 0, 0)", "transparent"), "Bootstrap CSS did not apply"
        assert page.evaluate("typeof Sortable") == "function"
        for session in (manager, director):
            assert session.console_errors == []

    with capsys.disabled():
        print("\nscreenshots:", *[str(p) for p in shots], sep="\n  ")
