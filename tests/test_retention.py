"""Old conversations are deleted whole; recent ones stay untouched."""
import asyncio
import re
import time

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.retention import RETENTION_DAYS, delete_old_conversations
from tests.conftest import ROOT

DAY = 24 * 3600


def conversation(sender: str, last_message_days_ago: float, now: float) -> DialogueStateTracker:
    end = now - last_message_days_ago * DAY
    return DialogueStateTracker.from_events(
        sender,
        [
            ActionExecuted("action_listen", timestamp=end - 120),
            UserUttered("jag får ingen sms-kod", timestamp=end - 60),
            BotUttered("Vårt sms kommer från MIGR.", timestamp=end - 59),
            UserUttered("nej", timestamp=end),
        ],
    )


def test_conversations_older_than_the_retention_period_are_deleted_whole(tmp_path):
    now = time.time()
    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "conversations.db"))

    async def run():
        # Began long ago but went on yesterday: kept whole, its old events too.
        old_start_recent_end = conversation("ongoing", RETENTION_DAYS + 10, now)
        old_start_recent_end.update_with_events(
            [UserUttered("hej igen", timestamp=now - DAY)], Domain.empty()
        )
        for tracker in (conversation("old", RETENTION_DAYS + 1, now),
                        conversation("recent", RETENTION_DAYS - 1, now),
                        old_start_recent_end):
            await store.save(tracker)

        deleted = delete_old_conversations(store, RETENTION_DAYS, now=now)

        return deleted, {sender: await store.retrieve(sender) for sender in ("old", "recent", "ongoing")}

    deleted, trackers = asyncio.run(run())

    assert deleted == 4
    assert trackers["old"] is None
    assert len(trackers["recent"].events) == 4
    assert len(trackers["ongoing"].events) == 5


def test_the_privacy_notice_names_the_retention_period():
    widget = (ROOT / "web" / "widget" / "chat-widget.js").read_text(encoding="utf-8")
    notices = re.findall(r"privacy:\s*((?:\"[^\"]*\"\s*\+?\s*)+)", widget)
    assert len(notices) == 2  # Swedish and English
    for notice in notices:
        assert re.search(rf"\b{RETENTION_DAYS} (dagar|days)\b", notice), notice


def test_the_privacy_pages_name_the_retention_period_and_both_controls():
    for page, controls in ((ROOT / "web" / "integritet.html", ("Spara en kopia", "Radera samtalet")),
                           (ROOT / "web" / "en" / "privacy.html", ("Save a copy", "Delete the conversation"))):
        html = page.read_text(encoding="utf-8")
        assert re.findall(r"<span data-retention-days>(\d+)</span>", html) == [str(RETENTION_DAYS)], page
        for control in controls:  # as the widget labels them
            assert f"<strong>{control}</strong>" in html, (page, control)
