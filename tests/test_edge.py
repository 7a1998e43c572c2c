"""The edge every message passes before Rasa (assistant/channels/edge.py): what it refuses,
what it cleans, in which order, in which language it answers, and that its cost grows no
more than linearly with what is sent."""
import asyncio
import json
import time
from types import SimpleNamespace

import pytest
from rasa.shared.core.events import SlotSet
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from assistant.channels.edge import (
    HASHED_SENDER_PREFIX,
    MAX_BODY_BYTES,
    MAX_MESSAGE_LENGTH,
    FAILED,
    REPLIES,
    RETRY_AFTER_SECONDS,
    TOO_FAST,
    TOO_LARGE,
    TOO_LONG,
    UNAVAILABLE,
    BadRequest,
    Edge,
    Refusal,
    clean_text,
    parse_request,
)
from assistant.channels.rate_limit import RateLimiter
from assistant.privacy import EMAIL, PERSONAL_NUMBER


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "hej",
        {"message": "hej"},
        {"sender": "", "message": "hej"},
        {"sender": 42, "message": "hej"},
        {"sender": "x" * 129, "message": "hej"},
        {"sender": "a\x00b", "message": "hej"},  # PostgreSQL cannot store NUL in text
        {"sender": "a\ud800", "message": "hej"},  # a lone surrogate is no text
        {"sender": "a\u202eb", "message": "hej"},  # a direction override
        {"sender": "a\nb", "message": "hej"},
        {"sender": "a"},
        {"sender": "a", "message": None},
        {"sender": "a", "message": 12},
        {"sender": "a", "message": ""},
        {"sender": "a", "message": "   \n\t "},
        {"sender": "a", "message": "\x00\x07\x1b"},
        {"sender": "a", "message": "\ud800\udfff\ud800"},
        {"sender": "a", "message": "hej", "metadata": "sv"},
    ],
)
def test_malformed_requests_are_refused_with_a_reason(body):
    with pytest.raises(BadRequest) as error:
        parse_request(body)
    assert str(error.value) and "\x00" not in str(error.value)


def test_control_characters_odd_spacing_and_lone_surrogates_are_removed():
    assert clean_text("\x00hej\u200b\x1b[31m  där\r\n") == "hej [31m där"
    assert parse_request({"sender": "a", "message": "jag får \ud800ingen kod\udc00"}).text == "jag får ingen kod"
    # A surrogate pair in JSON is one character, and stays.
    assert parse_request(json.loads('{"sender": "a", "message": "hej \\ud83d\\ude00"}')).text == "hej 😀"


def test_only_the_page_language_is_kept_from_metadata():
    message = parse_request(
        {"sender": "a", "message": "hej", "metadata": {"language": "en", "cookie": "x"}}
    )
    assert message.metadata == {"language": "en"}
    assert parse_request({"sender": "a", "message": "hej", "metadata": {"language": "de"}}).metadata == {}


@pytest.mark.parametrize("sender", ["anna.svensson@example.se", "19850312-4432", "070-123 45 67",
                                    "web-19850312–4432", "+46701234567", "deadbeefcafe1234@example.com",
                                    "1b4e28ba-2fa1-11d2-883f-0cc04fd7a3b1@example.com"])
def test_a_sender_id_that_looks_like_personal_data_is_replaced_by_a_keyed_hash(sender):
    stored = parse_request({"sender": sender, "message": "hej"}).sender
    assert stored.startswith(HASHED_SENDER_PREFIX) and sender not in stored
    # The same conversation each time, and never another's.
    assert parse_request({"sender": sender, "message": "hej"}).sender == stored
    assert parse_request({"sender": sender + "0", "message": "hej"}).sender != stored
    # A client cannot name a hashed conversation: a hashed id sent back is hashed again.
    assert parse_request({"sender": stored, "message": "hej"}).sender not in (stored, sender)


def test_ordinary_sender_ids_are_kept():
    for sender in ("web-3f2a9c0d1b7e4a6f8c5d2e1f0a9b8c7d", "test-1b4e28ba-2fa1-11d2-883f-0cc04fd7a3b1", "me",
                   # Random ids whose digits look like a personnummer or a phone number.
                   "privacy-20790418-2802-4f0c-b8f3-7bfdd967f6f2", "web-c0cc28ac-0017-4453-bc5f-8d4088fedd8c",
                   "web-0435788389e840fe85912f04092e035a", "web-20790418280240f0b8f37bfdd967f6f2"):
        assert parse_request({"sender": sender, "message": "hej"}).sender == sender


def test_random_ids_of_every_kind_are_never_hashed():
    import random
    import uuid

    # What the tests and the chat widget use; one UUID in 140 has digits like a personnummer's.
    chance = random.Random(13)
    for _ in range(20_000):
        for sender in (f"test-{uuid.UUID(int=chance.getrandbits(128), version=4)}",
                       f"web-{chance.getrandbits(128):032x}"):
            assert parse_request({"sender": sender, "message": "hej"}).sender == sender


def test_a_personnummer_with_a_few_hex_letters_is_still_personal_data():
    assert parse_request({"sender": "199001011234abcd", "message": "hej"}).sender.startswith(HASHED_SENDER_PREFIX)


def test_every_control_and_format_character_and_lone_surrogate_is_cleaned():
    import sys
    import unicodedata

    from assistant.channels import edge

    unprintable = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs")}
    matched = {chr(c) for c in range(sys.maxunicode + 1) if edge._CONTROL.match(chr(c))}
    assert matched == unprintable
    # "Trojan Source": direction isolates that reorder what a reader sees.
    assert clean_text("hej\u2067då\u2069 \u00adok") == "hej då ok"
    with pytest.raises(BadRequest):
        parse_request({"sender": "a\u2066b", "message": "hej"})


class StoredConversations:
    """A tracker store holding conversations with a `language` slot."""

    def __init__(self, **languages):
        self.languages = languages
        self.reads = 0

    async def retrieve(self, sender):
        self.reads += 1
        if sender not in self.languages:
            return None
        return DialogueStateTracker.from_events(sender, [SlotSet("language", self.languages[sender])],
                                                slots=[TextSlot("language", mappings=[])])


def admit(edge, body, address="1.2.3.4", agent=None):
    return asyncio.run(edge.admit(parse_request(body), address, agent))


def unlimited():
    return Edge(RateLimiter(per_sender=0, per_address=0, window_seconds=60))


def test_a_message_within_the_cap_is_masked_and_passed_on():
    assert admit(unlimited(), {"sender": "a", "message": "mitt nummer är 19850312–4432"}) == (
        f"mitt nummer är {PERSONAL_NUMBER}")


def test_the_cap_counts_the_text_as_typed_not_as_masked():
    # Each number becomes "[personnummer]", one character longer than typed.
    text = ("19900101-1234 " * (MAX_MESSAGE_LENGTH // 14))[:MAX_MESSAGE_LENGTH]
    admitted = admit(unlimited(), {"sender": "a", "message": text})
    assert isinstance(admitted, str) and len(admitted) > MAX_MESSAGE_LENGTH


def test_space_around_a_message_does_not_count_against_the_cap():
    admitted = admit(unlimited(), {"sender": "a", "message": " " * 50_000 + "min mejl anna@example.se" + "\n" * 9000})
    assert admitted == f"min mejl {EMAIL}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("jag har inte fått något mejl " * 200, REPLIES[TOO_LONG]["sv"]),
        ("i did not get the email " * 200, REPLIES[TOO_LONG]["en"]),
    ],
)
def test_too_long_message_gets_a_reply_in_its_language(text, expected):
    refusal = admit(unlimited(), {"sender": "a", "message": text})
    assert refusal == Refusal(TOO_LONG, expected)


def test_too_long_message_in_no_known_language_gets_both():
    refusal = admit(unlimited(), {"sender": "a", "message": "x" * 20_000})
    assert REPLIES[TOO_LONG]["sv"] in refusal.text and REPLIES[TOO_LONG]["en"] in refusal.text


def test_a_refusal_of_a_message_in_no_clear_language_comes_in_the_conversations_language():
    agent = SimpleNamespace(tracker_store=StoredConversations(english="en", swedish="sv"))
    edge = Edge(RateLimiter(per_sender=1, per_address=0, window_seconds=60))
    assert isinstance(admit(edge, {"sender": "english", "message": "ok"}, agent=agent), str)
    refused = admit(edge, {"sender": "english", "message": "ok", "metadata": {"language": "sv"}}, agent=agent)
    assert refused.reason == TOO_FAST and refused.text == REPLIES[TOO_FAST]["en"]
    assert admit(unlimited(), {"sender": "swedish", "message": "x" * 5000}, agent=agent).text == REPLIES[TOO_LONG]["sv"]
    # No stored conversation: the page's language.
    assert admit(unlimited(), {"sender": "new", "message": "x" * 5000, "metadata": {"language": "en"}},
                 agent=agent).text == REPLIES[TOO_LONG]["en"]


def test_a_store_that_cannot_say_the_language_does_not_turn_a_refusal_into_an_error():
    class Broken:
        async def retrieve(self, sender):
            raise OSError("connection refused")

    refusal = admit(unlimited(), {"sender": "a", "message": "x" * 5000}, agent=SimpleNamespace(tracker_store=Broken()))
    assert refusal.reason == TOO_LONG and REPLIES[TOO_LONG]["en"] in refusal.text


def test_messages_over_the_cap_count_against_the_rate_limit():
    edge = Edge(RateLimiter(per_sender=2, per_address=0, window_seconds=60))
    outcomes = [admit(edge, {"sender": "a", "message": "a" * 60_000}) for _ in range(2)]
    assert [o.reason for o in outcomes] == [TOO_LONG, TOO_LONG]
    refused = admit(edge, {"sender": "a", "message": "jag får ingen sms-kod"})
    assert refused.reason == TOO_FAST and refused.retry_after > 0 and refused.text == REPLIES[TOO_FAST]["sv"]


def test_the_store_is_read_only_for_a_refusal_in_no_clear_language_and_once_per_sender():
    store = StoredConversations(a="en")
    agent = SimpleNamespace(tracker_store=store)
    edge = unlimited()
    admit(edge, {"sender": "a", "message": "hej"}, agent=agent)
    admit(edge, {"sender": "a", "message": "jag har inte fått något mejl " * 100}, agent=agent)
    assert store.reads == 0  # answered, or refused in the message's own language
    for _ in range(50):  # a flood
        assert admit(edge, {"sender": "a", "message": "x" * 2000}, agent=agent).text == REPLIES[TOO_LONG]["en"]
    assert store.reads == 1


# The largest message a REST body within its limit can carry, of each shape an attacker would
# pick against the edge's regular expressions.
SHAPES = {
    "word characters": "a",
    "word and dot": "a.",
    "digits": "1",
    "digits and separators": "1-2 3.4–",
    "at signs": "@",
    "email-like": "a.b@c.",
    "personnummer-like": "19850312–4432 ",
    "mixed": "a1@.-–+ ",
    "spaces between words": "a     ",
}


def _message(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def _edge_seconds(text: str) -> float:
    """The least of several runs of the whole edge (parse, rate limit, cap, clean, mask)."""
    edge = unlimited()
    body = json.dumps({"sender": "attacker", "message": text})
    best = float("inf")
    for _ in range(7):
        started = time.perf_counter()
        asyncio.run(edge.admit(parse_request(json.loads(body)), "1.2.3.4", None))
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("shape", SHAPES)
def test_the_edge_costs_no_more_than_linear_time_in_the_body(shape):
    size = MAX_BODY_BYTES - 100
    small, large = _edge_seconds(_message(SHAPES[shape], size // 8)), _edge_seconds(_message(SHAPES[shape], size))
    # Eight times the input: linear work takes about eight times as long (here less, as the
    # cap stops reading early); quadratic work would take 64 times as long.
    assert large < 20 * small + 0.002, (shape, small, large)


def handle(edge, body, deliver, address="1.2.3.4"):
    return asyncio.run(edge.handle(parse_request(body), address, None, deliver))


def test_an_admitted_message_reaches_rasa_masked_and_nothing_is_refused():
    delivered = []

    async def deliver(text):
        delivered.append(text)

    assert handle(unlimited(), {"sender": "a", "message": "min mejl anna@example.se"}, deliver) is None
    assert delivered == [f"min mejl {EMAIL}"]


def test_a_store_out_of_reach_is_an_outage_to_retry_in_the_messages_language():
    from sqlalchemy.exc import OperationalError

    async def deliver(text):
        raise OperationalError("SELECT ...", {}, ConnectionRefusedError("refused"))

    refusal = handle(unlimited(), {"sender": "a", "message": "i never got the email"}, deliver)
    assert refusal == Refusal(UNAVAILABLE, REPLIES[UNAVAILABLE]["en"], RETRY_AFTER_SECONDS)


def test_any_other_failure_is_refused_as_failed_not_raised():
    async def deliver(text):
        raise KeyError("a fault of ours")

    refusal = handle(unlimited(), {"sender": "a", "message": "jag får ingen sms-kod"}, deliver)
    assert refusal.reason == FAILED and refusal.text == REPLIES[FAILED]["sv"] and not refusal.retry_after


def test_a_body_too_large_to_read_is_refused_in_both_languages_and_counts_for_its_address():
    edge = Edge(RateLimiter(per_sender=0, per_address=2, window_seconds=60))
    outcomes = [asyncio.run(edge.too_large("1.2.3.4")) for _ in range(3)]
    assert [o.reason for o in outcomes] == [TOO_LARGE, TOO_LARGE, TOO_FAST]
    assert REPLIES[TOO_LARGE]["sv"] in outcomes[0].text and REPLIES[TOO_LARGE]["en"] in outcomes[0].text
    assert outcomes[2].retry_after > 0
