"""Continuing a verification that a killed (or crashed) process interrupted.

An interrupted ``verify`` and the run that follows it are one round of checks. A link the
interrupted run already checked is not checked again minutes later: a miss seconds after a miss
is the same observation twice, not the "two misses in a row" after which a link is lost — so a
kill never turns a link that was found missing once into a lost one. The rerun checks what is
left, and its summary lists the round's earlier results and alerts too.

The round goes on while the runs before this one were interrupted and started less than
``RESUME_WITHIN`` ago; after that a run is a new round and checks everything again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from prospector.store import Store

RESUME_WITHIN = timedelta(hours=6)


@dataclass
class Resumed:
    """What the interrupted runs of this round already did."""

    runs: list[int] = field(default_factory=list)
    placements: set[int] = field(default_factory=set)
    copies: set[int] = field(default_factory=set)
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def note(self, links: int, copies: int) -> str:
        runs = ", ".join(f"#{r}" for r in sorted(self.runs))
        return (
            f"continues interrupted run {runs}: {links} links and {copies} copies it checked "
            "are not checked again"
        )


def resumed(store: Store, now: datetime | None = None) -> Resumed:
    """The round this run continues (empty when it starts a new one). Call it holding the
    verify lock, before this run starts."""
    since = ((now or datetime.now(UTC)) - RESUME_WITHIN).isoformat(timespec="seconds")
    runs = store.interrupted_runs("verify", since)
    if not runs:
        return Resumed()
    links, copies = store.checked_in_runs(runs)
    return Resumed(runs, links, copies, store.alerts_of_runs(runs))


def link_line(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    """A placement's summary line from its last check (made by an interrupted run)."""
    detail = row["detail"] or {}
    checks = store.placement_checks(int(row["id"]))
    evidence = checks[-1]["evidence"] if checks else {}
    return {
        "id": row["id"],
        "url": row["url"],
        "target": row["target"],
        "outcome": detail.get("outcome", row.get("last_outcome")),
        "state": row["state"],
        "was": (evidence.get("state") or {}).get("from", row["state"]),
        "misses": row["misses"],
        "reasons": list(detail.get("reasons", [])),
        "flags": [*detail.get("flags", []), "checked by the interrupted run"],
        "alert": None,
        "reclaim_prospect": None,
    }


def copy_line(row: dict[str, Any]) -> dict[str, Any]:
    """A copy's summary line from its last check (made by an interrupted run)."""
    evidence = row["last_evidence"] or {}
    return {
        "id": row["id"],
        "url": row["url"],
        "original": row["original"],
        "require": row["require"],
        "verdict": row["verdict"],
        "ok": row["last_ok"],
        "reasons": list(evidence.get("reasons", [])),
        "flags": [*evidence.get("flags", []), "checked by the interrupted run"],
        "alert": False,
    }


def earlier_alerts(
    resumed_: Resumed, placements: set[int], copies: set[int]
) -> list[dict[str, Any]]:
    """The round's alerts on the given placements and copies, as the summary lists them."""
    out = []
    for item in resumed_.alerts:
        alert = {k: v for k, v in item["alert"].items() if k != "check"}
        if item["entity"] == "placement" and item["id"] in placements:
            out.append({"placement": item["id"], **alert})
        elif item["entity"] == "syndicated_copy" and item["id"] in copies:
            out.append({"copy": item["id"], **alert})
    return out
