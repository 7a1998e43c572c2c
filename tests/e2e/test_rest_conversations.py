"""Whole conversations over the REST webhook, against the real servers."""
import uuid

import pytest

from tests.conftest import COVERAGE_MAP, response_variation
from tests.helpers import HANDOFF_REFERENCE, PHONE, assert_handoff, assert_in_language, joined, texts

pytestmark = pytest.mark.e2e

DID_IT_HELP = {"sv": "Hjälpte det?", "en": "Did that help?"}
NO_IT_DID_NOT_HELP = {"sv": "nej det hjälpte inte", "en": "no it did not help"}
# (problem, language, first message, words the first answer must contain, how many
# "no" answers lead to the handoff)
PROBLEMS = [
    ("no_email", "sv", "jag har inte fått något mejl med koden", ["skräppost"], 2),
    ("no_email", "en", "i didnt get any email from you", ["spam"], 2),
    ("no_sms_code", "sv", "sms koden kommer inte när jag loggar in", ["MIGR", "Turkiet", "operatören"], 1),
    ("no_sms_code", "en", "the sms code never comes to my phone", ["MIGR", "Turkey", "operator"], 1),
    ("card_payment_failed", "sv", "jag kan inte betala med mitt kort", ["3D-Secure", "bank"], 1),
    ("card_payment_failed", "en", "my card payment does not go through", ["3D-Secure", "bank"], 1),
    ("pdf_form_wont_open", "sv", "blanketten öppnas inte i min webbläsare", ["Acrobat Reader", "pdf-program"], 2),
    ("pdf_form_wont_open", "en", "the pdf form will not open", ["Acrobat Reader", "PDF program"], 2),
    ("personal_number_incorrect", "sv", "ansökan säger att mitt personnummer är felaktigt", ["fel typ av ansökan"], 1),
    ("personal_number_incorrect", "en", "it says my personal number is incorrect", ["wrong type of application"], 1),
]


@pytest.mark.parametrize("problem, language, message, facts, steps", PROBLEMS)
def test_each_problem_leads_through_its_advice_to_a_handoff(
    bot, sender, problem, language, message, facts, steps
):
    replies = bot.say(sender, message)
    assert_in_language(replies, language)
    for fact in facts:
        assert fact in joined(replies)
    assert texts(replies)[-1] == DID_IT_HELP[language]
    assert [b["payload"] for b in replies[-1]["buttons"]] == ["/affirm", "/deny"]

    for step in range(steps):
        replies = bot.say(sender, NO_IT_DID_NOT_HELP[language])
        assert_in_language(replies, language)
        if step < steps - 1:
            assert PHONE not in joined(replies)
            assert texts(replies)[-1] == DID_IT_HELP[language]
    assert_handoff(replies, language)


def test_no_email_in_swedish_step_by_step(bot, sender):
    replies = bot.say(sender, "Hej!")
    assert "Migrationsverkets digitala assistent" in joined(replies)
    assert "/no_email" in [b["payload"] for b in replies[0]["buttons"]]

    replies = bot.say(sender, "/no_email")  # the greeting's button
    assert "skräppost" in joined(replies)

    replies = bot.say(sender, "/deny")  # the "Nej" button
    assert "registrera dig på nytt" in joined(replies)
    assert "familjemedlems mejladress" in joined(replies)

    replies = bot.say(sender, "nej, fortfarande inget mejl")
    assert joined(replies).startswith("Tråkigt att det inte löste sig")
    assert_handoff(replies, "sv")


def test_helpful_advice_closes_kindly(bot, sender):
    bot.say(sender, "my payment with the bank card failed")
    replies = bot.say(sender, "/affirm")  # the "Yes, it helped" button
    assert texts(replies) == ["Great, I'm glad it worked out! Write again if you need more help."]


def test_asking_for_a_person_hands_off_at_once(bot, sender):
    replies = bot.say(sender, "I want to talk to a real human please")
    assert_in_language(replies, "en")
    assert_handoff(replies, "en")
    assert "email address and the phone number you used for your account" in joined(replies)


@pytest.mark.parametrize("language, ask, give", [
    ("sv", "Jag vill prata med en människa", "Uppge referensen {} när du ringer"),
    ("en", "I want to talk to a real human please", "When you call, give the reference {}:"),
])
def test_a_handoff_gives_a_reference_to_read_out_and_the_same_one_again(bot, sender, language, ask, give):
    replies = bot.say(sender, ask)
    reference = HANDOFF_REFERENCE.search(texts(replies)[-1]).group(0)
    assert give.format(reference) in texts(replies)[-1]
    assert texts(replies)[-2].startswith(("Ring Migrationsverkets", "Call Migrationsverket's"))
    # Asked again in the same conversation: the same reference, not a second one.
    assert HANDOFF_REFERENCE.search(texts(bot.say(sender, ask))[-1]).group(0) == reference
    # Another conversation gets another.
    assert HANDOFF_REFERENCE.search(texts(bot.say(sender + "-other", ask))[-1]).group(0) != reference


def test_english_is_kept_for_short_ambiguous_messages(bot, sender):
    bot.say(sender, "hello")
    for ambiguous in ["ok", "1", "👍"]:
        assert_in_language(bot.say(sender, ambiguous), "en")


def test_language_follows_the_user_when_they_switch(bot, sender):
    assert_in_language(bot.say(sender, "hello"), "en")
    assert_in_language(bot.say(sender, "jag får ingen sms kod"), "sv")


def test_web_page_language_sets_the_first_answer_without_any_words(bot, sender):
    replies = bot.say(sender, "/greet", metadata={"language": "en"})
    assert joined(replies).startswith("Hi! I'm Migrationsverket's digital assistant")
    other = bot.say(sender + "-sv", "/greet")
    assert joined(other).startswith("Hej! Jag är Migrationsverkets digitala assistent")


def test_what_the_user_writes_wins_over_the_page_language(bot, sender):
    replies = bot.say(sender, "my card payment does not work", metadata={"language": "sv"})
    assert_in_language(replies, "en")


@pytest.mark.parametrize("language, greeting", [("sv", "hej"), ("en", "hi there")])
def test_two_misunderstandings_in_a_row_hand_off(bot, sender, language, greeting):
    bot.say(sender, greeting)

    first = bot.say(sender, "qwxz plomf")
    assert PHONE not in joined(first)
    payloads = [b["payload"] for b in first[0]["buttons"]]
    assert payloads == [
        "/no_email", "/no_sms_code", "/card_payment_failed", "/pdf_form_wont_open",
        "/personal_number_incorrect", "/request_human",
    ]
    assert_in_language(first, language)

    second = bot.say(sender, "zzzkk vrrt")
    assert_handoff(second, language)


def test_out_of_scope_question_gets_an_honest_answer_and_no_guess(bot, sender):
    replies = bot.say(sender, "how long is the processing time for a work permit?")
    answer = joined(replies)
    assert "I can only help with technical problems" in answer
    assert "month" not in answer and "week" not in answer


def test_personal_identity_number_is_never_repeated_back(bot, sender):
    replies = bot.say(sender, "mitt personnummer 19900101-1234 sägs vara felaktigt")
    assert "fel typ av ansökan" in joined(replies)
    for text in texts(replies):
        assert "19900101" not in text and "1234" not in text


BAD_INPUTS = [
    "x" * 20_000,
    "😀😀😀",
    "<script>alert('hej')</script>",
    "<b>bold</b><img src=x onerror=alert(1)>",
    "'; DROP TABLE events; --",
    "hej\x00\x07\x1b[31m då",
    "مرحبا، لم أتلق أي بريد إلكتروني",
    "{{ 7 * 7 }} ${jndi:ldap://x}",
]


@pytest.mark.parametrize("text", BAD_INPUTS, ids=lambda t: repr(t[:20]))
def test_bad_input_gets_a_sensible_reply_and_the_conversation_goes_on(bot, sender, text):
    replies = bot.say(sender, text)
    assert replies, "no reply at all"
    for reply in replies:
        assert "<script" not in reply.get("text", "")
        assert "<img" not in reply.get("text", "")
        assert "<b>" not in reply.get("text", "")
        assert "Traceback" not in reply.get("text", "")
    assert "Hjälpte det?" in joined(bot.say(sender, "jag får inget mejl från er"))


@pytest.mark.parametrize(
    "body",
    [
        {"sender": "someone", "message": ""},
        {"sender": "someone", "message": "   \n "},
        {"sender": "someone"},
        {"message": "hej"},
        {"sender": "someone", "message": ["hej"]},
        "just a string",
    ],
    ids=["empty", "whitespace", "no message", "no sender", "message not text", "not an object"],
)
def test_malformed_requests_get_a_clear_400(bot, body):
    response = bot.post(body)
    assert response.status_code == 400
    assert response.json()["error"]


def test_invalid_json_gets_a_clear_400(bot):
    import requests

    response = requests.post(
        bot.webhook, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10
    )
    assert response.status_code == 400
    assert response.json()["error"]


def test_too_long_message_gets_told_and_the_flow_is_not_lost(bot, sender):
    bot.say(sender, "jag har inte fått något mejl")

    replies = bot.say(sender, "jag har verkligen inte fått något mejl alls " * 500)
    assert "för långt" in joined(replies)
    assert bot.post({"sender": sender, "message": ""}).status_code == 400

    replies = bot.say(sender, "nej det hjälpte inte")
    assert "registrera dig på nytt" in joined(replies)


def test_nothing_the_user_typed_is_logged_by_the_server(bot, sender):
    bot.say(sender, "mitt personnummer 19121212-1212 är fel")
    assert "19121212-1212" not in bot.server_log.read_text(errors="replace")


# --- Questions from the page "Teknisk support" -------------------------------------------

FAQ_BUTTONS = [
    (topic, language)
    for topic in COVERAGE_MAP["topics"]
    if topic.startswith("faq/")
    for language in ("sv", "en")
]


@pytest.mark.parametrize("topic, language", FAQ_BUTTONS, ids=lambda v: str(v))
def test_every_question_button_gets_its_answer_in_its_language(bot, sender, topic, language):
    # The fallback offers questions from the page as buttons that send the question itself.
    replies = bot.say(sender, COVERAGE_MAP["topics"][topic][language])
    assert texts(replies) == [
        response_variation(f"utter_{topic}", language)["text"],
        response_variation("utter_ask_did_it_help", language)["text"],
    ]


@pytest.mark.parametrize(
    "language, topic, no, yes",
    [("sv", "faq/reload_page", "nej det gjorde det inte", "ja, tack"),
     ("en", "faq/automatic_logout", "no it did not", "yes thanks")],
)
def test_a_page_answer_asks_whether_it_helped(bot, language, topic, no, yes):
    question = COVERAGE_MAP["topics"][topic][language]
    didnt_help, helped = f"test-{uuid.uuid4()}", f"test-{uuid.uuid4()}"
    replies = bot.say(didnt_help, question)
    assert texts(replies)[-1] == response_variation("utter_ask_did_it_help", language)["text"]

    # The page has nothing more to say: technical support takes over.
    replies = bot.say(didnt_help, no)
    assert "0771-235 235" in joined(replies)
    assert texts(replies)[0] == response_variation("utter_handoff_intro_advice_ran_out", language)["text"]

    bot.say(helped, question)
    assert texts(bot.say(helped, yes)) == [response_variation("utter_glad_it_helped", language)["text"]]


@pytest.mark.parametrize(
    "language, message, facts",
    [
        ("sv", "hur gör jag för att stänga ner mitt konto hos er", ["0771-235 235", "knappval 7", "Ring oss"]),
        ("en", "i forgot my password what now", ["reset"]),
        ("en", "is there a time limit on every page of the form", ["30 minutes"]),
        ("sv", "hur länge sparas en ansökan som jag inte har skickat in", ["30 dagar", "14 dagar"]),
        ("en", "how do i get bankid", ["bank", "free"]),
        ("sv", "jag jobbar på en kommun, hur loggar jag in", ["SITHS", "administratören"]),
    ],
)
def test_questions_from_the_page_are_answered_in_the_users_language(bot, sender, language, message, facts):
    replies = bot.say(sender, message)
    assert_in_language(replies, language)
    for fact in facts:
        assert fact in joined(replies)


@pytest.mark.parametrize(
    "language, problem, question, answer_fact, no, next_fact",
    [
        ("en", "i never got the verification email", "how do i change my email address",
         "Min sida", "no, nothing in the junk folder", "mistyped"),
        ("sv", "blanketten går inte att öppna i webbläsaren", "kan jag skriva ut min ansökan",
         "skriva ut", "nej det hjälpte inte", "annan webbläsare"),
    ],
)
def test_a_question_from_the_page_in_the_middle_of_a_flow_and_the_flow_goes_on(
    bot, sender, language, problem, question, answer_fact, no, next_fact
):
    bot.say(sender, problem)
    replies = bot.say(sender, question)
    assert answer_fact in joined(replies)
    replies = bot.say(sender, no)
    assert next_fact in joined(replies)
    assert_in_language(replies, language)
