"""Figures from the raw results of ``bench.e2e.run``, and the ``## End to end`` section.

One size's raw result is a dict (JSON in ``bench/.work/e2e/results.json``): ``pages``, ``web``
(the generator's counts), ``worker`` (what :mod:`bench.e2e.worker` wrote), ``child`` (wall
time and memory of the worker's process tree), ``server`` (requests and CPU of the local web)
and ``raw`` (:mod:`bench.e2e.raw`, one entry per wait mode). :func:`figures` derives every
reported number from it; :func:`render_section` lays them out.
"""

from __future__ import annotations

import math
from typing import Any

HEADING = "## End to end"
STAGES = (
    ("seed_s", "discovery: seeding (robots.txt and sitemap of each site)"),
    ("crawl_s", "discovery: fetch + render pages"),
    ("checks_s", "link checking"),
    ("after_checks_s", "confirming dead links, broken-link prospects"),
    ("qualify_s", "qualify"),
    ("draft_s", "draft"),
    ("total_s", "total (prospect job)"),
)


def busy_time(intervals: list[tuple[float, float]], slots: int | None = None) -> float:
    """Time with at least one interval open; with ``slots``, the integral of
    min(open intervals, slots) — the slot-seconds a pool of that size was busy."""
    events = sorted([(a, 1) for a, _ in intervals] + [(b, -1) for _, b in intervals])
    total, open_, last = 0.0, 0, 0.0
    for t, step in events:
        if open_ > 0:
            total += (t - last) * (min(open_, slots) if slots else 1)
        open_ += step
        last = t
    return total


def _rate(n: float, seconds: float | None) -> float | None:
    return n / seconds if seconds else None


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """Every reported number of one size, by name (None where it could not be measured)."""
    worker, child = result["worker"], result["child"]
    summary, spans, progress = worker["summary"], worker["spans"], worker["progress"]
    start, discovered = spans["discover"]
    pages_done = progress.get("pages", {}).get("last", start)
    first_page = progress.get("pages", {}).get("first", start)
    checks_done = progress.get("links", {}).get("last", pages_done)
    contexts = int(result.get("contexts", 2))
    renders = [(float(a), float(b)) for _, a, b, _ in worker["renders"]]
    slot_s = busy_time(renders, contexts)
    raw = result.get("raw", {})
    ours_slot_rate = _rate(contexts * len(renders), slot_s)
    out: dict[str, Any] = {
        "pages": result["pages"],
        "contexts": contexts,
        "web": result["web"],
        "pages_read": summary["pages"],
        "not_pages": summary["failed"],
        "links_checked": summary["links_checked"],
        "seed_s": first_page - start,
        "crawl_s": pages_done - first_page,
        "checks_s": checks_done - pages_done,
        "after_checks_s": discovered - checks_done,
        "qualify_s": spans["qualify"][1] - spans["qualify"][0] if "qualify" in spans else None,
        "draft_s": spans["draft"][1] - spans["draft"][0] if "draft" in spans else None,
        "total_s": worker["wall_s"],
        "renders": len(renders),
        "renders_crawl": sum(1 for a, _ in renders if a < pages_done),
        "check_render_busy_s": busy_time([(a, b) for a, b in renders if a >= pages_done]),
        "render_busy_s": busy_time(renders),
        "rendered_per_s": _rate(len(renders), busy_time(renders)),
        "rendered_per_s_slots": ours_slot_rate,
        "read_per_s": _rate(summary["pages"] + summary["failed"], pages_done - first_page),
        "checked_per_s": _rate(summary["links_checked"], checks_done - pages_done),
        "python_rss_mb": worker["python_peak_rss_mb"],
        "python_cpu_s": worker["python_cpu_s"],
        "chromium_rss_mb": child.get("chromium_rss_mb"),
        "chromium_pss_mb": child.get("chromium_pss_mb"),
        "driver_rss_mb": child.get("driver_rss_mb"),
        "server_cpu_s": result.get("server", {}).get("cpu_s"),
        "requests": result.get("server", {}).get("requests"),
        "verdicts": worker["database"]["checks_by_verdict"],
        "statuses": worker["database"]["checks_by_status"],
        "prospects": worker["database"]["prospects_by_type_state"],
        "drafted": summary["drafts"].get("drafted", 0),
        "dead_confirmed": summary["dead_confirmed"],
        "dead_pending": summary["dead_pending"],
        "raw_sample": result.get("raw_sample", 0),
    }
    for wait in ("load", "networkidle"):
        entry = raw.get(wait)
        rate = entry.get("pages_per_s") if entry else None
        out[f"raw_{wait}_per_s"] = rate
        out[f"raw_{wait}_chromium_rss_mb"] = entry.get("chromium_rss_mb") if entry else None
        out[f"ours_vs_raw_{wait}"] = ours_slot_rate / rate if ours_slot_rate and rate else None
    return out


def _n(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _i(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def _web_line(f: dict[str, Any]) -> str:
    web = f["web"]
    unique = web["unique_by_kind"]
    dead = ", ".join(
        f"{unique.get(k, 0):,} {label}"
        for k, label in (("not_found", "404"), ("gone", "410"), ("nxdomain", "NXDOMAIN"))
    )
    return (
        f"{web['sites']} blogs, {web['pages']:,} pages ({web['js_pages']} need JavaScript); "
        f"{web['outbound_links']:,} outbound links, {web['unique_outbound']:,} distinct URLs "
        f"(dead: {dead}; {unique.get('redirect', 0):,} redirects; "
        f"{unique.get('js', 0):,} need JavaScript) on {web['ref_hosts']:,} cited hosts"
    )


def size_table(f: dict[str, Any]) -> list[str]:
    verdicts = ", ".join(f"{v:,} {k}" for k, v in sorted(f["verdicts"].items()))
    found: dict[str, int] = {}
    kept = 0
    for key, count in f["prospects"].items():
        kind, _, state = key.partition(":")
        found[kind] = found.get(kind, 0) + count
        kept += count if state != "rejected" else 0
    rows = [
        ("web", _web_line(f)),
        (
            "pages read (+ probed paths that were not pages)",
            f"{f['pages_read']:,} (+{f['not_pages']:,})",
        ),
        ("URLs checked", f"{f['links_checked']:,} ({verdicts})"),
        (
            "dead links confirmed at once (410, NXDOMAIN) / waiting for a second check",
            f"{f['dead_confirmed']:,} / {f['dead_pending']:,}",
        ),
        (
            "opportunities found / kept (one prospect per domain) / drafted",
            ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in sorted(found.items()))
            + f" / {kept:,} / {f['drafted']:,}",
        ),
    ]
    rows += [(f"wall: {label}", f"{_n(f[key])} s") for key, label in STAGES]
    rows += [
        ("pages/s read (fetched and parsed, probes included)", _n(f["read_per_s"])),
        (
            "pages rendered (in the crawl + by the link checker)",
            f"{f['renders']:,} ({f['renders_crawl']:,} + {f['renders'] - f['renders_crawl']:,})",
        ),
        ("pages/s rendered, while rendering", _n(f["rendered_per_s"], 2)),
        ("pages/s rendered, per busy slot x contexts", _n(f["rendered_per_s_slots"], 2)),
        ("URLs/s checked", _n(f["checked_per_s"])),
        ("peak RSS, Python (the pipeline's process)", f"{_n(f['python_rss_mb'], 0)} MB"),
        (
            "peak RSS, Chromium (sum over its processes; PSS)",
            f"{_n(f['chromium_rss_mb'], 0)} MB ({_n(f['chromium_pss_mb'], 0)} MB)",
        ),
        ("peak RSS, Playwright's driver (node)", f"{_n(f['driver_rss_mb'], 0)} MB"),
        (
            "CPU: pipeline process / local web server",
            f"{_n(f['python_cpu_s'])} s / {_n(f['server_cpu_s'])} s",
        ),
        ("requests the local web answered", _i(f["requests"])),
    ]
    return ["| measure | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def exponent(small: float | None, large: float | None, ratio: float) -> float | None:
    if not small or not large or small <= 0 or large <= 0 or ratio <= 1:
        return None
    return math.log(large / small) / math.log(ratio)


def growth_table(sizes: list[dict[str, Any]]) -> list[str]:
    head = " | ".join(f"{f['pages']:,} pages" for f in sizes)
    lines = [
        f"| wall s | {head} | growth exponent |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    ratio = sizes[-1]["pages"] / sizes[0]["pages"] if len(sizes) > 1 else 1.0
    for key, label in STAGES:
        cells = " | ".join(_n(f[key]) for f in sizes)
        exp = exponent(sizes[0][key], sizes[-1][key], ratio) if len(sizes) > 1 else None
        lines.append(f"| {label} | {cells} | {_n(exp, 2)} |")
    for key, label in (
        ("links_checked", "URLs checked"),
        ("renders", "pages rendered"),
    ):
        cells = " | ".join(_i(f[key]) for f in sizes)
        exp = exponent(sizes[0][key], sizes[-1][key], ratio) if len(sizes) > 1 else None
        lines.append(f"| {label} (count) | {cells} | {_n(exp, 2)} |")
    return lines


def raw_table(sizes: list[dict[str, Any]], contexts: int) -> list[str]:
    lines = [
        f"| size | pages rendered | raw sample | ours, pages/s ({contexts} contexts) "
        "| raw: load | raw: load + network idle | ours / raw load | ours / raw idle "
        "| Chromium RSS ours / raw |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for f in sizes:
        lines.append(
            f"| {f['pages']:,} pages | {f['renders']:,} | {f['raw_sample']:,} | "
            f"{_n(f['rendered_per_s_slots'], 2)} | {_n(f['raw_load_per_s'], 2)} | "
            f"{_n(f['raw_networkidle_per_s'], 2)} | {_n(f['ours_vs_raw_load'], 2)} | "
            f"{_n(f['ours_vs_raw_networkidle'], 2)} | {_n(f['chromium_rss_mb'], 0)} / "
            f"{_n(f['raw_load_chromium_rss_mb'], 0)} MB |"
        )
    return lines


def reading(sizes: list[dict[str, Any]]) -> str:
    """The growth, read from the numbers (so a re-run rewrites it with its own)."""
    if len(sizes) < 2:
        return "Only one size was run (`--quick`): no growth to read."
    small, large = sizes[0], sizes[-1]
    ratio = large["pages"] / small["pages"]
    total = exponent(small["total_s"], large["total_s"], ratio)
    shape = (
        "about linear"
        if total is not None and 0.85 <= total <= 1.15
        else "sub-linear (fixed costs weigh at the small end)"
        if total is not None and total < 0.85
        else "super-linear"
    )
    shares = {
        label: (large[key] or 0.0) / large["total_s"] for key, label in STAGES[:-1] if large[key]
    }
    ordered = sorted(shares.items(), key=lambda kv: -kv[1])
    where = ", ".join(f"{label} {100 * share:.0f}%" for label, share in ordered[:3])
    per_kpage = [f"{1000 * f['total_s'] / f['pages']:.0f} s" for f in sizes]
    render_s = large["render_busy_s"]
    vs_idle = large["ours_vs_raw_networkidle"]
    browser = (
        f"{_n(vs_idle, 2)}x the rate of raw Chromium that also waits for the network to go "
        "quiet, as `settle` does"
        if vs_idle is not None
        else "no raw comparison"
    )
    cpu = [f["python_cpu_s"] / f["total_s"] for f in sizes]
    steep = [
        f"{label} (exponent {exp:.2f}: {small[key]:.1f} s → {large[key]:.1f} s)"
        for key, label in STAGES[:-1]
        if (exp := exponent(small[key], large[key], ratio)) is not None
        and exp > 1.3
        and (large[key] or 0.0) > 0.02 * large["total_s"]
    ]
    superlinear = (
        " Growing faster than the pages: " + "; ".join(steep) + "."
        if steep
        else " No stage grows much faster than the pages."
    )
    return (
        f"From {small['pages']:,} to {large['pages']:,} pages ({ratio:g}x the pages, "
        f"{large['links_checked'] / max(1, small['links_checked']):.1f}x the URLs checked) the "
        f"prospect job went from {small['total_s']:.0f} s to {large['total_s']:.0f} s: growth "
        f"exponent {_n(total, 2)}, {shape}; per 1,000 pages it took "
        + " → ".join(per_kpage)
        + f". At {large['pages']:,} pages the time goes to {where}.{superlinear} The browser "
        f"was busy {render_s:.0f} s of the {large['total_s']:.0f} s ({large['renders']:,} "
        f"renders at {_n(large['rendered_per_s_slots'], 2)} pages/s over {large['contexts']} "
        f"contexts, {browser}); during link checking it was busy "
        f"{large['check_render_busy_s']:.0f} s of {large['checks_s']:.0f} s"
        + (
            f", so the {large['renders'] - large['renders_crawl']:,} checked pages that need "
            "JavaScript, queued for the browser, set that stage's length"
            if large["check_render_busy_s"] >= 0.8 * (large["checks_s"] or 0.0)
            else ""
        )
        + ". Link checking ran at "
        + " → ".join(f"{_n(f['checked_per_s'], 0)}" for f in sizes)
        + " URLs/s and the crawl read "
        + " → ".join(f"{_n(f['read_per_s'], 0)}" for f in sizes)
        + " pages/s across the sizes, the pipeline's process using "
        + " → ".join(f"{100 * c:.0f}%" for c in cpu)
        + " of one core (the rest of the wall time it waited: on per-host gaps, latency, the "
        "browser, and a CPU shared with the server, Chromium and other work on the machine)."
    )


def render_section(
    sizes: list[dict[str, Any]],
    *,
    command: str,
    machine: list[str],
    settings_rows: list[tuple[str, Any, Any, str]],
    latency: str,
    date: str,
    notes: list[str],
) -> str:
    """The whole ``## End to end`` section (heading excluded: ``write_section`` adds it)."""
    contexts = sizes[0]["contexts"] if sizes else 2
    lines = [
        f"Run of {date}. One full prospecting run per size — `prospector.pipeline.prospect` "
        "(discover with rendering and link checks, qualify, draft) — on a synthetic web of "
        f"topical blogs served by a local server in its own process ({latency} per response), "
        "reached through `network.resolve`; the pipeline runs in a child process per size, so "
        "peaks are per run. Stage times come from wrapping the pipeline's own `discover`, "
        "`qualify` and `draft_campaign` and from its progress callback; renders are timed "
        "around `BrowserSession.settle`.",
        "",
        "```sh",
        command,
        "```",
        "",
        "**Machine:** " + "; ".join(machine),
        "",
    ]
    for f in sizes:
        lines += [f"### {f['pages']:,} pages", "", *size_table(f), ""]
    if len(sizes) > 1:
        lines += ["### Growth", "", *growth_table(sizes), ""]
        lines += [
            "Growth exponent: log(time ratio) / log(page ratio) between the smallest and the "
            "largest size (1 = linear).",
            "",
        ]
    lines += [
        "### Rendering against raw Chromium",
        "",
        f"A plain Playwright script loads the pages Prospector rendered (a sample, evenly "
        f"spaced, in the same order) with the same browser, launch switches and {contexts} "
        "contexts, and does nothing else: `load` only, and `load` plus waiting for the network "
        "to go quiet (at most 2.5 s, what `settle` waits). Ours is renders x contexts / the "
        "slot-seconds the browser was busy, so a half-idle pool is not counted against it.",
        "",
        *raw_table(sizes, contexts),
        "",
        "### Reading",
        "",
        reading(sizes),
        "",
        "### Settings that differ from Prospector's defaults (bench only)",
        "",
        "| setting | here | default | why |",
        "|---|---|---|---|",
        *(f"| `{k}` | {v} | {d} | {why} |" for k, v, d, why in settings_rows),
    ]
    if notes:
        lines += ["", "### Notes", "", *(f"- {n}" for n in notes)]
    return "\n".join(lines).rstrip() + "\n"
