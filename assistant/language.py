"""Which language the assistant speaks: the one rule, and the Swedish/English detector it uses.

The rule (the NLU, the actions, the channels' own replies and the review tools all follow it):
1. a message that is clearly Swedish or English is answered in that language, and the
   conversation goes on in it (the NLU's LanguageDetector notes it as the `language` entity,
   which fills the `language` slot);
2. a message that is neither ("ok", "1", an emoji, Arabic) is answered in the conversation's
   language (the slot);
3. a conversation that has none yet takes the language of the web page the chat is on
   (`{"language": "en"}` in the message metadata; the session start sets the slot from it);
4. else Swedish, the agency's language. Only the channels' own replies (too long, too fast,
   ...) make an exception: when nothing tells, they come in both languages rather than guess.
The chat widget follows the same rule on its side: the page's `<html lang>` (Swedish unless
it is English) until the user switches with its language button.

The assistant only ever has to choose between two languages, so a vote of common words is
enough, needs no model file and takes microseconds. Words that both languages use ("ok",
"sms", "bankid", "personnummer") count for neither, so short ambiguous messages get no
answer and the conversation keeps the language it had.
"""
import re
from typing import Any, Dict, List, Optional

SWEDISH = "sv"
ENGLISH = "en"
SUPPORTED_LANGUAGES = (SWEDISH, ENGLISH)
DEFAULT_LANGUAGE = SWEDISH
# The entity (and slot) that holds a conversation's language.
LANGUAGE_ENTITY = "language"

_WORD = re.compile(r"[a-zåäöéü']+")
# Chat spelling stretches words ("hellooo", "nooo", "tackk"); these undo it before the look-up.
_LONG_RUN = re.compile(r"(.)\1{2,}")
_DOUBLED_END = re.compile(r"(.)\1$")

# Common Swedish words, also as typed without å/ä/ö. Words that are also common English
# words once the dots are gone ("men", "for", "far", "lost", "god", "ring") are left out.
_SWEDISH_WORDS = frozenset(
    """
    jag du ni vi hen han hon mig dig oss er min mitt mina din ditt dina sin sitt sina
    och att det den detta som inte ingen inget inga något nagot någon nagon några nagra
    har hade får fått fatt fick kan kunde ska skall vill måste maste behöver behover
    är ar blir blev var varit bli gör gor göra gora gjorde går gar gick funkar funkade
    fungerar fungerade hjälp hjalp hjälpa hjalpa hjälpte hjalpte löste loste
    hur varför varfor vad vem vilken vilket när nar där dar här också ocksa
    med på pa av till från fran om efter utan eller bara redan fortfarande igen nu då da
    hej hejsan hallå halla tja tjena tjenare morrn morgon kväll kvall dag
    tack tackar hejdå hejda ses ja japp jo nej nä icke okej
    mejl mejlet mejlen mejla epost brevet kod koden koder
    kort kortet betala betalning betalningen avgiften banken blankett blanketten
    blanketter öppna oppna öppnar oppnar ansökan ansokan ansökningen ansokningen
    felaktigt felaktig fel rätt ratt skräppost skrappost skräpposten skrapposten
    ringa prata människa manniska handläggare handlaggare riktig riktiga
    telefonnummer numret kontot konto inloggning logga snälla snalla vänligen vanligen
    en ett de bra gott kommer komma kom upp aldrig hela tiden misslyckad misslyckades
    misslyckas kortbetalning transaktionen rutan ogiltig ogiltigt kontakta rekommendera
    morsning eftermiddag hejhej tjabba godmorgon goddag godnatt morron tjenixen trevlig helg
    tjing tak tusentack jepp absolut precis javisst visst korrekt nix jajamensan
    """.split()
)

# Common English words. "i" (Swedish for "in"), "mail", "text", "bank", "bot" and "person"
# are common in Swedish chat too, so they are left out.
_ENGLISH_WORDS = frozenset(
    """
    you we they he she me my mine your our their it its this that these those there
    the a and or but not no nope yes yeah yep yup sure please
    is am are was were be been being have has had do does did don't doesn't didn't
    can can't cannot could would should will won't get got getting receive received
    recieve recieved what why how who which when where here still again now already
    with from of on at to into about after without just only
    hi hello hey morning evening good thanks thank cheers bye goodbye
    email emails e-mail code codes message messages
    card payment pay paying fee form forms open opening fill
    wrong incorrect invalid number right human agent talk speak call phone
    help helped works working work worked solved fixed doesnt didnt dont cant wont
    real machine hiya heya howdy greetings helo yo cya ya see take care goodnight farewell
    later until next time thx ty thanx thnks thankyou appreciated much okay correct
    exactly indeed absolutely affirmative definitely that's nah never negative nothing
    changed
    """.split()
)


def detect_language(text: str) -> Optional[str]:
    """Return "sv" or "en" when the text clearly is one of them, otherwise None."""
    swedish = english = 0
    for word in _WORD.findall(text.lower()):
        word = _normalise(word)
        if word in _SWEDISH_WORDS or any(letter in word for letter in "åäö"):
            swedish += 1
        if word in _ENGLISH_WORDS:
            english += 1
    if swedish > english:
        return SWEDISH
    if english > swedish:
        return ENGLISH
    return None


def supported(language: object) -> Optional[str]:
    """`language` if the assistant speaks it, else None."""
    return language if language in SUPPORTED_LANGUAGES else None  # type: ignore[return-value]


def reply_language(text: str, conversation: Optional[str], page: Optional[str]) -> Optional[str]:
    """Steps 1 to 3 of the rule: the language a message is answered in, or None when nothing
    tells (the channels then answer in both, rather than guess)."""
    for language in (detect_language(text), conversation, page):
        if supported(language):
            return language
    return None


def page_language(metadata: object) -> Optional[str]:
    """The page's language from a message's metadata (step 3), if it is one the assistant speaks."""
    return supported(metadata.get(LANGUAGE_ENTITY)) if isinstance(metadata, dict) else None


def language_after(entities: List[Dict[str, Any]], current: Optional[str]) -> str:
    """The conversation's language after a message the NLU parsed into `entities`, for a
    conversation that was in `current` (None: not yet known): the whole rule, for readers of
    stored conversations."""
    for entity in entities:
        if entity.get("entity") == LANGUAGE_ENTITY and supported(entity.get("value")):
            return entity["value"]
    return supported(current) or DEFAULT_LANGUAGE


def _normalise(word: str) -> str:
    if word in _SWEDISH_WORDS or word in _ENGLISH_WORDS:
        return word
    word = _LONG_RUN.sub(r"\1", word)
    if word in _SWEDISH_WORDS or word in _ENGLISH_WORDS:
        return word
    return _DOUBLED_END.sub(r"\1", word)
