"""The Document Library in the real browser (CSRF on): from a lead's card to its folder, upload a file,
download it back byte for byte, upload a new version, link the lead to a deal, and delete the document
after the confirmation."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import path_of

pytestmark = pytest.mark.browser

CONTENT = "Коммерческое предложение\n".encode() + bytes(range(256))


def test_upload_download_version_link_and_delete(new_session: Any, tmp_path: Path) -> None:
    session = new_session()
    page = session.login("manager1")
    name = f"Документы {uuid.uuid4().hex[:6]}"
    page.goto("/leads/new")
    page.fill("#name", name)
    page.select_option("#responsible", "manager1")
    with page.expect_navigation():
        page.get_by_test_id("create-lead").click()
    card_url = path_of(page.url)

    # The card's Documents widget leads to the lead's folder, created when the first file is stored.
    with page.expect_navigation():
        page.get_by_test_id("record-folder").click()
    assert name in page.get_by_test_id("folder-title").inner_text()
    upload = tmp_path / "Предложение.bin"
    upload.write_bytes(CONTENT)
    page.get_by_test_id("upload-form").locator("input[type=file]").set_input_files(str(upload))
    with page.expect_navigation():
        page.get_by_test_id("upload").click()
    assert page.get_by_role("alert").filter(has_text="uploaded (version 1)").count() == 1
    row = page.get_by_test_id("file-row").filter(has_text="Предложение.bin")
    assert row.count() == 1

    with page.expect_download() as download_info:
        row.get_by_test_id("download").click()
    download = download_info.value
    assert download.suggested_filename == "Предложение.bin"
    assert Path(download.path()).read_bytes() == CONTENT

    # A new version on the document's page; the first one still downloads.
    with page.expect_navigation():
        row.get_by_test_id("file-link").click()
    second = tmp_path / "v2.bin"
    second.write_bytes(b"second version")
    page.get_by_test_id("version-form").locator("input[type=file]").set_input_files(str(second))
    with page.expect_navigation():
        page.get_by_test_id("version-form").get_by_test_id("upload").click()
    assert page.get_by_test_id("version-row").count() == 2
    with page.expect_download() as first_info:
        page.get_by_test_id("version-row").nth(1).get_by_test_id("download-version").click()
    assert Path(first_info.value.path()).read_bytes() == CONTENT
    file_url = path_of(page.url)

    # The card lists the document; a link to a deal of manager1's shows on both cards.
    page.goto(card_url)
    assert "Предложение.bin" in page.get_by_test_id("record-files").inner_text()
    page.goto("/deals")
    deal_link = page.locator("table a[href^='/deals/']").first
    deal_url = deal_link.get_attribute("href")
    assert deal_url
    page.goto(deal_url)
    deal_number = page.get_by_test_id("deal-title").inner_text().split(" ")[0]
    page.goto(card_url)
    page.select_option("#link-type", "deal")
    page.fill("#link-reference", deal_number)
    with page.expect_navigation():
        page.get_by_test_id("add-link").click()
    assert deal_number in page.get_by_test_id("links").inner_text()
    page.goto(deal_url)
    assert name in page.get_by_test_id("links").inner_text()

    # Deleting asks first: dismissed, nothing happens; accepted, the document is gone.
    page.goto(file_url)
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_test_id("delete-file").click()
    page.wait_for_timeout(300)
    assert path_of(page.url) == file_url
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_test_id("delete-file").click()
    assert page.get_by_role("alert").filter(has_text="Document deleted.").count() == 1
    assert page.get_by_test_id("file-row").count() == 0
    assert session.console_errors == []
