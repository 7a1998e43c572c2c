"""Mask personal data in what users write, before Rasa stores or logs it.

Applied at the channel edge to every user message: personal identity numbers (personnummer)
and coordination numbers (samordningsnummer), email addresses and phone numbers become
placeholders. A number that only looks like one is masked too (a mistyped personnummer is
still someone's), except Migrationsverket's own support number, which users quote back.

People type these numbers as their phone or word processor lets them: with an en dash or a
minus sign instead of the hyphen, spaces around it, a dot, full-width or Arabic-Indic digits.
The patterns are matched against a folded copy of the text, of the same length, in which every
decimal digit is an ASCII digit, every dash or minus an ASCII hyphen and every compatibility
character (full-width "＋", "＠", ...) its plain form; the spans found there are replaced in the
text itself, so nothing else the user wrote changes.

Every pattern runs in time linear in the text: each can only start where a run of the
characters it matches starts, and its repetitions are bounded or cannot overlap, so no input
makes the regex engine try a long stretch again from each of its positions.

The placeholders are words neither language uses, so they do not sway the language of the
reply, and short enough to read in the review inbox.
"""
import re
import unicodedata
from functools import lru_cache
from typing import List, Optional, Tuple

PERSONAL_NUMBER = "[personnummer]"
EMAIL = "[e-post]"
PHONE = "[telefon]"

# YYMMDD or YYYYMMDD, a separator (- before 100 years of age, + after, or none, a dot or a
# space; spaces may surround it), then four digits. The day is 01-31, or 61-91 in a
# samordningsnummer (day + 60).
_PERSONAL_NUMBER = re.compile(
    r"(?<![0-9+])(?:(?:19|20)[0-9]{2}|[0-9]{2})"
    r"(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01])"
    r"(?:\s{0,2}[-+.]\s{0,2}|\s)?[0-9]{4}(?![0-9])"
)
_SWEDISH_MOBILE = re.compile(r"07[0-9]{8}")
# An address's local part may hold almost anything (RFC 6531: any Unicode letter, mark or
# symbol); here it is a run of characters that are not space, "@" or the punctuation that
# surrounds an address in text. The lookbehind lets a match start only where such a run
# starts, which keeps a long run without "@" linear. Domain labels are separated by dots.
_LOCAL = r"[^\s@<>()\[\]\\,;:\"“”«»„]"
_LABEL = r"[^\s@<>()\[\]\\,;:\"“”«»„.!?'’]+"
_EMAIL = re.compile(rf"(?<!{_LOCAL}){_LOCAL}+@{_LABEL}(?:\.{_LABEL})+")
# Swedish numbers start with 0 (07x mobile, 08 Stockholm, ...); international ones with + or
# 00. Digits may be grouped with spaces, dashes, dots or a bracketed area code; 7 to 15 digits.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?[0-9][0-9\s().-]{5,20}[0-9](?!\w)")
_MIN_PHONE_DIGITS, _MAX_PHONE_DIGITS = 7, 15
# Migrationsverket's support number (0771-235 235), in any grouping and with +46.
_AGENCY_NUMBERS = frozenset({"0771235235", "46771235235", "0046771235235"})
_NOT_A_DIGIT = re.compile(r"[^0-9]")
# Stands in the folded copy where something was masked: no pattern matches it or across it.
_MASKED = "\x00"
# Minus signs that are not in Unicode's dash category (Pd).
_MINUS_SIGNS = frozenset("\u2212\u2796\u02d7\u207b\u208b")


def mask_personal_data(text: str) -> str:
    """The text with personal identity numbers, email addresses and phone numbers replaced."""
    folded = _folded(text)
    found: List[Tuple[int, int, str]] = []
    for pattern, placeholder_for in ((_EMAIL, _email), (_PERSONAL_NUMBER, _personal_number),
                                     (_PHONE, _phone)):
        def mask(match: "re.Match[str]") -> str:
            placeholder = placeholder_for(match.group(0))
            if placeholder is None:
                return match.group(0)
            found.append((match.start(), match.end(), placeholder))
            return _MASKED * (match.end() - match.start())

        folded = pattern.sub(mask, folded)
    if not found:
        return text
    parts, position = [], 0
    for start, end, placeholder in sorted(found):
        parts += [text[position:start], placeholder]
        position = end
    parts.append(text[position:])
    return "".join(parts)


def looks_like_personal_data(text: str) -> bool:
    return mask_personal_data(text) != text


def _folded(text: str) -> str:
    """The text with one plain character for each character (same length, same positions)."""
    if text.isascii():
        return text
    return "".join(map(_fold, text))


# Bounded: a message may hold any of a million code points.
@lru_cache(maxsize=4096)
def _fold(character: str) -> str:
    if unicodedata.category(character) == "Pd" or character in _MINUS_SIGNS:
        return "-"
    digit = unicodedata.decimal(character, None)
    if digit is not None:
        return str(digit)
    plain = unicodedata.normalize("NFKC", character)
    return plain if len(plain) == 1 else character


def _email(_: str) -> Optional[str]:
    return EMAIL


def _personal_number(candidate: str) -> Optional[str]:
    # 07xxxxxxxx is a valid-looking personnummer (born 2007) but, typed in a chat, far more
    # often a mobile number: leave it to the phone pattern.
    return None if _SWEDISH_MOBILE.fullmatch(candidate) else PERSONAL_NUMBER


def _phone(candidate: str) -> Optional[str]:
    digits = _NOT_A_DIGIT.sub("", candidate)
    if not _MIN_PHONE_DIGITS <= len(digits) <= _MAX_PHONE_DIGITS:
        return None
    if digits in _AGENCY_NUMBERS:
        return None
    if not candidate.startswith(("+", "00", "0", "(0", "(+")):
        return None  # a plain number (an amount, a case number) is not a phone number
    return PHONE
