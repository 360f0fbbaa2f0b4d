"""The deal card's Marketing widget (issue 8 §2): the marketing fields a deal took from its lead (or its
email), an empty state when it has none; visible to whoever sees the deal."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.conftest import login
from tests.factories import make_record

pytestmark = pytest.mark.db


def test_the_marketing_widget_shows_the_deals_marketing_fields_or_an_empty_state(client, users, db_session):
    tracked = make_record("deal", users["director"], responsible="manager1", name="From the website")
    tracked.utm_source, tracked.utm_campaign, tracked.site_page = "yandex", "winter<sale>", "https://example.org/price"
    tracked.ym_client_id, tracked.received_at = "1700000000123", datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    plain = make_record("deal", users["director"], responsible="manager1", name="By phone")
    db_session.commit()
    login(client, "manager1")
    page = client.get(f"/deals/{tracked.id}").get_data(as_text=True)
    assert 'data-testid="deal-marketing"' in page and 'data-testid="marketing-empty"' not in page
    assert '<dd class="col-7 col-sm-8 text-break" data-testid="marketing-utm_source">yandex</dd>' in page
    assert "winter&lt;sale&gt;" in page and "winter<sale>" not in page  # escaped
    assert "1700000000123" in page and "https://example.org/price" in page and "UTM campaign" in page
    assert 'data-testid="marketing-utm_medium"' not in page  # empty fields are left out
    empty = client.get(f"/deals/{plain.id}").get_data(as_text=True)
    assert 'data-testid="marketing-empty"' in empty and "No marketing data" in empty
