"""Plain-text helpers shared by search and lookups: tokens, stems and number words."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import snowballstemmer
from wordfreq import zipf_frequency

_NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleven": 11,
    "twelve": 12,
    "eleventh": 11,
    "twelfth": 12,
}
_ORDINAL_DIGITS = re.compile(r"^#?(\d{1,3})(?:st|nd|rd|th)?\.?$")

# Chat markup people paste into questions: user and channel mentions, links, emoji codes.
_MENTION = re.compile(r"<[@#!][^>]*>")
_LINK = re.compile(r"<(?:https?|mailto):[^|>]*\|([^>]*)>|<(?:https?|mailto):[^>]*>")
_EMOJI = re.compile(r":[a-z0-9_+\-']+:")
_WORD = re.compile(r"[a-z0-9£]+(?:'[a-z]+)?")

STOP_WORDS = frozenset(
    word
    for line in (Path(__file__).resolve().parent / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    if not line.startswith("#")
    for word in line.split()
)

_stemmer = snowballstemmer.stemmer("english")


def unescape_chat(text: str) -> str:
    """Chat text carries the three characters its markup uses as entities ("&gt; from Priya: ..." is a quote);
    once the markup itself is read, they are the characters the person typed. (Only these three: no others are
    escaped, so "&eacute;" typed is left as it was.)"""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def strip_chat_markup(text: str) -> str:
    """Remove chat mentions, link wrappers and emoji codes, keeping a link's visible label; then the
    markup's entities become the characters typed."""
    text = _MENTION.sub(" ", text)
    text = _LINK.sub(lambda m: f" {m.group(1) or ''} ", text)
    return unescape_chat(_EMOJI.sub(" ", text))


# an emoji as typed: a code (":wave:") or a picture, any symbol that is not a letter, digit or punctuation
_EMOJI_OR_PICTURE = re.compile(rf"{_EMOJI.pattern}|[^\w\s',.!?:)]")


def emoji_in(text: str) -> tuple[frozenset[str], str]:
    """The emoji in chat text (codes and pictures, as typed), and the text without them or other markup."""
    found = frozenset(
        m.group(0).removesuffix("\N{VARIATION SELECTOR-16}") for m in _EMOJI_OR_PICTURE.finditer(text)
    )
    return found, _EMOJI_OR_PICTURE.sub(" ", strip_chat_markup(text))


def as_read(text: str) -> str:
    """Chat text as a person reads it, for quoting back: mentions dropped, a link shown as its label (or
    nothing, for a bare one), emoji codes kept (chat shows them as pictures), spaces collapsed. Still needs
    escaping."""
    text = _LINK.sub(lambda m: m.group(1) or "", _MENTION.sub(" ", text))
    return " ".join(unescape_chat(text).split())


def fold(text: str) -> str:
    """Lower-case, turn curly quotes and odd Unicode into plain ASCII-ish text."""
    text = unicodedata.normalize("NFKC", text).lower()
    # "partnérship wörking" is "partnership working": drop accents, keep the letters.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return text.replace("-", " ")


def words(text: str) -> list[str]:
    """All word tokens, stop words included, of already folded text."""
    return [w.removesuffix("'s").replace("'", "") for w in _WORD.findall(text)]


# Words whose stem would make them another word: a "partnership board" is not a boarding school.
_OWN_STEMS = {"boarding": "boarding"}


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    return _OWN_STEMS.get(word) or str(_stemmer.stemWord(word))


def parse_number(token: str) -> int | None:
    """'9', '9th', '#9', 'nine', 'ninth' -> 9; anything else -> None."""
    token = token.strip().lower()
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    match = _ORDINAL_DIGITS.match(token)
    return int(match.group(1)) if match else None


def number_words() -> frozenset[str]:
    return frozenset(_NUMBER_WORDS)


@lru_cache(maxsize=16384)
def english_frequency(word: str) -> float:
    """How common `word` is in English on the Zipf scale: about 7 for "the", 5 for "keep", 3 for
    "sourdough", 0 for a misspelling."""
    return float(zipf_frequency(word, "en", wordlist="small"))


MAX_QUESTION = 4000  # longer text is cut before matching: no question needs more
HELP_WORDS = frozenset({"", "help", "?", "commands", "usage", "what can you do", "menu", "options"})


def searchable(question: str) -> str | None:
    """The words of a message the search reads (cut to MAX_QUESTION, chat markup gone), or None for a request
    for help (the help card, not a search)."""
    text = strip_chat_markup(question[:MAX_QUESTION])
    return None if fold(" ".join(text.split())).strip(" ?!.") in HELP_WORDS else text
