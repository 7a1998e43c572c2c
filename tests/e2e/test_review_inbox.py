"""The review inbox round trip on a tracker store filled by real conversations over REST:
export → a support lead's corrections → import into (a copy of) the training data."""
import csv
import shutil
import time
import uuid

import pytest

from assistant.review.inbox import import_corrections, inbox_rows, stored_conversations, write_csv
from tests.conftest import ROOT, training_examples

pytestmark = pytest.mark.e2e


@pytest.fixture
def conversations(bot):
    """Four conversations a support lead should see, held now; returns their senders."""
    senders = {name: f"inbox-{name}-{uuid.uuid4()}" for name in ("fallback", "handoff", "unhelpful", "fine")}
    bot.say(senders["fallback"], "qwxz plomf")
    bot.say(senders["handoff"], "jag vill prata med en människa")
    bot.say(senders["unhelpful"], "I never got the email with the code")
    bot.say(senders["unhelpful"], "/deny")
    bot.say(senders["unhelpful"], "/deny")
    bot.say(senders["fine"], "jag får ingen sms-kod")
    bot.say(senders["fine"], "/affirm")
    return senders, bot.endpoints


def read_inbox(path):
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file, delimiter=";"))


def test_export_lists_what_went_wrong_and_import_turns_it_into_training_data(conversations, tmp_path):
    senders, endpoints = conversations
    inbox = tmp_path / "inbox.csv"
    write_csv(inbox_rows(stored_conversations(endpoints), since=time.time() - 3600), inbox)

    rows = {row["conversation"]: row for row in read_inbox(inbox) if row["conversation"] in senders.values()}
    assert set(rows) == {senders["fallback"], senders["handoff"], senders["unhelpful"]}
    assert rows[senders["fallback"]]["reasons"] == "fallback"
    assert rows[senders["handoff"]]["reasons"] == "handoff"
    assert rows[senders["handoff"]]["text"] == "jag vill prata med en människa"
    assert rows[senders["unhelpful"]]["reasons"].startswith("unhelpful")
    assert rows[senders["unhelpful"]]["language"] == "en"
    assert rows[senders["unhelpful"]]["predicted_intent"] == "no_email"
    assert all(row["correct_intent"] == "" for row in rows.values())

    # The support lead corrects two rows in a spreadsheet and saves the file.
    corrected = tmp_path / "corrected.csv"
    new_sentence = f"min kod kommer inte fram via sms {uuid.uuid4().hex[:6]}"
    with corrected.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(read_inbox(inbox)[0]), delimiter=";")
        writer.writeheader()
        for row in read_inbox(inbox):
            if row["conversation"] == senders["handoff"]:
                row["correct_intent"] = "request_human"  # already a training example: skipped
            writer.writerow(row)
        writer.writerow({"conversation": "x", "language": "sv", "text": new_sentence,
                         "correct_intent": "no_sms_code"})
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)

    result = import_corrections(corrected, data / "nlu", ROOT / "tests" / "nlu")

    assert [(intent, text) for _, intent, text in result.added] == [("no_sms_code", new_sentence)]
    assert any("jag vill prata med en människa" in reason for reason in result.skipped)
    added_file = (data / "nlu" / "sv" / "no_sms_code.yml").read_text(encoding="utf-8")
    assert f"    - {new_sentence}\n" in added_file
    # The project's own training data is untouched.
    assert new_sentence not in {text for text, _ in training_examples("sv")}
