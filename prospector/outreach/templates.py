"""Pitch templates: loading, sandboxed Jinja rendering and the campaign-load check. Every error
names the file and its line. The file format (``Subject: ...``, a blank line, the plain-text body
and optionally ``--- html ---`` and an autoescaped HTML body; see ``templates/README.md``), the
leftover-placeholder check and the draft format live in ``draftfile`` and are re-exported here.
"""

from __future__ import annotations

import difflib
import functools
import re
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.utils import missing

from prospector.errors import TemplateError
from prospector.outreach.draftfile import (
    HTML_MARKER,
    Draft,
    Section,
    find_placeholders,
    format_draft,
    one_line,
    parse_draft,
    split_sections,
    trim,
)
from prospector.outreach.sandbox import BoundedSandbox, bounded

__all__ = [  # the draft format is re-exported: callers import it from here
    "FIELDS", "HTML_MARKER", "ROLES", "VARIABLES", "Draft", "PitchTemplate", "check_template",
    "find_placeholders", "format_draft", "load_template", "parse_draft", "sample_context",
]  # fmt: skip

ROLES = ("broken_link", "resource_page", "guest_post", "followup")
VARIABLES: dict[str, str] = {
    "prospect": "the prospect: id, type, url, domain, score, campaign",
    "page": "the prospect's page: url, title, host, site_name, author (all but url/host may be '')",
    "contact": "who we write to: email, name, first_name (name/first_name may be '')",
    "dead_link": "broken-link prospects: the dead link (url, anchor, status); otherwise None",
    "dead_links": "every dead link found on the page (list of dead_link); [] unless broken_link",
    "wayback": "the dead link's archived snapshot (url, title, timestamp) or None",
    "replacement": "our page we offer (url, title, summary)",
    "campaign": "the campaign: name, description, keywords (a list, at least one)",
    "sender": "us: name, email, organisation, postal_address, website",
    "unsubscribe": "url (may be '') and mailto (a mailto: URL, may be ''): url or mailto",
    "original": "follow-ups: the thread's first pitch (subject, message_id, sent_at), else None",
    "followup": "follow-ups: step (1-based) and after_days; otherwise None",
}
FIELDS: dict[str, tuple[str, ...]] = {
    "prospect": ("id", "type", "url", "domain", "score", "campaign"),
    "page": ("url", "title", "host", "site_name", "author"),
    "contact": ("email", "name", "first_name"),
    "dead_link": ("url", "anchor", "status"),
    "wayback": ("url", "title", "timestamp"),
    "replacement": ("url", "title", "summary"),
    "campaign": ("name", "description", "keywords"),
    "sender": ("name", "email", "organisation", "postal_address", "website"),
    "unsubscribe": ("url", "mailto"),
    "original": ("subject", "message_id", "sent_at"),
    "followup": ("step", "after_days"),
}

# --- compiling and rendering -------------------------------------------------------------------


class _Undefined(StrictUndefined):
    """StrictUndefined whose error remembers what was looked up, and on what."""

    __slots__ = ()

    def __init__(self, hint: str | None = None, obj: Any = missing, name: str | None = None,
                 exc: type[Exception] = UndefinedError) -> None:  # fmt: skip
        super().__init__(hint, obj, name, exc)  # type: ignore[arg-type]
        if exc is UndefinedError:
            self._undefined_exception = functools.partial(_Lookup, name=name, obj=obj)  # type: ignore[assignment]


class _Lookup(UndefinedError):
    def __init__(self, message: str, *, name: object, obj: object) -> None:
        super().__init__(message)
        self.name, self.obj = name, obj


class _PrintedNone(Exception):
    pass


def _no_none(value: Any) -> Any:
    if value is None:
        raise _PrintedNone
    return value


def _environment(autoescape: bool) -> BoundedSandbox:
    env = BoundedSandbox(
        undefined=_Undefined, autoescape=autoescape, trim_blocks=True, lstrip_blocks=True,
        keep_trailing_newline=False, finalize=_no_none,
    )  # fmt: skip
    env.globals.pop("lipsum", None)  # it would only produce a leftover placeholder
    return env


@dataclass(frozen=True)
class _Part:
    name: str  # subject, text or html
    first: int  # file line of the part's line 1
    ast: nodes.Template
    template: Template
    filename: str  # what Jinja's rewritten traceback frames carry

    def line(self, line: int) -> int:
        return self.first + max(line, 1) - 1


def _did_you_mean(name: str, known: list[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{prefix}{close[0]}'?)" if close else ""


def _compile(env: BoundedSandbox, name: str, section: Section, path: Path) -> _Part:
    filename = f"{path}#{name}"
    try:
        ast = env.parse(section.source, filename=filename)
        code = env.compile(section.source, filename=filename)
    except TemplateSyntaxError as exc:
        line = section.first + (exc.lineno or 1) - 1
        raise TemplateError(f"{path}:{line}: syntax error: {one_line(exc.message or '')}") from exc
    template = env.template_class.from_code(env, code, env.make_globals(None))
    part = _Part(name, section.first, ast, template, filename)
    unknown = meta.find_undeclared_variables(ast) - set(VARIABLES) - set(env.globals)
    if unknown:
        line, first = min((n.lineno, n.name) for n in ast.find_all(nodes.Name) if n.name in unknown)
        raise TemplateError(
            f"{path}:{part.line(line)}: unknown variable '{first}'"
            f"{_did_you_mean(first, list(VARIABLES))} (known: {', '.join(VARIABLES)})"
        )
    return part


_NOPE = object()
_LOOKUPS = (nodes.Getattr, nodes.Getitem)


def _key(node: nodes.Node) -> Any:
    """The attribute or constant item a lookup node asks for, else _NOPE."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return node.arg.value
    return _NOPE


def _dotted(node: nodes.Node) -> str | None:
    """``page.title`` for a plain lookup chain, None for anything more complex."""
    if isinstance(node, nodes.Name):
        return node.name
    if not isinstance(node, _LOOKUPS) or (key := _key(node)) is _NOPE:
        return None
    base = _dotted(node.node)
    if base is None:
        return None
    return f"{base}.{key}" if isinstance(key, str) and key.isidentifier() else f"{base}[{key!r}]"


def _resolve(node: nodes.Node, context: Mapping[str, Any]) -> Any:
    """The value a plain lookup chain has in ``context``, else _NOPE."""
    if isinstance(node, nodes.Name):
        return context.get(node.name, _NOPE)
    if not isinstance(node, _LOOKUPS) or (key := _key(node)) is _NOPE:
        return _NOPE
    obj = _resolve(node.node, context)
    if isinstance(obj, Mapping):
        return obj.get(key, _NOPE)
    if isinstance(obj, (list, tuple)) and isinstance(key, int) and -len(obj) <= key < len(obj):
        return obj[key]
    return _NOPE


def _lookups(part: _Part, key: object, line: int) -> list[nodes.Getattr | nodes.Getitem]:
    """Plain lookup chains ending in ``key``, those on ``line`` (of the part) first."""
    found = [
        n for n in part.ast.find_all(_LOOKUPS)
        if isinstance(n, _LOOKUPS) and _key(n) == key and _dotted(n)
    ]  # fmt: skip
    return sorted(found, key=lambda n: (n.lineno != line, n.lineno))


def _undefined(part: _Part, exc: _Lookup, line: int, context: Mapping[str, Any]) -> str:
    if exc.obj is missing:
        return f"undefined variable '{exc.name}'{_did_you_mean(str(exc.name), list(VARIABLES))}"
    candidates = _lookups(part, exc.name, line)
    matching = [n for n in candidates if _resolve(n.node, context) is exc.obj] or candidates
    if not matching:
        return f"undefined: {exc}"
    expr, base = _dotted(matching[0]), _dotted(matching[0].node)
    if exc.obj is None:
        return (
            f"undefined variable '{expr}' ({base} is None here; test it first: {{% if {base} %}})"
        )
    known = [str(k) for k in exc.obj] if isinstance(exc.obj, Mapping) else []
    return f"undefined variable '{expr}'{_did_you_mean(str(exc.name), known, f'{base}.')}"


def _printed_none(part: _Part, line: int, context: Mapping[str, Any]) -> str:
    for output in part.ast.find_all(nodes.Output):
        for child in output.nodes:
            expr = _dotted(child)
            if child.lineno == line and expr and _resolve(child, context) is None:
                return f"'{expr}' is None here; test it first: {{% if {expr} %}}"
    return "a value printed here is None; test it first with {% if ... %}"


def _strings(value: Any, prefix: str) -> Iterator[tuple[str, str]]:
    """(dotted path, text) of every string in a context value."""
    if isinstance(value, str):
        yield prefix, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, f"{prefix}.{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _strings(item, f"{prefix}[{index}]")


class PitchTemplate:
    """A loaded, compiled template file."""

    def __init__(self, path: Path, lines: list[str], parts: list[_Part]) -> None:
        self.path = path
        self._lines = lines
        self._parts = parts

    def render(self, context: Mapping[str, Any]) -> Draft:
        """Render a draft, or raise TemplateError "path:line: ..."."""
        absent = [name for name in VARIABLES if name not in context]
        if absent:
            raise ValueError(f"the render context lacks {', '.join(absent)}")
        out = {part.name: trim(self._render(part, context)) for part in self._parts}
        out["subject"] = one_line(out["subject"])
        for part in self._parts:
            if not out[part.name]:
                what = "subject" if part.name == "subject" else f"{part.name} body"
                raise TemplateError(
                    f"{self.path}:{part.first}: the {what} is empty after rendering"
                )
        for part in self._parts:
            for line, token in find_placeholders(out[part.name]):
                raise TemplateError(self._leftover(part, line, token, context, out))
        return Draft(out["subject"], out["text"], out.get("html"))

    def _render(self, part: _Part, context: Mapping[str, Any]) -> str:
        try:
            with bounded():
                return part.template.render(context)
        except Exception as exc:
            frames = traceback.walk_tb(exc.__traceback__)
            lines = [n for f, n in frames if f.f_code.co_filename == part.filename]
            line = lines[-1] if lines else 1
            if isinstance(exc, _Lookup):
                what = _undefined(part, exc, line, context)
            elif isinstance(exc, SecurityError):
                what = f"not allowed: {str(exc).rstrip('.')}"
            elif isinstance(exc, _PrintedNone):
                what = _printed_none(part, line, context)
            else:
                what = f"{type(exc).__name__}: {exc}"
            raise TemplateError(f"{self.path}:{part.line(line)}: {one_line(what)}") from exc

    def _leftover(
        self, part: _Part, line: int, token: str, context: Mapping[str, Any], out: dict[str, str]
    ) -> str:
        """Where a leftover comes from: the template's own text, else the line using the value
        that holds it, else its line in the rendered draft (as format_draft lays it out)."""
        what = f"leftover placeholder '{token}' in the draft"
        own = [i for i in range(len(self._lines)) if token in self._lines[i]]
        if own:
            return f"{self.path}:{min(own, key=lambda i: (i + 1 < part.first, i)) + 1}: {what}"
        for expr, value in (pair for name in VARIABLES for pair in _strings(context[name], name)):
            if token in value:
                last = re.split(r"[.\[]", expr)[-1].rstrip("]")
                uses = _lookups(part, int(last) if last.isdigit() else last, 0)
                uses = [n for n in uses if _dotted(n) == expr] or uses
                if uses:
                    return f"{self.path}:{part.line(uses[0].lineno)}: {what} (from {expr})"
        offset = {"subject": 0, "text": 2, "html": 4 + out["text"].count("\n")}[part.name]
        return f"{self.path}:{line + offset}: {what} (line {line + offset} of the rendered draft)"

    def check_fields(self) -> None:
        """Refuse lookups of fields no variable has (``page.titel``), in any branch."""
        for part in self._parts:
            stored = {n.name for n in part.ast.find_all(nodes.Name) if n.ctx != "load"}
            for node in part.ast.find_all(_LOOKUPS):
                base, key = getattr(node, "node", None), _key(node)
                if not isinstance(base, nodes.Name) or base.name not in FIELDS:
                    continue
                if base.name in stored or not isinstance(key, str) or hasattr(dict, key):
                    continue
                if key not in FIELDS[base.name]:
                    hint = _did_you_mean(key, list(FIELDS[base.name]), f"{base.name}.")
                    raise TemplateError(
                        f"{self.path}:{part.line(node.lineno)}: "
                        f"undefined variable '{base.name}.{key}'{hint}"
                    )


def load_template(path: Path) -> PitchTemplate:
    """Read and compile a template file; refuses bad format, syntax and unknown variables."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TemplateError(f"{path}: not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read: {one_line(str(exc))}") from exc
    subject, body, html = split_sections(text, str(path))
    plain = _environment(autoescape=False)
    parts = [_compile(plain, "subject", subject, path), _compile(plain, "text", body, path)]
    if html is not None:
        parts.append(_compile(_environment(autoescape=True), "html", html, path))
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return PitchTemplate(path, lines, parts)


# --- samples and the campaign-load check -------------------------------------------------------


def sample_context(role: str) -> dict[str, Any]:
    """Realistic values for every variable, as drafting passes them for ``role``."""
    if role not in ROLES:
        raise ValueError(f"unknown template role '{role}' (known: {', '.join(ROLES)})")
    broken = role in ("broken_link", "followup")
    kind = "broken_link" if role == "followup" else role
    page_url = "https://greenthumbgazette.example/resources/composting"
    dead = {"url": "https://compostcentral.example/guides/bokashi", "anchor": "bokashi basics",
            "status": 404}  # fmt: skip
    other = {"url": "https://wormfarm.example/tips", "anchor": "worm farm tips", "status": 410}
    return {
        "prospect": {"id": 42, "type": kind, "url": page_url, "score": 0.82,
                     "domain": "greenthumbgazette.example", "campaign": "spring-compost"},
        "page": {"url": page_url, "title": "Composting resources for home gardeners",
                 "host": "greenthumbgazette.example", "site_name": "Green Thumb Gazette",
                 "author": "Maria Lopez"},
        "contact": {"email": "maria@greenthumbgazette.example", "name": "Maria Lopez",
                    "first_name": "Maria"},
        "dead_link": dead if broken else None,
        "dead_links": [dead, other] if broken else [],
        "wayback": {"url": f"https://web.archive.org/web/20210304000000/{dead['url']}",
                    "title": "Bokashi basics: fermenting kitchen scraps",
                    "timestamp": "20210304000000"} if broken else None,
        "replacement": {"url": "https://soilsmith.example/guides/hot-composting",
                        "title": "Hot composting, step by step",
                        "summary": "A field-tested guide to building a compost pile that "
                                   "heats up and finishes in eight weeks."},
        "campaign": {"name": "spring-compost", "description": "Links for our composting guides",
                     "keywords": ["composting", "bokashi"]},
        "sender": {"name": "Sam Carter", "email": "sam@soilsmith.example",
                   "organisation": "Soilsmith", "website": "https://soilsmith.example/",
                   "postal_address": "12 Orchard Lane, Bristol BS1 4DJ, United Kingdom"},
        "unsubscribe": {"url": "https://soilsmith.example/unsubscribe?t=Qx81vTz",
                        "mailto": "mailto:unsubscribe@soilsmith.example?subject=unsubscribe"},
        "original": {"subject": "A broken link on Composting resources for home gardeners",
                     "message_id": "<pr.1741080600.42@soilsmith.example>",
                     "sent_at": "2025-03-04T09:30:00+00:00"} if role == "followup" else None,
        "followup": {"step": 1, "after_days": 5} if role == "followup" else None,
    }  # fmt: skip


def _variants(role: str) -> list[dict[str, Any]]:
    """The full sample and a sparse one: no contact name, no page title, no wayback, etc."""
    full = sample_context(role)
    sparse = sample_context("resource_page" if role == "followup" else role)
    if role == "followup":
        sparse.update(original=full["original"], followup={"step": 2, "after_days": 12})
        sparse["prospect"]["type"] = "resource_page"
    sparse["contact"].update(name="", first_name="")
    sparse["page"].update(title="", site_name="", author="")
    sparse["unsubscribe"]["url"] = ""
    if sparse["dead_link"] is not None:
        sparse["dead_link"] = {**sparse["dead_link"], "anchor": ""}
        sparse["dead_links"] = [sparse["dead_link"]]
        sparse["wayback"] = None
    return [full, sparse]


def check_template(path: Path, role: str) -> PitchTemplate:
    """Load a template and render it against sample contexts for ``role``, so typos surface
    when the campaign loads rather than when a draft is made."""
    template = load_template(path)
    template.check_fields()
    for context in _variants(role):
        template.render(context)
    return template
