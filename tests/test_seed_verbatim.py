"""Every sentence of the two seed pages' principles, NOS and standards content is in the knowledge base verbatim."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
if not SEEDS.is_dir():  # a checkout beside shared/ is how CI runs; say so rather than skip silently
    SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"

# Site furniture that is not content: navigation, the feedback prompt, section headings.
CHROME = {
    "Useful Websites",
    "Can you think of a useful website?",
    "Click here to inform us.",
    "Key purpose",
    "5 - Commissioning Principles",
    "7 - Standards And Structures",
    "Did you know?",
    "- Did you know? -",
    "Guidance for children, young people and maternity services",
}


def _normalise(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def seed_sentences() -> list[str]:
    sentences: list[str] = []
    for path in sorted(SEEDS.glob("*.txt")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = _normalise(raw)
            line = re.sub(r"^(?:\d+\.|•)\s+", "", line)  # list numbering and bullets are layout
            # The principles page's last line runs straight into the sidebar's "A9 - ..." link text.
            parts = re.split(r"(?<=partnerships\.)(?=A9)", line)
            for part in parts:
                # One sentence at a time, so each must be quoted whole somewhere.
                sentences.extend(
                    s for s in re.split(r"(?<=[.;:])\s+(?=[A-Z])", part) if s and s not in CHROME
                )
    return sentences


def test_seed_pages_are_present() -> None:
    assert len(list(SEEDS.glob("*.txt"))) == 2, f"expected the two seed pages in {SEEDS}"


@pytest.mark.parametrize("sentence", seed_sentences())
def test_sentence_is_quoted_verbatim(kb: KnowledgeBase, sentence: str) -> None:
    texts = [_normalise(e.text) for e in kb.entries if not e.background]
    assert any(sentence in text for text in texts), f"not quoted anywhere: {sentence!r}"
