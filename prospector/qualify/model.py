"""What every score component looks like: a 0-100 score with the evidence behind it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Component:
    """One score component. ``reasons`` are short sentences a person reads in the daily list
    and ``prospector show``; ``evidence`` holds the data behind them (matched terms, the
    provider and its raw value, the signals that fired...)."""

    name: str  # relevance | authority | quality | spam | fit
    score: float  # 0-100
    reasons: tuple[str, ...] = ()
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.score <= 100.0:
            raise ValueError(f"{self.name} score {self.score} is outside 0-100")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["score"] = round(self.score, 1)
        out["reasons"] = list(self.reasons)
        return out
