"""Per-link precision, recall and F1: pooled (micro) and per page (macro)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def count(gold: Sequence[bool], pred: Sequence[bool]) -> Counts:
    tp = sum(1 for g, p in zip(gold, pred, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, pred, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, pred, strict=True) if g and not p)
    return Counts(tp, fp, fn)


@dataclass(frozen=True)
class Score:
    micro: Counts
    macro_p: float
    macro_r: float
    macro_f1: float
    pages: int  # pages in the macro average (those with at least one editorial link)
    stray: int  # links called content on pages where nothing is editorial


def score(per_page: dict[str, tuple[Sequence[bool], Sequence[bool]]]) -> Score:
    total = Counts()
    ps, rs, fs = [], [], []
    stray = 0
    for gold, pred in per_page.values():
        c = count(gold, pred)
        total = total + c
        if any(gold):
            ps.append(c.precision)
            rs.append(c.recall)
            fs.append(c.f1)
        else:
            stray += c.fp
    n = len(fs) or 1
    return Score(total, sum(ps) / n, sum(rs) / n, sum(fs) / n, len(fs), stray)
