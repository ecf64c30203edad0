"""Relevance (0-100) of a prospect page to a campaign's target content and keywords.

The default backend is TF-IDF (scikit-learn's ``TfidfVectorizer``), fitted per page on the
campaign documents and the page text:

- the page text is the title and h1 (counted twice: they say what the page is about), the
  editorial h2/h3, the description and the editorial text (see
  :func:`prospector.qualify.facts.relevance_text`);
- the campaign documents are each target's title, summary and keywords, and the whole
  campaign (every target plus the campaign keywords); keywords are repeated
  :data:`KEYWORD_WEIGHT` times, so they weigh about twice a title word (sublinear TF);
- terms are words and word pairs (English stop words dropped; pairs never span a sentence,
  line or list boundary), weights are sublinear TF x IDF, vectors are L2-normalised.

Fitting on the campaign and the page alone makes a page's score depend on that page and the
campaign only, never on which other pages were found the same day. The cosine similarity
``c`` of the page and the whole campaign is scaled with a saturating curve::

    relevance = 100 * (1 - exp(-c / SCALE))        # SCALE = 0.07

which is monotonic in ``c``: 0.01 -> 13, 0.03 -> 35, 0.05 -> 51, 0.07 -> 63, 0.1 -> 76,
0.15 -> 88, 0.2 -> 94. On the demo web, articles on a target's topic measure c = 0.07-0.17
(63-92), curated composting resource pages 0.15-0.29 (88-98), gardening articles on other
topics around 0.06 (55), off-topic pages (recipes, travel, finance) around 0.014 (18), and
spam, link farms and parked pages under 0.05.

The evidence is the matched terms (the shared terms contributing most to ``c``), the
campaign and target keywords found on the page, and the closest target page (highest
cosine with that target's own document).

``relevance.backend = "embedding"`` scores with a sentence-transformers model loaded offline
from ``relevance.embedding_model`` (see :mod:`prospector.qualify.text_embedding`); the TF-IDF
terms are still the evidence. Make one :class:`RelevanceModel` per campaign when scoring many
pages: it prepares the campaign side (and loads the embedding model) once; a TF-IDF score
then takes a few milliseconds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from prospector.campaigns import Campaign
from prospector.config import RelevanceSettings
from prospector.qualify.facts import relevance_text
from prospector.qualify.model import Component

KEYWORD_WEIGHT = 3  # keywords count this many times in the campaign document
SCALE = 0.07  # cosine similarity at which the score reaches 63 (1 - 1/e)
TOP_TERMS = 10
_TOKEN = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # words of two letters or more, no digits
_SEGMENT = re.compile(r"[.!?;:,|()\[\]\n\u2013\u2014]+|\s-\s")  # word pairs stop at these


def scaled(similarity: float) -> float:
    """The documented similarity -> 0-100 curve (monotonic, 0 at 0, approaching 100)."""
    return 100.0 * (1.0 - math.exp(-max(0.0, similarity) / SCALE))


def campaign_documents(campaign: Campaign) -> tuple[str, list[str]]:
    """The campaign document and one document per target page."""
    targets = []
    for target in campaign.targets:
        keywords = ". ".join(target.keywords)
        targets.append(f"{target.title}. {target.summary}. " + f"{keywords}. " * KEYWORD_WEIGHT)
    keywords = ". ".join(campaign.keywords)
    whole = "\n".join([*targets, *([keywords] * KEYWORD_WEIGHT)])
    return whole, targets


class RelevanceModel:
    """Relevance for one campaign: the campaign side prepared once, then :meth:`score` per page.

    Each page gets its own TF-IDF fit over the campaign documents and the page (so a page's
    score depends on the page and the campaign only, not on which other pages were found the
    same day). The embedding model, when configured, is loaded once here.
    """

    def __init__(self, campaign: Campaign, settings: RelevanceSettings) -> None:
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped,unused-ignore]
            TfidfVectorizer,
        )

        self.campaign = campaign
        self.settings = settings
        self._words = TfidfVectorizer(
            ngram_range=(1, 2),
            stop_words="english",
            token_pattern=_TOKEN,
            strip_accents="unicode",
        ).build_analyzer()
        self._whole, self._target_docs = campaign_documents(campaign)
        self._keywords = _keyword_patterns(campaign)
        self._embedder: Any = None
        if settings.backend == "embedding":
            from prospector.qualify.text_embedding import Embedder

            self._embedder = Embedder(settings.embedding_model, [self._whole, *self._target_docs])

    def _analyse(self, text: str) -> list[str]:
        """Words and word pairs, pairs never spanning a sentence, line or list boundary."""
        return [term for part in _SEGMENT.split(text) for term in self._words(part)]

    def score(self, page: Mapping[str, Any]) -> Component:
        """The relevance component of one page (its stored facts)."""
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped,unused-ignore]
            TfidfVectorizer,
        )

        text = relevance_text(page)
        if not text.strip():
            empty: dict[str, Any] = {"backend": self.settings.backend, "similarity": 0.0}
            return Component("relevance", 0.0, ("no page text to compare",), empty)
        vectorizer = TfidfVectorizer(analyzer=self._analyse, sublinear_tf=True)
        matrix = vectorizer.fit_transform([self._whole, *self._target_docs, text])
        names = vectorizer.get_feature_names_out()
        whole, targets, vector = matrix[0], matrix[1:-1], matrix[-1]
        similarity = float(vector.multiply(whole).sum())
        per_target = (targets @ vector.T).toarray().ravel()
        shared = vector.multiply(whole).tocsr()
        pairs = sorted(zip(shared.indices, shared.data, strict=True), key=lambda p: -p[1])
        matched = [
            {"term": str(names[i]), "weight": round(float(w), 4)} for i, w in pairs[:TOP_TERMS]
        ]
        best = int(per_target.argmax())
        target = self.campaign.targets[best]
        evidence: dict[str, Any] = {
            "backend": self.settings.backend,
            "similarity": round(similarity, 4),
            "matched_terms": matched,
            "keywords_found": [k for k, pattern in self._keywords if pattern.search(text)],
            "closest_target": {
                "url": target.url,
                "title": target.title,
                "similarity": round(float(per_target[best]), 4),
            },
        }
        score = scaled(similarity)
        if self._embedder is not None:
            semantic = self._embedder.similarity(text)
            evidence["embedding_similarity"] = round(semantic, 4)
            evidence["embedding_model"] = self.settings.embedding_model
            score = self._embedder.scaled(semantic)
        return Component("relevance", round(min(100.0, score), 1), _reasons(evidence), evidence)

    def score_many(self, pages: Iterable[Mapping[str, Any]]) -> list[Component]:
        return [self.score(page) for page in pages]


def relevance(
    campaign: Campaign,
    page: Mapping[str, Any],
    *,
    settings: RelevanceSettings,
    model: RelevanceModel | None = None,
) -> Component:
    """Relevance of one page (its facts) to the campaign. When scoring many pages, make one
    :class:`RelevanceModel` per campaign and pass it as ``model`` (it holds the prepared
    campaign side and, with the embedding backend, the loaded model)."""
    if model is None:
        model = RelevanceModel(campaign, settings)
    return model.score(page)


def _keyword_patterns(campaign: Campaign) -> list[tuple[str, re.Pattern[str]]]:
    keywords = [*campaign.keywords, *(k for t in campaign.targets for k in t.keywords)]
    out: list[tuple[str, re.Pattern[str]]] = []
    for keyword in dict.fromkeys(k.strip() for k in keywords if k.strip()):
        words = [re.escape(w) for w in keyword.lower().split()]
        pattern = re.compile(r"\b" + r"[\s-]+".join(words) + r"(s|es)?\b", re.IGNORECASE)
        out.append((keyword, pattern))
    return out


def _reasons(evidence: Mapping[str, Any]) -> tuple[str, ...]:
    terms = [m["term"] for m in evidence["matched_terms"]]
    if not terms:
        return ("nothing in common with the campaign's targets and keywords",)
    phrases = [t for t in terms if " " in t]
    shown = phrases[:3]
    for term in terms:  # then single words not already inside a shown phrase
        if len(shown) >= 4:
            break
        if " " not in term and not any(term in p.split() for p in shown):
            shown.append(term)
    reasons = ["matches " + ", ".join(f"'{t}'" for t in shown)]
    if evidence["keywords_found"]:
        reasons.append("keywords on the page: " + ", ".join(evidence["keywords_found"][:5]))
    reasons.append(f"closest target: {evidence['closest_target']['title']}")
    return tuple(reasons)
