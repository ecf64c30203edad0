"""The sandbox pitch templates run in: Jinja's immutable sandbox (no internals, nothing that
changes a value), plus bounds on the work and memory one render may take, so a template —
careless or hostile — cannot take the host down.

Every render runs inside ``bounded()`` (its budget: ``prospector.outreach.budget``). Loops,
calls, lookups and the operators ``* ** % +`` are metered; list, tuple and dict literals and
``~`` are routed through meters when the template is compiled; every filter is wrapped; the
rendered text (and every macro or block) is joined by a counting ``concat``. Operations that
could make a huge value in one go (``'a' * n``, ``n ** m``, ``'%999999999d' % 1``,
``'{:>999999999}'.format``, ``'x'.ljust(n)``, ``|center(n)``, ``|indent(n)``,
``|batch(n, fill)``, ``s.replace('', t)``, ``t.join(...)``) are refused before they run.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from jinja2 import Environment, nodes, pass_environment
from jinja2.exceptions import SecurityError
from jinja2.filters import make_attrgetter
from jinja2.nodes import EvalContext
from jinja2.runtime import Context, LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter
from jinja2.visitor import NodeTransformer
from markupsafe import EscapeFormatter, Markup

from prospector.outreach.budget import (
    MAX_INT_BITS,
    MAX_TEXT,
    MAX_VALUE,
    TEXT,
    bounded,
    checked,
    current,
    int_bits,
    precheck_binop,
    precheck_call,
    printf_size,
    size_of,
    too_big,
)

__all__ = ["BoundedSandbox", "bounded"]

# filters whose first argument after the value is the size of what they make
_SIZED_FILTERS = frozenset({"center", "indent", "batch", "slice", "wordwrap"})


def _format_spec_size(spec: str) -> int:
    return sum(int(n) for n in re.findall(r"\d+", spec))


class _BoundedFormatter(SandboxedFormatter):
    """``str.format`` in the sandbox, refusing widths and precisions past MAX_VALUE and
    stopping once the text it makes grows past it."""

    made = 0

    def format_field(self, value: Any, format_spec: str) -> Any:
        if _format_spec_size(format_spec) > MAX_VALUE:
            raise too_big("a format field", _format_spec_size(format_spec))
        if len(format_spec) > 200:
            raise SecurityError("a format spec this long is not allowed")
        text = super().format_field(value, format_spec)
        self.made += len(text)
        if self.made > MAX_VALUE:
            raise too_big("the formatted text", self.made)
        current().tick()
        return text


class _BoundedEscapeFormatter(_BoundedFormatter, EscapeFormatter):
    pass


class _Meter(NodeTransformer):
    """Routes loops, literals and ``~`` through the environment's meters: every loop item
    is a step, every list, tuple, dict and concatenation is measured."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _meter_call("meter_items", node.iter)
        return node

    def visit_List(self, node: nodes.List) -> nodes.Node:
        self.generic_visit(node)
        return _meter_call("meter_value", node)

    def visit_Dict(self, node: nodes.Dict) -> nodes.Node:
        self.generic_visit(node)
        return _meter_call("meter_value", node)

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        self.generic_visit(node)
        return node if node.ctx != "load" else _meter_call("meter_value", node)

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return _meter_call("meter_concat", nodes.List(node.nodes, lineno=node.lineno))


def _meter_call(name: str, arg: nodes.Node) -> nodes.Call:
    call = nodes.Call(nodes.EnvironmentAttribute(name), [arg], [], None, None)
    call.set_lineno(arg.lineno)
    return call


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the budget of ``bounded()`` enforced."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        finalize: Callable[[Any], Any] | None = options.pop("finalize", None)

        def measured(value: Any) -> Any:
            if isinstance(value, str):
                current().output(len(value))
            elif not isinstance(value, int | float):
                current().output(size_of(checked(value, "a printed value")))
            return finalize(value) if finalize is not None else value

        super().__init__(finalize=measured, **options)
        self.filters = {name: self._metered_filter(name, f) for name, f in self.filters.items()}
        self.filters["sum"] = self._metered_filter("sum", _numbers_sum)

    # -- what the compiled template calls -------------------------------------------------------

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        """Joins every piece of output (the render, macros, blocks), counting as it goes."""
        budget, made, out = current(), 0, []
        for part in parts:
            made += len(part)
            if made > MAX_TEXT:
                raise too_big("the rendered text", made, MAX_TEXT)
            out.append(part)
        budget.spend(made)
        return "".join(out)

    @staticmethod
    def meter_items(iterable: Iterable[Any]) -> Iterator[Any]:
        budget = current()
        for item in iterable:
            budget.tick()
            yield item

    @staticmethod
    def meter_value(value: Any) -> Any:
        return checked(value)

    def meter_concat(self, parts: list[Any]) -> str:
        size = sum(size_of(part) for part in parts)
        if size > MAX_VALUE:
            raise too_big("the joined text", size)
        joined: str = markup_join(parts) if self.autoescape else str_join(parts)
        checked(joined, "the joined text")
        return joined

    def _generate(
        self,
        source: nodes.Template,
        name: str | None,
        filename: str | None,
        defer_init: bool = False,
    ) -> str:
        metered = _Meter().visit(source)
        metered.set_environment(self)
        return super()._generate(metered, name, filename, defer_init)

    # -- the sandbox's hooks -------------------------------------------------------------------

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        current().tick()
        if any(getattr(obj, "__func__", obj) is meter for meter in _METERS):
            return obj(*args)  # (without the _loop_vars or _block_vars Jinja passes along)
        if isinstance(obj, LoopContext) and args:  # a recursive loop's next level
            args = (self.meter_items(args[0]), *args[1:])
        args = precheck_call(obj, args, kwargs)
        return checked(super().call(context, obj, *args, **kwargs), "the call's result")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        current().tick()
        precheck_binop(operator, left, right)
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, int) and int_bits(result) > MAX_INT_BITS:
            raise SecurityError("a number this large is not allowed")
        return checked(result, "the result")

    def getattr(self, obj: Any, attribute: str) -> Any:
        current().tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        current().tick()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        owner: str = value.__self__
        escaping = isinstance(owner, Markup)
        is_map = value.__name__ == "format_map"

        def bounded_format(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                kwargs = args[0]
                args = ()
            formatter: string.Formatter = (
                _BoundedEscapeFormatter(self, escape=owner.escape)  # type: ignore[attr-defined]
                if escaping
                else _BoundedFormatter(self)
            )
            return type(owner)(formatter.vformat(owner, args, kwargs))

        return bounded_format

    def _metered_filter(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def metered(*args: Any, **kwargs: Any) -> Any:
            current().tick()
            args = _precheck_filter(name, args, kwargs)
            return checked(func(*args, **kwargs), f"the result of |{name}")

        if hasattr(func, "jinja_pass_arg"):  # pass_context / pass_eval_context / pass_environment
            metered.jinja_pass_arg = func.jinja_pass_arg  # type: ignore[attr-defined]
        return metered


_METERS = (BoundedSandbox.meter_items, BoundedSandbox.meter_value, BoundedSandbox.meter_concat)


def _is_internal(value: Any) -> bool:
    """The context, eval context or environment Jinja passes to some filters first."""
    return isinstance(value, Context | EvalContext | Environment)


def _precheck_filter(
    name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Any, ...]:
    """Refuse a filter call that would make a value past MAX_VALUE in one go; the arguments
    to call it with (an iterable to join is read once, here)."""
    first = next((i for i, arg in enumerate(args) if not _is_internal(arg)), len(args))
    values = args[first:]
    if name in _SIZED_FILTERS:
        for size in (*values[1:2], *kwargs.values()):
            if int_bits(size) and abs(size) > MAX_VALUE:
                raise too_big(f"|{name}", abs(size))
    if name == "format" and values:
        size = printf_size(str(values[0]), tuple(values[1:]) or dict(kwargs))
        if size > MAX_VALUE:
            raise too_big("the formatted text", size)
    elif name == "join" and values:
        items = values[0] if isinstance(values[0], TEXT) else list(values[0])
        separator = values[1] if len(values) > 1 else kwargs.get("d", "")
        size = size_of(separator) * len(items) + size_of(items)
        if size > MAX_VALUE:
            raise too_big("the joined text", size)
        return (*args[:first], items, *values[1:])
    elif name == "replace" and len(values) >= 3:
        precheck_call(str(values[0]).replace, (values[1], values[2]), {})
    return args


@pass_environment
def _numbers_sum(
    environment: Environment, iterable: Iterable[Any], attribute: Any = None, start: Any = 0
) -> Any:
    """``|sum`` for numbers only (adding up lists or strings takes quadratic time)."""
    if attribute is not None:
        iterable = map(make_attrgetter(environment, attribute), iterable)
    if not isinstance(start, int | float):
        raise SecurityError("|sum adds numbers only")
    total = start
    for item in iterable:
        if not isinstance(item, int | float):
            raise SecurityError("|sum adds numbers only")
        total += item
    return total
