from typing import Any
from tests.browser.test_task_flows import _create_assignment, _unique

def test_dbg(new_session: Any) -> None:
    title = _unique("Browser drag: dbg")
    director = new_session()
    page = director.login("director")
    _create_assignment(page, title, "manager2")
    page.goto("/board")
    page.screenshot(path="/tmp/lead-shots/dbg-board.png", full_page=True)
    card = page.locator("[data-testid=board-card]", has_text=title)
    target = page.locator(".board .cards[data-assignee=manager1]")
    print("card", card.bounding_box(), "target", target.bounding_box(), page.viewport_size)
