"""Security of pitch templates: sandbox escapes are refused, a template cannot exhaust the
host (CPU or memory), and page data reaching a template is only ever data — never evaluated,
in the body, the subject or the drafting flow."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from prospector.campaigns import load_campaign
from prospector.errors import TemplateError
from prospector.outreach.drafts import draft_campaign
from prospector.outreach.templates import load_template, sample_context
from prospector.store import open_db
from tests.outreach_world import PROSPECTS, outreach_settings, seed

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, body: str, subject: str = "Hello") -> Path:
    path = tmp_path / "pitch.j2"
    path.write_text(f"Subject: {subject}\n\nHi,\n{body}\n", encoding="utf-8")
    return path


def refusal(path: Path, context: dict[str, Any] | None = None) -> str:
    with pytest.raises(TemplateError) as caught:
        load_template(path).render(context or sample_context("broken_link"))
    return str(caught.value)


# -- escapes ------------------------------------------------------------------------------------

ESCAPES = [
    "''.__class__.__mro__[1].__subclasses__()",
    "page.__class__.__base__.__subclasses__()",
    "(page|attr('__class__'))",
    "(page|attr('\\x5f\\x5fclass\\x5f\\x5f'))",
    "page['__class__']",
    "'{0.__class__.__base__}'.format(page)",
    "'{0[title].__class__}'.format(page)",
    "'{x.__class__}'.format_map({'x': page})",
    "('{0.__class__}'|attr('format'))(page)",
    "('{0.__class__}'|attr('format_map'))({'0': page})",
    "cycler.__init__.__globals__",
    "joiner.__init__.__globals__['os']",
    "namespace.__init__.__globals__",
    "namespace.mro()",
    "dict.mro()",
    "range.__self__",
    "self._TemplateReference__context",
    "self.__dict__",
    "[1]|map(attribute='__class__')|first|attr('__base__')",
    "campaign.keywords.append('x')",
    "campaign.keywords.pop()",
    "page.update({'title': 'x'})",
    "page.setdefault('x', 1)",
    "page.clear()",
    "page.title.__mod__",
]


@pytest.mark.parametrize("expression", ESCAPES)
def test_sandbox_escapes_render_nothing_from_python_internals(
    tmp_path: Path, expression: str
) -> None:
    path = write(tmp_path, "{{ " + expression + " }}")
    try:
        draft = load_template(path).render(sample_context("broken_link"))
    except TemplateError as exc:
        message = str(exc)
        assert message.startswith(f"{path}:4: "), message
        return
    # rendering may succeed only with nothing of Python's internals in the text
    for leak in ("<class", "<module", "<function", "<built-in", "__builtins__", "Context {"):
        assert leak not in draft.text, draft.text


@pytest.mark.parametrize(
    "statement",
    [
        "{% include '/etc/passwd' %}",
        "{% import '/etc/passwd' as p %}{{ p }}",
        "{% from '/etc/hostname' import x %}{{ x }}",
        "{% extends '/etc/passwd' %}",
    ],
)
def test_templates_cannot_read_files(tmp_path: Path, statement: str) -> None:
    secret = tmp_path / "canary.txt"
    secret.write_text("CANARY-7f3a", encoding="utf-8")
    path = write(tmp_path, statement.replace("/etc/passwd", str(secret)))
    assert "CANARY" not in refusal(path)


def test_config_request_lipsum_and_other_unknown_globals_are_refused_at_load(
    tmp_path: Path,
) -> None:
    for name in ("config", "request", "lipsum", "os", "__builtins__", "url_for", "g"):
        path = write(tmp_path, "{{ " + name + " }}")
        with pytest.raises(TemplateError, match=f"unknown variable '{name}'"):
            load_template(path)


def test_loop_and_macro_objects_keep_their_internals(tmp_path: Path) -> None:
    for body in (
        "{% for x in [1] %}{{ loop.__class__ }}{% endfor %}",
        "{% for x in [1] %}{{ loop._iterable }}{% endfor %}",
        "{% macro m() %}{% endmacro %}{{ m._func }}",
        "{% macro m() %}{% endmacro %}{{ m.__call__.__globals__ }}",
        "{% set c = cycler(1) %}{{ c.__class__ }}",
    ):
        assert "not allowed" in refusal(write(tmp_path, body)), body


def test_a_plain_template_still_renders_loops_macros_and_formatting(tmp_path: Path) -> None:
    """The bounds leave ordinary templates alone (the control for the tests above and
    below)."""
    body = (
        "{% macro dead(d) %}{{ d.url }} ({{ d.status }}){% endmacro %}"
        "{% for d in dead_links %}{{ loop.index }}. {{ dead(d) }} {{ loop.cycle('a', 'b') }}\n"
        "{% endfor %}{{ campaign.keywords | join(', ') }} {{ '%s/%d' % ('x', 3) }} "
        "{{ '{:>4}'.format('y') }} {{ (page.title ~ '!') | upper }} {{ [1, 2, 3] | sum }} "
        "{{ 'ab' * 3 }} {{ 2 ** 10 }} {{ {'k': 'v'}['k'] }} {{ 'x'.ljust(3) }}| "
        "{{ dead_links | map(attribute='status') | join('+') }}"
    )
    draft = load_template(write(tmp_path, body)).render(sample_context("broken_link"))
    assert "1. https://compostcentral.example/guides/bokashi (404) a" in draft.text
    assert "2. https://wormfarm.example/tips (410) b" in draft.text
    assert "composting, bokashi x/3    y COMPOSTING RESOURCES FOR HOME GARDENERS! 6" in draft.text
    assert "ababab 1024 v x  | 404+410" in draft.text


# -- resource exhaustion ----------------------------------------------------------------------

EXHAUSTION = {
    "nested loops": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}"
    "{% endfor %}",
    "loop filter": "{% for a in range(100000) %}{% for b in range(100000) if b < 0 %}"
    "{% endfor %}{% endfor %}",
    "string loops": "{% for a in 'x' * 90000 %}{% for b in 'y' * 90000 %}{% endfor %}{% endfor %}",
    "recursive loop": "{% for x in [0] recursive %}{% if loop.depth < 5 %}"
    "{{ loop(range(1000)) }}{% endif %}{% endfor %}",
    "macro fan-out": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}"
    "{% endmacro %}{{ f(60) }}",
    "macro recursion": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "big power": "{{ 10 ** 1000000000 }}",
    "power tower": "{{ 9 ** (9 ** 9) }}",
    "repeat": "{{ 'a' * 1000000000 }}",
    "repeat list": "{{ [1] * 1000000000 }}",
    "repeat nested": "{{ [[0] * 90000] * 90000 }}",
    "ljust": "{{ 'a'.ljust(1000000000) }}",
    "zfill": "{{ 'a'.zfill(1000000000) }}",
    "to_bytes": "{{ (1).to_bytes(1000000000, 'big') }}",
    "center": "{{ 'a' | center(1000000000) }}",
    "indent": "{{ 'a' | indent(1000000000, true) }}",
    "format width": "{{ '{:>1000000000}'.format(1) }}",
    "nested format width": "{{ '{0:{1}}'.format(1, 1000000000) }}",
    "format precision": "{{ '{:.1000000000f}'.format(1.5) }}",
    "format repeats": "{{ ('{0}' * 5000).format('x' * 50000) }}",
    "format_map repeats": "{{ '{a}{a}{a}{a}{a}{a}{a}'.format_map({'a': 'x' * 50000}) }}",
    "percent width": "{{ '%1000000000d' % 1 }}",
    "percent star": "{{ '%*d' % (1000000000, 1) }}",
    "percent repeats": "{{ '%(a)s%(a)s%(a)s%(a)s' % {'a': 'x' * 90000} }}",
    "format filter": "{{ '%1000000000s' | format('x') }}",
    "replace empty": "{{ ('a' * 10000) | replace('', 'b' * 10000) }}",
    "replace method": "{{ ('a' * 10000).replace('a', 'b' * 10000) }}",
    "join filter": "{{ range(100000) | join('x' * 100000) }}",
    "join method": "{{ ('x' * 100000).join(range(100000) | map('string')) }}",
    "expandtabs": "{{ ('\t' * 10000).expandtabs(100000) }}",
    "translate": "{{ ('a' * 10000).translate({97: 'b' * 10000}) }}",
    "batch fill": "{{ [1] | batch(1000000000, 'x') | list }}",
    "slice count": "{{ [1] | slice(1000000000) | list }}",
    "sum of lists": "{{ ([[1]] * 50000) | sum(start=[]) }}",
    "doubling": "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
    "doubling lists": "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}"
    "{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}",
    "shared tree": "{% set ns = namespace(l=1) %}{% for i in range(64) %}"
    "{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}",
    "shared tree in macro": "{% macro g(x, n) %}{% if n %}{{ g([x, x], n - 1) }}{% else %}"
    "{{ x | string | length }}{% endif %}{% endmacro %}{{ g(1, 60) }}",
    "dict of big values": "{{ dict.fromkeys(range(100000), 'x' * 100000) }}",
    "huge output": "{% for i in range(100000) %}{{ 'x' * 10000 }}{% endfor %}",
    "block doubling": "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
    "{% set t %}{{ ns.s }}{{ ns.s }}{% endset %}{% set ns.s = t %}{% endfor %}{{ ns.s | length }}",
}

_HARNESS = r"""
import json, resource, sys, time
from pathlib import Path
resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
from prospector.errors import TemplateError
from prospector.outreach.templates import load_template, sample_context
out = {}
for name, body in json.loads(sys.stdin.read()).items():
    path = Path(sys.argv[1]) / "pitch.j2"
    path.write_text("Subject: Hi\n\nHi,\n" + body + "\n", encoding="utf-8")
    start = time.monotonic()
    try:
        text = load_template(path).render(sample_context("broken_link")).text
        result = "rendered %d characters" % len(text)
    except TemplateError as exc:
        result = str(exc)
    except MemoryError:
        result = "MemoryError"
    out[name] = [result, time.monotonic() - start]
    print(json.dumps({name: out[name]}), flush=True)
"""


def test_templates_cannot_exhaust_cpu_or_memory(tmp_path: Path) -> None:
    """Each payload is refused with the template's line — in a child process held to
    1.5 GB of address space, so a payload that got through fails the test instead of
    taking the machine down."""
    done = subprocess.run(
        [sys.executable, "-c", _HARNESS, str(tmp_path)],
        input=json.dumps(EXHAUSTION),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    results: dict[str, list[Any]] = {}
    for line in done.stdout.splitlines():
        results.update(json.loads(line))
    assert done.returncode == 0 and set(results) == set(EXHAUSTION), done.stderr[-2000:]
    for name, (message, seconds) in results.items():
        assert message.startswith(str(tmp_path / "pitch.j2") + ":4: "), (name, message)
        assert "not allowed" in message or "RecursionError" in message, (name, message)
        assert seconds < 60, (name, seconds)  # "did not hang", on the slowest machine


def test_a_refused_render_says_which_bound_it_hit(tmp_path: Path) -> None:
    assert refusal(write(tmp_path, EXHAUSTION["nested loops"])).endswith(
        "not allowed: the template ran more than 100,000 steps (loops, calls, lookups)"
    )
    assert refusal(write(tmp_path, EXHAUSTION["repeat"])).endswith(
        "not allowed: the repeated value would be 1,000,000,000 characters or more "
        "(the limit is 100,000)"
    )


def test_every_render_gets_a_fresh_budget(tmp_path: Path) -> None:
    """A template that uses most of its budget renders again and again."""
    template = load_template(write(tmp_path, "{% for a in range(90000) %}{% endfor %}ok"))
    started = time.monotonic()
    for _ in range(3):
        assert template.render(sample_context("resource_page")).text.endswith("ok")
    assert time.monotonic() - started < 60


# -- page data is data --------------------------------------------------------------------------

JINJA_DATA = [
    "{{ 7*7 }}",
    "{{7*'7'}}",
    "{% for x in range(7) %}{{ x }}{% endfor %}",
    "{{ cycler.__init__.__globals__ }}",
    "{# comment #}",
]
OTHER_ENGINES = ["${7*7}", "#{7*7}", "<%= 7*7 %>", "{7*7}", "@(7*7)", "[[7*7]]", "{{{7*7}}}"]


@pytest.mark.parametrize("payload", JINJA_DATA + OTHER_ENGINES)
@pytest.mark.parametrize("field", ["page.title", "contact.name", "dead_link.anchor", "page.author"])
def test_template_syntax_in_page_data_is_never_evaluated(
    tmp_path: Path, payload: str, field: str
) -> None:
    path = write(tmp_path, "Title {{ " + field + " }}.", subject="About {{ " + field + " }}")
    context = sample_context("broken_link")
    base, key = field.split(".")
    context[base][key] = payload
    try:
        draft = load_template(path).render(context)
    except TemplateError as exc:  # Jinja-like text left in a value is a leftover placeholder
        token = str(exc).partition("leftover placeholder '")[2].partition("' in the draft")[0]
        assert token and token in payload and str(exc).endswith(f"(from {field})"), str(exc)
        return
    assert draft.text.endswith(f"Title {payload}."), draft.text
    assert draft.subject == f"About {payload}"
    for evaluated in ("49", "7777777", "0123456", "<function", "<class"):
        assert evaluated not in draft.text + draft.subject


def test_drafting_a_prospect_with_a_template_injection_title_evaluates_nothing(
    tmp_path: Path,
) -> None:
    hostile = {**PROSPECTS[1], "title": "Links {{ 7*7 }} {% raw %}", "name": "${7*7} {{ 6*7 }}"}
    settings = outreach_settings(tmp_path)
    seed(settings, [PROSPECTS[0], hostile])
    campaign = load_campaign(settings.campaigns_dir / "example.toml", settings.templates_dir)
    with open_db(settings.database) as store:
        summary = draft_campaign(settings, campaign, store)
        messages = store.messages()
        events = [e for m in messages for e in store.events("prospect", str(m["prospect_id"]))]
        refused = store.db.execute(
            "SELECT data FROM events WHERE kind = 'draft_refused'"
        ).fetchall()
    assert summary.drafted == 1 and len(summary.refused) == 1
    assert "leftover placeholder '{{ 7*7 }}'" in summary.refused[0]
    assert "(from page.title)" in summary.refused[0] and len(refused) == 1
    everything = json.dumps([summary.as_dict(), messages, events, refused])
    # evaluated, the title would read "Links 49" and the name "${7*7} 42" (timestamps and
    # message ids may hold these digits anyway)
    assert "Links 49" not in everything and "} 42" not in everything
