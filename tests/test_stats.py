"""Usage figures: conversations, fallbacks, handoffs and "helped" per topic and language."""
from assistant.review.stats import chart, markdown, usage
from tests.stored_events import action, handoff, rewind, slot, user


def swedish_sms_code_that_helped():
    return [user("jag får ingen sms-kod", "no_sms_code", 0.99), slot("language", "sv"),
            action("utter_no_sms_code_check_operator"), action("utter_ask_did_it_help"),
            action("action_listen"), user("ja", "affirm", 0.98, language="sv"),
            action("utter_glad_it_helped")]


def english_email_that_did_not_help():
    return [user("no email came", "no_email", 0.97, language="en"), slot("language", "en"),
            action("utter_no_email_check_spam"), action("utter_ask_did_it_help"),
            action("action_listen"), user("blorp", "nlu_fallback", 0.3, language="en"),
            action("action_ask_rephrase_or_handoff"), rewind(), action("action_listen"),
            user("no", "deny", 0.99, language="en"), action("utter_no_email_check_address"),
            action("utter_ask_did_it_help"), action("action_listen"),
            user("/deny", "deny", 1.0, language="en"), *handoff()]


def test_usage_per_language_and_topic():
    figures = usage([("a", swedish_sms_code_that_helped()), ("b", english_email_that_did_not_help()),
                     ("c", swedish_sms_code_that_helped())])
    sv, en = figures["sv"], figures["en"]
    assert (sv.conversations, sv.messages, sv.fallbacks, sv.handoffs) == (2, 4, 0, 0)
    assert (en.conversations, en.messages, en.fallbacks, en.handoffs) == (1, 4, 1, 1)
    assert sv.helped_rate("no_sms_code") == 1.0
    assert en.helped_rate("no_email") == 0.0  # two "no" answers to its two pieces of advice
    assert en.not_helped["no_email"] == 2
    assert en.fallback_rate == 0.25 and en.handoff_rate == 1.0
    assert sv.messages_per_topic == {"no_sms_code": 2, "affirm": 2}


def test_the_report_shows_the_figures(tmp_path):
    figures = usage([("a", swedish_sms_code_that_helped()), ("b", english_email_that_did_not_help())])
    text = markdown(figures, days=30)
    assert "| handoff rate (conversations) | 0% | 100% |" in text
    assert "| no_sms_code | 1 | 1 / 0 | 100% |" in text
    assert "| no_email | 1 | 0 / 2 | 0% |" in text
    chart(figures, tmp_path / "usage.png")
    assert (tmp_path / "usage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_handoff_after_two_misunderstandings_counts_as_a_handoff():
    # action_ask_rephrase_or_handoff hands off itself the second time, without the handoff action.
    events = [user("qwxz", "nlu_fallback", 0.2), action("action_ask_rephrase_or_handoff"), rewind(),
              user("plomf", "nlu_fallback", 0.2), action("action_ask_rephrase_or_handoff"),
              *handoff()[1:], rewind()]
    sv = usage([("x", events)])["sv"]
    assert (sv.conversations, sv.handoffs, sv.fallbacks, sv.messages) == (1, 1, 2, 2)


def messages_in_other_languages():
    def other(text, code):
        event = user(text, "other_language", 1.0)
        event["parse_data"]["entities"] = [{"entity": "written_in", "value": code}]
        return event

    return [other("لم يصلني البريد", "ar"), action("utter_only_swedish_and_english"), action("action_listen"),
            other("Ma helin iimaylka", "so"), action("utter_only_swedish_and_english"), action("action_listen"),
            other("لا أستطيع الدفع", "ar"), action("utter_only_swedish_and_english")]


def test_messages_in_other_languages_are_counted_by_the_language_they_were_written_in():
    figures = usage([("a", messages_in_other_languages()), ("b", swedish_sms_code_that_helped())])
    assert figures["sv"].written_in == {"ar": 2, "so": 1}
    text = markdown(figures, days=30)
    assert "| Arabic (ar) | 2 |" in text and "| Somali (so) | 1 |" in text
