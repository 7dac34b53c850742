"""How the search decides, on the shipped content: what a person asking in plain words gets back.

The measured quality is bench/answers.py's; these pin the rules it rests on, so a change that breaks one says
which."""

from __future__ import annotations

import pytest

from knowledge.base import KnowledgeBase


def best(kb: KnowledgeBase, question: str) -> str | None:
    answer = kb.searcher.answer(question)
    return answer.best.id if answer.best else None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("whats the 5th commissioning principle", "principle-5"),  # an ordinal a word or two before its kind
        ("the third nos function", "nos-function-3"),
        ("princple 9 pls", "principle-9"),
    ],
)
def test_ordinal_and_numbered_references(kb: KnowledgeBase, question: str, expected: str) -> None:
    assert best(kb, question) == expected


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # Naming the framework puts a question in scope, even when much of its wording is not in the content...
        ("is there a principle about being upfront with providers", "principle-7"),
        ("can someone paste the full list of principles", "principles"),
        ("whats the actual definition of commissioning", "gloss-commissioning"),
    ],
)
def test_a_question_that_names_the_framework_needs_less_of_its_wording_recognised(
    kb: KnowledgeBase, question: str, expected: str
) -> None:
    assert best(kb, question) == expected


@pytest.mark.parametrize(
    "question",
    [
        # ... but not when nothing else in it is something an entry is about
        "is there a principle about sourdough",
        "what does the NOS say about my lunch order",
        "does the framework say anything about the office christmas party",
        # a word found only inside a longer alias ("opening up", "market testing") is weak evidence
        "what band is my house in for council tax",
    ],
)
def test_questions_about_something_else_are_declined(kb: KnowledgeBase, question: str) -> None:
    assert best(kb, question) is None
    assert kb.searcher.answer(question).declined


def test_an_entry_about_a_word_beats_one_that_mentions_it_once(kb: KnowledgeBase) -> None:
    # "providers" is principle 7's title, text and aliases, and one alias of NOS function 4
    assert best(kb, "what does the framework say about how we treat providers") == "principle-7"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("whats the 3rd one in the principles list", "principle-3"),
        ("what's the last principle", "principle-10"),
        ("was the final version of the nos 2007 or 2008", "bg-nos-final-2008"),  # "final" is not "last"
        # "which principle ...": only a principle will do, though the glossary defines the word
        ("which principle mentions decommissioning", "principle-9"),
        ("what services have national minimum standards", "standards"),
        (
            "hiya, doing a presentation to the board on thursday and need all ten commissioning principles on "
            "one slide. can you give me the full list?",
            "principles",
        ),
        ("are the 2002 fostering standards still in force", "bg-nms-fostering"),
    ],
)
def test_the_shape_of_a_question_says_what_kind_of_answer_it_wants(
    kb: KnowledgeBase, question: str, expected: str
) -> None:
    assert best(kb, question) == expected


def test_a_year_no_entry_mentions_is_declined(kb: KnowledgeBase) -> None:
    # a year is as exact as a number: the Children Act 2004 entry does not answer a question about a 2012 Act
    assert best(kb, "what does the social value act 2012 require us to consider") is None


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # a year that does not name a document is just a number
        ("we have about 2000 providers, how do we make sure we pay them on time", "principle-7"),
        ("since 2020 how should we engage providers in market shaping", "principle-7"),
        # an ordinal that is not a reference to a numbered entry
        ("I have a second question about the principle on market shaping", "principle-7"),
        ("our first two principles workshops went well, which principle covers outcomes", "principle-8"),
        ("in the last principles review what changed", "principle-8"),
    ],
)
def test_numbers_and_ordinals_in_ordinary_wording_are_not_references(
    kb: KnowledgeBase, question: str, expected: str
) -> None:
    answer = kb.searcher.answer(question)
    assert answer.reference is None
    assert answer.best is not None and answer.best.id == expected
