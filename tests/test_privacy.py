"""Personal data in user messages is masked before Rasa stores or logs it, however it is
typed, in time linear in the text."""
import time

import pytest

from assistant import privacy
from assistant.privacy import EMAIL, PERSONAL_NUMBER, PHONE, mask_personal_data
from tests.helpers import TYPED_VARIANTS


@pytest.mark.parametrize(
    "number",
    [
        "19900101-1234",  # 12 digits with a dash
        "199001011234",  # 12 digits, no separator
        "900101-1234",  # 10 digits with a dash
        "9001011234",  # 10 digits, no separator
        "191212121212",  # the Tax Agency's test number
        "121212+1212",  # + for someone over 100
        "900101 1234",  # a space instead of the dash
        "19900161-1234",  # samordningsnummer: day 01 + 60
        "900191-1234",  # samordningsnummer, day 31 + 60
        "19900101-1235",  # a wrong check digit: still someone's number, mistyped
    ],
)
def test_personal_identity_numbers_are_masked(number):
    assert mask_personal_data(f"mitt personnummer är {number} och det blir fel") == (
        f"mitt personnummer är {PERSONAL_NUMBER} och det blir fel"
    )


@pytest.mark.parametrize(
    "text",
    [
        "jag har väntat 30 dagar",
        "ärendenummer 12345678",  # 8 digits: not a personnummer
        "kontrollnummer 2024-05-17",  # a date
        "19901301-1234 är inte ett datum",  # month 13
        "900132-1234 finns inte",  # day 32
        "betalade 1 500 kr den 3/4",
    ],
)
def test_numbers_that_are_not_personal_data_stay(text):
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    "address",
    ["anna.svensson@example.se", "john+migr@mail.example.co.uk", "o'brien@example.org", "åsa@exempel.se"],
)
def test_email_addresses_are_masked(address):
    assert mask_personal_data(f"I registered {address}, but no email came") == (
        f"I registered {EMAIL}, but no email came"
    )


@pytest.mark.parametrize(
    "number",
    [
        "070-123 45 67",
        "070 123 45 67",
        "08-123 456 78",
        "+46 70 123 45 67",
        "+46701234567",
        "0046 70 123 45 67",
        "+90 532 123 45 67",  # Turkey
        "+1 (555) 123-4567",
        "(08) 123 45 67",
    ],
)
def test_phone_numbers_are_masked(number):
    assert mask_personal_data(f"my number is {number} and no code arrives") == (
        f"my number is {PHONE} and no code arrives"
    )


@pytest.mark.parametrize("typed, placeholder", TYPED_VARIANTS)
def test_personal_data_is_masked_however_it_is_typed(typed, placeholder):
    assert mask_personal_data(f"hej, {typed} funkar inte") == f"hej, {placeholder} funkar inte"


def test_only_the_masked_span_changes_around_unicode_text():
    assert mask_personal_data("Är «19850312–4432» rätt? ＯＫ") == f"Är «{PERSONAL_NUMBER}» rätt? ＯＫ"
    assert mask_personal_data("mejl: (anna@example.se), tack") == f"mejl: ({EMAIL}), tack"


def test_ten_digits_from_07_count_as_a_mobile_number():
    # 0701234567 is also a valid-looking personnummer (born 2007-01-23), but typed in a chat
    # it is far more often a mobile number; with a dash it is a personnummer.
    assert mask_personal_data("ring 0701234567") == f"ring {PHONE}"
    assert mask_personal_data("född 070123-4567") == f"född {PERSONAL_NUMBER}"


@pytest.mark.parametrize("number", ["0771-235 235", "0771235235", "+46 771 235 235"])
def test_the_agencys_own_support_number_stays(number):
    assert mask_personal_data(f"I called {number} but nobody answered") == (
        f"I called {number} but nobody answered"
    )


def test_several_kinds_in_one_message_are_all_masked():
    text = "Jag heter Anna, 19850505-4321, anna@example.se, 073-987 65 43."
    assert mask_personal_data(text) == f"Jag heter Anna, {PERSONAL_NUMBER}, {EMAIL}, {PHONE}."


def test_text_without_personal_data_is_unchanged():
    text = "Jag får ingen sms-kod från MIGR, vad gör jag? 3D-Secure fungerar inte heller."
    assert mask_personal_data(text) == text
    text = "Ärendet 2024–05–17 – svar inom 30 minuter, kl. 10.30 – 11.00 ＯＫ?"
    assert mask_personal_data(text) == text


# Shapes that make a backtracking regex slow when a pattern can restart inside a long run.
ADVERSARIAL = {
    "word characters": "a",
    "word and dot": "a.",
    "digits": "1",
    "digits and separators": "1-2 3.4–",
    "spaced digits": "1 ",
    "at signs": "@",
    "word and at sign": "a@",
    "email-like": "a.b@c.",
    "personnummer-like": "19850312–4432 ",
    "full-width digits": "１",
    "mixed": "a1@.-–+ (",
}
PATTERNS = {"email": privacy._EMAIL, "personnummer": privacy._PERSONAL_NUMBER, "phone": privacy._PHONE,
            "all of the masking": None}


def _seconds(pattern, text):
    work = (lambda: mask_personal_data(text)) if pattern is None else (lambda: pattern.sub("", text))
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.parametrize("pattern", PATTERNS)
@pytest.mark.parametrize("shape", ADVERSARIAL)
def test_every_pattern_takes_time_linear_in_the_text(pattern, shape):
    unit = ADVERSARIAL[shape]
    small, large = ((unit * (size // len(unit) + 1))[:size] for size in (8 * 1024, 64 * 1024))
    if PATTERNS[pattern] is not None:
        small, large = privacy._folded(small), privacy._folded(large)
    took_small, took_large = _seconds(PATTERNS[pattern], small), _seconds(PATTERNS[pattern], large)
    # Eight times the text: linear work takes about eight times as long, quadratic 64 times.
    assert took_large < 20 * took_small + 0.005, (took_small, took_large)


def test_the_classifiers_read_a_message_without_the_placeholders():
    from assistant.nlu.placeholders import without_placeholders

    masked = mask_personal_data("Blanketten går inte att öppna, min mejl är anna@example.se")
    assert without_placeholders(masked) == "Blanketten går inte att öppna, min mejl är"
    assert without_placeholders(f"{PHONE} {EMAIL}") == f"{PHONE} {EMAIL}"  # nothing else to read


def test_a_masked_message_is_understood_as_the_same_message_unmasked(parse):
    masked, plain = parse([
        mask_personal_data("Blanketten går inte att öppna, min mejl är anna@example.se"),
        "Blanketten går inte att öppna",
    ])
    assert masked["intent"]["name"] == plain["intent"]["name"] == "pdf_form_wont_open"
