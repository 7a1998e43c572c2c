"""The console's conversation index on both databases: what the filters find, the transcript,
the handoff look-up by reference, the figures, and what the retention job leaves."""
import time

import pytest
import sqlalchemy as sa

from assistant.console import conversations as index
from assistant.retention import delete_console_records_without_events, delete_old_conversations
from assistant.tracker_store import open_tracker_store
from tests import stored_events as ev
from tests.helpers import seed_conversations as seed, store_conversation

DAY = 24 * 3600


def test_the_filters_find_what_they_say(database):
    endpoints, engine = database
    now = time.time()
    seed(endpoints)
    assert index.catch_up(engine) == 3

    def senders(**filters):
        rows, total = index.listed(engine, index.Filters(**filters))
        assert total == len(rows)
        return [index.find(engine, row.id)["sender_id"] for row in rows]

    assert senders() == ["handed-off", "english-fallback", "unsure"]  # the latest first
    assert senders(flags=("handoff",)) == ["handed-off"]
    assert senders(flags=("unhelpful", "handoff")) == ["handed-off"]
    assert senders(flags=("fallback",)) == ["english-fallback"]
    # The page question was answered with 60 % confidence in the answer chosen (stored_events.user).
    assert senders(flags=("low_confidence",)) == ["english-fallback", "unsure"]
    assert senders(language="en") == ["english-fallback"]
    assert senders(topic="faq/clear_cookies") == ["english-fallback"]
    assert senders(since=now - 3 * DAY) == ["handed-off", "english-fallback"]
    assert senders(until=now - 3 * DAY) == ["unsure"]
    assert senders(search="FROZEN") == ["english-fallback"]
    assert senders(search="kortet inte") == ["unsure"]
    assert senders(search="kort") == ["unsure"]  # the start of a word
    assert senders(search="kortet frozen") == []
    assert senders(search="100%_") == []  # LIKE's wildcards are searched for, not obeyed
    first = index.listed(engine, index.Filters(flags=("handoff",)))[0][0]
    index.set_review(engine, first.id, True, "mejl, spam", "lead")
    assert senders(reviewed="yes") == ["handed-off"]
    assert senders(reviewed="no") == ["english-fallback", "unsure"]


def test_paging_over_many_conversations(database):
    endpoints, engine = database
    now = time.time()
    for number in range(7):
        store_conversation(endpoints, f"c{number}", [ev.user(f"meddelande {number}", "greet", 0.9, at=now - number)])
    index.catch_up(engine)
    pages = [index.listed(engine, index.Filters(), page, page_size=3) for page in (1, 2, 3)]
    assert [total for _, total in pages] == [7, 7, 7]
    assert [[row.first_message for row in rows] for rows, _ in pages] == [
        ["meddelande 0", "meddelande 1", "meddelande 2"], ["meddelande 3", "meddelande 4", "meddelande 5"],
        ["meddelande 6"]]


def test_a_conversation_that_goes_on_is_indexed_again_keeps_its_tags_and_is_to_be_reviewed_again(database):
    endpoints, engine = database
    now = time.time()
    first = [ev.user("jag får ingen sms-kod", "no_sms_code", 0.95, at=now - 60)]
    store_conversation(endpoints, "ongoing", first)
    index.catch_up(engine)
    row = index.listed(engine, index.Filters())[0][0]
    index.set_review(engine, row.id, True, "sms", "lead")
    store_conversation(endpoints, "ongoing", first + [ev.user("kan jag ringa någon?", "request_human", 0.9)]
                       + ev.handoff() + [ev.slot("handoff_reference", "AAAA-3333")])
    assert index.catch_up(engine) == 1
    again = index.find(engine, row.id)
    assert again["handoff"] and again["tags"] == "sms"
    assert not again["reviewed"]  # the review did not cover what came after it
    assert index.by_reference(engine, "AAAA-3333")["id"] == row.id
    assert index.catch_up(engine) == 0  # nothing new: nothing read


def test_the_transcript_and_summary_of_a_handoff_with_personal_data_masked(database):
    endpoints, engine = database
    seed(endpoints)
    index.catch_up(engine)
    found = index.by_reference(engine, "K7QF-4MXA")
    turns = index.transcript(engine, found)
    assert [t.speaker for t in turns] == ["user", "bot", "bot", "user", "bot"]
    assert "anna.andersson@example.com" not in str(turns) and "[e-post]" in turns[0].text
    assert turns[0].topic == "no_email" and turns[0].feedback == "no"
    assert turns[2].buttons == ["Ja", "Nej"] and turns[3].is_button and turns[4].handoff
    summary = index.summary_of(turns)
    assert summary["problem"] == "no_email" and summary["tried"] == ["no_email"]
    assert summary["answers"] == [("no_email", "no")]
    assert index.by_reference(engine, "K7QF-4MXB") is None


def test_figures_count_as_make_stats_does(database):
    from assistant.review.stats import usage

    endpoints, engine = database
    now = time.time()
    seed(endpoints)
    index.catch_up(engine)
    store = open_tracker_store(endpoints)
    import asyncio

    async def load():
        return [(s, [e.as_dict() for e in (await store.retrieve_full_tracker(s)).events]) for s in await store.keys()]

    stored = asyncio.run(load())
    for since in (0, now - 3 * DAY):
        expected = usage(stored, since=since)
        counted = index.figures(engine, since, now + 60)
        for language in ("sv", "en"):
            assert (counted[language].conversations, counted[language].handoffs, counted[language].messages,
                    counted[language].fallbacks) == (expected[language].conversations, expected[language].handoffs,
                                                     expected[language].messages, expected[language].fallbacks)
            assert +counted[language].messages_per_topic == +expected[language].messages_per_topic
            assert +counted[language].not_helped == +expected[language].not_helped


def test_the_retention_job_takes_deleted_conversations_out_of_the_index(database):
    endpoints, engine = database
    seed(endpoints)
    index.catch_up(engine)
    delete_old_conversations(open_tracker_store(endpoints), days=5)
    assert delete_console_records_without_events(engine) == 1
    assert [row.first_message for row in index.listed(engine, index.Filters())[0]] == [
        "jag får inget mejl till [e-post]", "my application page is totally frozen"]


def insert_event(engine, event_id, sender, text):
    """An event row as Rasa writes it, with the id given (as a sequence handed it out)."""
    import json

    from assistant.console.store import events

    with engine.begin() as connection:
        connection.execute(events.insert().values(id=event_id, sender_id=sender, type_name="user",
                                                  timestamp=time.time(),
                                                  data=json.dumps(ev.user(text, "no_email", 0.9))))


def newest_id(engine):
    from assistant.console.store import events

    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.max(events.c.id))).scalar()


def first_messages(engine):
    return {row.first_message for row in index.listed(engine, index.Filters())[0]}


@pytest.mark.parametrize("moment", ["while running", "at the first run", "across a restart"])
def test_an_event_committed_after_a_later_one_is_still_indexed(database, moment):
    """Several Rasa instances write to PostgreSQL: an id handed out earlier may be committed
    after a later one was read, whenever the console looks, and also before it restarts."""
    endpoints, engine = database
    store_conversation(endpoints, "first", [ev.user("hej", "greet", 0.9)])
    if moment != "at the first run":
        index.catch_up(engine)
    newest = newest_id(engine)
    insert_event(engine, newest + 3, "committed-first", "jag får inget mejl")
    index.catch_up(engine)
    if moment == "across a restart":
        index._progress.clear()  # what a new console process knows
    insert_event(engine, newest + 1, "committed-late", "mejlet kommer inte")  # below an id already read
    index.catch_up(engine)
    assert first_messages(engine) == {"hej", "jag får inget mejl", "mejlet kommer inte"}


def test_ids_handed_out_again_after_the_retention_job_are_read(database):
    """SQLite hands out the ids of deleted newest events again."""
    endpoints, engine = database
    store_conversation(endpoints, "old", [ev.user("gammalt", "greet", 0.9)])
    index.catch_up(engine)
    newest = newest_id(engine)
    insert_event(engine, newest + 1, "newer", "nyare")
    index.catch_up(engine)
    from assistant.console.store import events

    with engine.begin() as connection:  # the retention job deletes the newest conversation
        connection.execute(events.delete().where(events.c.sender_id == "newer"))
    delete_console_records_without_events(engine)
    index.after_retention(engine)
    insert_event(engine, newest + 1, "reused", "samma id igen")
    index.catch_up(engine)
    assert first_messages(engine) == {"gammalt", "samma id igen"}


def test_figures_count_messages_in_other_languages_by_language(database):
    from tests.test_stats import messages_in_other_languages

    endpoints, engine = database
    store_conversation(endpoints, "arabic-and-somali", messages_in_other_languages())
    index.catch_up(engine)
    counted = index.figures(engine, 0, time.time() + 60)
    assert +counted["sv"].written_in == {"ar": 2, "so": 1}
    assert +counted["en"].written_in == {}
