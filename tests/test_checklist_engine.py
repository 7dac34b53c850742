"""The checklist engine: what typed replies mean, and what the summary says."""

from __future__ import annotations

import dataclasses
import re
import string
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.base import KnowledgeBase
from knowledge.checklist_engine import (
    AnswerRecord,
    NoteRecord,
    Reply,
    ReplyKind,
    Summary,
    parse_reply,
    summarise,
    to_markdown,
)

WHEN = datetime(2026, 11, 22, tzinfo=UTC)
QUALITY_ANSWERS = {
    "service": "fostering",
    "specified": "yes",
    "inspection": "partly",
    "monitoring": "no",
    "voice": "not_sure",
    "value": "skipped",
}


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("Yes", Reply(ReplyKind.ANSWER, "yes")),
        ("  PARTLY. ", Reply(ReplyKind.ANSWER, "partly")),
        ("not sure", Reply(ReplyKind.ANSWER, "not_sure")),
        ("dunno", Reply(ReplyKind.ANSWER, "not_sure")),
        ("nope", Reply(ReplyKind.ANSWER, "no")),
        # a bare letter in a busy thread is as likely chat: only clear words are answers
        ("y", Reply(ReplyKind.UNKNOWN)),
        ("n", Reply(ReplyKind.UNKNOWN)),
        ("?", Reply(ReplyKind.UNKNOWN)),
        ("skip", Reply(ReplyKind.SKIP)),
        ("go back", Reply(ReplyKind.BACK)),
        ("cancel", Reply(ReplyKind.CANCEL)),
        ("Note: parents were consulted in May", Reply(ReplyKind.NOTE, "parents were consulted in May")),
        ("yes but only for under-fives", Reply(ReplyKind.UNKNOWN)),
        # an answer with a note after a comma, dash or colon
        (
            "Partly, budget is tight this year",
            Reply(ReplyKind.ANSWER, "partly", note="budget is tight this year"),
        ),
        ("no - not yet", Reply(ReplyKind.ANSWER, "no", note="not yet")),
        ("dunno: ask Sam", Reply(ReplyKind.ANSWER, "not_sure", note="ask Sam")),
        ("maybe, on tuesdays", Reply(ReplyKind.UNKNOWN)),
        ("no-one here knows, ask finance", Reply(ReplyKind.UNKNOWN)),  # a hyphen in a word is no dash
        ("yes-ish", Reply(ReplyKind.UNKNOWN)),
        ("note:", Reply(ReplyKind.NOTE, "")),  # empty: the handler asks for the note
        ("note - ask finance", Reply(ReplyKind.NOTE, "ask finance")),
        ("note-taking is hard", Reply(ReplyKind.UNKNOWN)),  # chat that starts with the word
        ("Comment-wise I agree", Reply(ReplyKind.UNKNOWN)),
        ("", Reply(ReplyKind.UNKNOWN)),
    ],
)
def test_typed_replies(kb: KnowledgeBase, text: str, reply: Reply) -> None:
    checklist = kb.checklist("principles")
    assert checklist is not None
    assert parse_reply(checklist.steps[0], text) == reply


def test_the_shipped_checklists(kb: KnowledgeBase) -> None:
    assert [c.id for c in kb.checklists] == ["principles", "nos", "quality"]
    principles = kb.checklist("principles")
    assert principles is not None and [s.ref for s in principles.steps] == [
        f"principle-{n}" for n in range(1, 11)
    ]
    quality = kb.checklist("quality")
    assert quality is not None and quality.steps[0].chooses and not quality.steps[0].skippable
    assert len(quality.steps[0].options) == 5
    assert kb.checklist("NMS") is quality  # by alias


def test_summary_lists_gaps_with_their_source_text_and_scores(kb: KnowledgeBase) -> None:
    quality = kb.checklist("quality")
    assert quality is not None
    answers = {k: AnswerRecord(k, v, "U1", WHEN) for k, v in QUALITY_ANSWERS.items()}
    notes = [NoteRecord("monitoring", "U2", "no KPI on it", WHEN)]
    summary = summarise(kb, quality, answers, notes)
    assert summary.choice == "Fostering service"
    assert [g.step.id for g in summary.gaps] == ["inspection", "monitoring"]
    assert summary.gaps[1].entry is not None and summary.gaps[1].entry.id == "principle-8"
    assert summary.scored == 3 and summary.percent == 50  # (1 + 0.5 + 0) / 3
    assert summary.skipped == 1
    document = to_markdown(summary)
    assert "**About:** Fostering service" in document
    assert (
        "| 4 | Are issues raised at inspection followed up in contract monitoring and review? | No | U1 | no KPI on it |"
        in document
    )
    assert "> Continuously evaluate current and developing services" in document
    # the inspection gap quotes the standards' lead-in and the list it leads into, not a sentence ending in ":"
    assert summary.gaps[0].entry is not None and summary.gaps[0].entry.text.endswith("services:")
    assert [e.text for e in summary.gaps[0].listed][:2] == [
        "Residential family centres",
        "Fostering services",
    ]
    assert "  > 2. Fostering services\n" in document


# Export as safe Markdown: what people typed (notes), their names or user ids, and the choice must show as
# typed, never as a link, an image, HTML or formatting, and never break the table.
PUNCTUATION = re.escape(string.punctuation)
# what must never stand unescaped in people's text: inline syntax, and what makes a bare link
INLINE = "\\`*_~[]<>&|"
SAFE = re.compile(rf"(?:\\[{PUNCTUATION}]| / |[^{re.escape(INLINE)}\x00-\x1f\x7f-\x9f\u2028\u2029])*")
WORD_JOINER = "\u2060"  # invisible, after each "@", so GitHub makes no mailto: link of an email address

ATTACKS = [
    # (typed, as exported: Markdown showing exactly the typed text)
    ("[click](http://evil.example/a)", r"\[click\](http\://evil\.example/a)"),
    ("![x](http://evil.example/i.png)", r"!\[x\](http\://evil\.example/i\.png)"),
    ("see [x][1]\n[1]: http://evil.example", r"see \[x\]\[1\] / \[1\]: http\://evil\.example"),
    ("<http://evil.example>", r"\<http\://evil\.example\>"),
    (
        "go to http://evil.example/?q=1 or WWW.evil.example",
        r"go to http\://evil\.example/?q=1 or WWW\.evil\.example",
    ),
    (
        "mail me@evil.example or mailto:me@evil.example",
        "mail me@\u2060evil\\.example or mailto\\:me@\u2060evil\\.example",
    ),
    ("<script>alert(1)</script>", r"\<script\>alert(1)\</script\>"),
    ('<img src=x onerror="alert(1)">', r'\<img src=x onerror="alert(1)"\>'),
    ('<a href="http://evil.example">x</a>', r'\<a href="http\://evil\.example"\>x\</a\>'),
    ("<!-- hidden -->", r"\<!-- hidden --\>"),
    ("&lt;b&gt; &amp; &#60;", r"\&lt;b\&gt; \&amp; \&#60;"),
    (
        "# heading\n- item\n1. item\n> quote\n    code\n```\n*em* _em_ `code` ~~del~~",
        r"# heading / - item / 1. item / \> quote / code / \`\`\` / \*em\* \_em\_ \`code\` \~\~del\~\~",
    ),
    ("a | b\r\nc\rd\u2028e\u2029f\x85g\n\n\nh", r"a \| b / c / d / e / f / g / h"),
    ("tab\there\x00\x1b[31mred\x7f", r"tab here\[31mred"),
    ("ends in a backslash \\", r"ends in a backslash \\"),
    ("\\| is no cell break", r"\\\| is no cell break"),
    # real domains, which markdown-it's linkify links with no scheme or "www"
    ("see evil.com/login", r"see evil\.com/login"),
    ("paypal.com.evil.io", r"paypal\.com\.evil\.io"),
    ("me@evil.com", "me@\u2060evil\\.com"),
    ("https：//evil.com", r"https：//evil\.com"),
    # ordinary writing reads as typed in the raw file too
    (
        'partly, Q3 budget: £50k (approx.) - see minutes 12/05, item #4! Sam\'s view: "fine"',
        'partly, Q3 budget: £50k (approx.) - see minutes 12/05, item #4! Sam\'s view: "fine"',
    ),
]


def rendered(document: str) -> list[str]:
    """The document as HTML from GitHub's renderer (cmark-gfm) and VS Code's (markdown-it, with linkify),
    raw HTML allowed in both, as the most permissive viewers would show it."""
    import cmarkgfm
    from cmarkgfm.cmark import Options
    from markdown_it import MarkdownIt

    return [
        cmarkgfm.github_flavored_markdown_to_html(document, options=Options.CMARK_OPT_UNSAFE),
        MarkdownIt("gfm-like", {"linkify": True, "html": True}).render(document),
    ]


def assert_harmless(document: str, baseline: str) -> None:
    """`document` renders with exactly the links, images, HTML and formatting of `baseline` (the same export
    with a harmless note): what was typed added none."""
    tags = re.compile(r"<(a|img|script|em|strong|code|del|h\d|li|blockquote|table|tr|td)\b|<!--")
    for html, plain in zip(rendered(document), rendered(baseline), strict=True):
        assert sorted(tags.findall(html)) == sorted(tags.findall(plain)), html


def as_read(typed: str) -> str:
    """What a person should read for `typed`: its lines, trimmed, between " / ", without control characters."""
    lines = re.split(r"\r\n|[\n\r\v\f\x85\u2028\u2029]", typed)
    kept = (
        "".join(
            " " if c == "\t" else c for c in line if c == "\t" or unicodedata.category(c) not in ("Cc", "Cs")
        )
        for line in lines
    )
    return " / ".join(line.strip() for line in kept if line.strip())


def unescaped(cell: str) -> str:
    """What a Markdown viewer shows for an escaped `cell`."""
    return re.sub(rf"\\([{PUNCTUATION}])", r"\1", cell).replace(WORD_JOINER, "")


def table(document: str, summary: Summary) -> list[list[str]]:
    """The export's table rows, each as its cells, after checking it has a line per step and five columns."""
    assert document.splitlines() == document.removesuffix("\n").split("\n")  # no other kind of line break
    lines = document.split("\n")
    start = lines.index("| # | Step | Answer | By | Notes |") + 2
    rows = lines[start : lines.index("", start)]
    assert len(rows) == len(summary.rows)
    # as GFM splits a row: at each "|" without a backslash just before it
    cells = [re.split(r"(?<!\\)\|", row) for row in rows]
    assert all(len(c) == 7 and c[0] == c[-1] == "" for c in cells)  # "| a | b | c | d | e |": five cells
    return [[cell.strip() for cell in c[1:-1]] for c in cells]


def quality_summary(kb: KnowledgeBase, notes: Sequence[str] = (), by: str = "U1") -> Summary:
    quality = kb.checklist("quality")
    assert quality is not None
    answers = {k: AnswerRecord(k, v, by, WHEN) for k, v in QUALITY_ANSWERS.items()}
    return summarise(kb, quality, answers, [NoteRecord("monitoring", "U2", n, WHEN) for n in notes])


def assert_literal(cell: str, typed: str) -> None:
    assert SAFE.fullmatch(cell), cell
    assert not re.search(r"(?<!\\):\S|(?i:www)\.", cell), cell  # no bare link left
    assert "@" not in cell.replace("@" + WORD_JOINER, "")
    assert unescaped(cell) == as_read(typed)


@pytest.mark.parametrize(("typed", "exported"), ATTACKS)
def test_a_note_exports_as_literal_text(kb: KnowledgeBase, typed: str, exported: str) -> None:
    summary = quality_summary(kb, [typed])
    rows = table(to_markdown(summary), summary)
    assert rows[3][4] == exported  # the note is on step 4, "monitoring"
    assert_literal(exported, typed)
    assert_harmless(to_markdown(summary), to_markdown(quality_summary(kb, ["a harmless note"])))
    assert [row[4] for i, row in enumerate(rows) if i != 3] == [""] * 5


@pytest.mark.parametrize(("typed", "exported"), ATTACKS)
def test_a_name_or_user_id_exports_as_literal_text(kb: KnowledgeBase, typed: str, exported: str) -> None:
    by_name = quality_summary(kb)
    by_id = quality_summary(kb, by=typed)  # no name: the user id is shown
    for summary, document in (
        (by_name, to_markdown(by_name, names={"U1": typed})),
        (by_id, to_markdown(by_id)),
    ):
        assert [row[3] for row in table(document, summary)] == [exported] * 6
    assert_literal(exported, typed)


@pytest.mark.parametrize(("typed", "exported"), ATTACKS)
def test_the_choice_exports_as_literal_text(kb: KnowledgeBase, typed: str, exported: str) -> None:
    summary = dataclasses.replace(quality_summary(kb), choice=typed)
    document = to_markdown(summary)
    table(document, summary)
    assert f"\n**About:** {exported}\n" in document


def test_the_apps_own_text_and_several_notes_in_the_export(kb: KnowledgeBase) -> None:
    summary = quality_summary(kb, ["Ask Sam (finance)", " \n\t", "a|b\nc"])
    document = to_markdown(summary, names={"U1": "Priya Shah"})
    rows = table(document, summary)
    # the app's prompts are as written ("?" unescaped); a note of nothing but spaces leaves no empty "; "
    assert rows[3] == [
        "4",
        "Are issues raised at inspection followed up in contract monitoring and review?",
        "No",
        "Priya Shah",
        r"Ask Sam (finance); a\|b / c",
    ]
    assert "**About:** Fostering service\n" in document


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    note=st.text(
        st.one_of(
            st.characters(exclude_categories=()),  # lone surrogates too: Slack's JSON can carry them
            st.sampled_from(
                ["|", "\\", "\n", "\r", "\u2028", "\u2029", "\x85", "`", "<", "[", "]", "(", ")"]
            ),
        )
    ),
    name=st.text(),
)
def test_any_note_or_name_keeps_the_table_whole(kb: KnowledgeBase, note: str, name: str) -> None:
    summary = quality_summary(kb, [note, note])
    document = to_markdown(summary, names={"U1": name})
    document.encode()  # the file is uploaded as UTF-8
    rows = table(document, summary)  # a row per step, five cells in each
    both = rows[3][4]
    one = both[: (len(both) - 2) // 2]
    assert both == (f"{one}; {one}" if one else "")
    assert_literal(one, note)
    assert_literal(rows[0][3], name)
