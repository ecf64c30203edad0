"""Words for the synthetic web: topical sentences, titles and anchors (composting, like the
demo), chosen with a seeded ``random.Random`` so the same seed gives the same web."""

from __future__ import annotations

from random import Random

SUBJECTS = (
    "A hot compost pile",
    "The worm bin",
    "Leaf mould",
    "Garden soil",
    "A cold compost heap",
    "Kitchen scraps",
    "Brown material",
    "Green material",
    "Finished compost",
    "A bokashi bucket",
    "Our allotment compost bay",
    "The composting routine",
)
VERBS = (
    "needs",
    "benefits from",
    "breaks down faster with",
    "turns into crumbly humus after",
    "stays healthy with",
    "smells sweet again with",
    "improves with",
    "depends on",
)
OBJECTS = (
    "regular turning",
    "a good mix of browns and greens",
    "steady moisture",
    "shredded autumn leaves",
    "a shady corner of the garden",
    "a few handfuls of red wigglers",
    "enough air between the layers",
    "a thermometer check every few days",
    "a layer of torn cardboard",
    "patience through the winter",
    "coffee grounds from the local cafe",
    "a lid that keeps the rain out",
)
TAILS = (
    "",
    " in most gardens",
    " according to our own tests",
    " even in a small yard",
    " over a single season",
    " when the weather turns cold",
)
TOPICS = (
    "Hot composting temperatures",
    "Worm bin basics",
    "Leaf mould in bin bags",
    "Compost troubleshooting",
    "Garden soil structure",
    "Vermicomposting in a flat",
    "Cold composting for beginners",
    "Bokashi and the compost heap",
    "Turning a compost pile",
    "Autumn leaves into leaf mold",
    "Smelly compost fixes",
    "Compost activators compared",
)
ANGLES = (
    "what we learned",
    "a field report",
    "five mistakes to avoid",
    "a season of notes",
    "the short version",
    "questions from readers",
    "a checklist",
    "the numbers",
)
ANCHORS = (
    "hot composting temperatures",
    "thermophilic compost guide",
    "compost temperature chart",
    "worm bin setup",
    "vermicomposting in small flats",
    "caring for red wigglers",
    "smelly compost fixes",
    "common compost problems",
    "leaf mould in bags",
    "autumn leaves into leaf mold",
    "garden soil improvement",
    "composting for beginners",
    "a guide to compost bins",
    "bokashi fermentation notes",
)
SLUGS = (
    "hot-composting-temperatures",
    "worm-bin-setup",
    "leaf-mould-bags",
    "compost-problems",
    "smelly-compost",
    "garden-soil-basics",
    "vermicomposting-flats",
    "compost-bins-compared",
)
FIRST_NAMES = ("alex", "sam", "jo", "robin", "kim", "lee", "morgan", "pat")


def sentence(rng: Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(TAILS)}."


def paragraph(rng: Random, sentences: int = 5) -> str:
    return " ".join(sentence(rng) for _ in range(sentences))


def title(rng: Random) -> str:
    return f"{rng.choice(TOPICS)}: {rng.choice(ANGLES)}"
