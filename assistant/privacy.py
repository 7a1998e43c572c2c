"""Mask personal data in what users write, before Rasa stores or logs it.

Applied at the channel edge to every user message: personal identity numbers (personnummer)
and coordination numbers (samordningsnummer), email addresses and phone numbers become
placeholders. A number that only looks like one is masked too (a mistyped personnummer is
still someone's), except Migrationsverket's own support number, which users quote back.

The placeholders are words neither language uses, so they do not sway the language of the
reply, and short enough to read in the review inbox.
"""
import re

PERSONAL_NUMBER = "[personnummer]"
EMAIL = "[e-post]"
PHONE = "[telefon]"

# YYMMDD or YYYYMMDD, a separator (- before 100 years of age, + after, or none, or a space),
# then four digits. The day is 01-31, or 61-91 in a samordningsnummer (day + 60).
_PERSONAL_NUMBER = re.compile(
    r"(?<![\d+])(?:(?:19|20)\d{2}|\d{2})"
    r"(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+ ]?\d{4}(?!\d)"
)
_SWEDISH_MOBILE = re.compile(r"07\d{8}")
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Swedish numbers start with 0 (07x mobile, 08 Stockholm, ...); international ones with + or
# 00. Digits may be grouped with spaces, dashes, dots or a bracketed area code; 7 to 15 digits.
_PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)?\(?\d[\d\s().-]{5,20}\d(?![\w])"
)
_MIN_PHONE_DIGITS, _MAX_PHONE_DIGITS = 7, 15
# Migrationsverket's support number (0771-235 235), in any grouping and with +46.
_AGENCY_NUMBERS = frozenset({"0771235235", "46771235235", "0046771235235"})


def mask_personal_data(text: str) -> str:
    """The text with personal identity numbers, email addresses and phone numbers replaced."""
    text = _EMAIL.sub(EMAIL, text)
    text = _PERSONAL_NUMBER.sub(_mask_personal_number, text)
    return _PHONE.sub(_mask_phone, text)


def _mask_personal_number(match: "re.Match[str]") -> str:
    # 07xxxxxxxx is a valid-looking personnummer (born 2007) but, typed in a chat, far more
    # often a mobile number: leave it to the phone pattern.
    if _SWEDISH_MOBILE.fullmatch(match.group(0)):
        return match.group(0)
    return PERSONAL_NUMBER


def _mask_phone(match: "re.Match[str]") -> str:
    candidate = match.group(0)
    digits = re.sub(r"\D", "", candidate)
    if not _MIN_PHONE_DIGITS <= len(digits) <= _MAX_PHONE_DIGITS:
        return candidate
    if digits in _AGENCY_NUMBERS:
        return candidate
    if not (candidate.startswith(("+", "00", "0", "(0", "(+"))):
        return candidate  # a plain number (an amount, a case number) is not a phone number
    return PHONE
