"""Deterministic text: titles, slugs, dates and paragraphs from the topic phrase pools."""

from __future__ import annotations

import re
from datetime import date, timedelta
from random import Random

from prospector.demo.spec import NicheSpec, TopicSpec

_TITLE_VARIANTS = (
    "{label}: A Beginner's Guide",
    "{label} Mistakes to Avoid",
    "What a Year of {label} Taught Me",
    "{label} Questions Readers Ask",
    "{label} on a Budget",
    "{label} in a Small Garden",
    "Notes on {label}",
    "{label}, Step by Step",
    "Ten Things Nobody Tells You About {label}",
    "{label} in {month}",
    "Our {label} Experiment, Part {n}",
)
_SLOT = re.compile(r"\{(\w+)\}")


def slugify(text: str) -> str:
    text = text.lower().replace("'", "").replace("°c", "c").replace("&", "and")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


class TextGen:
    """Sentence-level generator; every choice comes from the caller's ``Random``."""

    def __init__(self, niche: NicheSpec, rng: Random) -> None:
        self.niche = niche
        self.rng = rng

    def topic(self, key: str) -> TopicSpec:
        return self.niche.topics[key]

    def fill(self, sentence: str) -> str:
        def pick(match: re.Match[str]) -> str:
            pool = self.niche.vocab.get(match.group(1))
            return self.rng.choice(pool) if pool else match.group(0)

        return _SLOT.sub(pick, sentence)

    def sentences(self, topic: str, count: int) -> list[str]:
        pool = list(self.topic(topic).phrases)
        generic = [] if self.topic(topic).offtopic else list(self.niche.text["generic"])
        picked = self.rng.sample(pool, min(count, len(pool)))
        if generic and self.rng.random() < 0.6:
            picked.insert(self.rng.randrange(len(picked) + 1), self.rng.choice(generic))
        return [self.fill(s) for s in picked]

    def paragraph(self, topic: str, low: int = 3, high: int = 5) -> str:
        return " ".join(self.sentences(topic, self.rng.randint(low, high)))

    def article(
        self, topic: str, related: tuple[str, ...] = (), sections: int = 4
    ) -> tuple[str, list[tuple[str, list[str]]]]:
        """An intro paragraph and ``(heading, paragraphs)`` sections; no sentence repeats."""
        spec = self.topic(topic)
        own = list(spec.phrases)
        self.rng.shuffle(own)
        others: list[str] = []
        if not spec.offtopic:
            others += self.rng.sample(list(self.niche.text["generic"]), 4)
            for other in related:
                if other != topic:
                    others += self.rng.sample(list(self.topic(other).phrases), 2)
        self.rng.shuffle(others)
        mixed: list[str] = []
        for i, sentence in enumerate(own):
            mixed.append(sentence)
            if i % 2 == 1 and others:
                mixed.append(others.pop())
        mixed += others
        sentences = [self.fill(s) for s in dict.fromkeys(mixed)]

        def take(n: int) -> str:
            chunk = [sentences.pop(0) for _ in range(min(n, len(sentences)))]
            return " ".join(chunk)

        intro = take(3)
        headings = list(spec.headings)
        self.rng.shuffle(headings)
        out: list[tuple[str, list[str]]] = []
        for heading in headings[: min(sections, len(headings))]:
            paras = [take(self.rng.randint(2, 4)) for _ in range(self.rng.choice((1, 1, 2)))]
            paras = [p for p in paras if p]
            if paras:
                out.append((heading, paras))
        return intro, out

    def title(self, topic: str, used: set[str]) -> str:
        spec = self.topic(topic)
        candidates = [t for t in spec.titles if t not in used]
        if candidates:
            title = self.rng.choice(candidates)
        else:
            for _ in range(100):
                month = self.rng.choice(self.niche.vocab["month"])
                title = self.rng.choice(_TITLE_VARIANTS).format(
                    label=spec.label, month=month, n=self.rng.randint(2, 9)
                )
                if title not in used:
                    break
            else:  # pragma: no cover - pools are large enough
                title = f"{spec.label} #{len(used)}"
        used.add(title)
        return title

    def day(self) -> date:
        first, last = self.niche.years
        start = date(first, 1, 1)
        span = (date(last, 6, 30) - start).days
        return start + timedelta(days=self.rng.randrange(span))

    def words(self, pool: str, count: int) -> list[str]:
        return self.rng.sample(list(self.niche.text[pool]), count)
