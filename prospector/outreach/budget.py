"""The budget of one pitch-template render, and the sizes it measures.

Loop iterations, calls, lookups and operators are steps (at most ``MAX_STEPS``); every value a
template makes counts its size in characters (at most ``MAX_VALUE`` for one value, ``MAX_CHARS``
in all). Operations that could make a huge value in one go are checked *before* they run
(``precheck_call``, ``precheck_binop``, ``printf_size``). Values are measured as a tree: shared
parts count each time they are reached, which is what printing them would cost. Going over a
bound raises Jinja's ``SecurityError``. Used by ``prospector.outreach.sandbox``.
"""

from __future__ import annotations

import re
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.utils import Namespace

MAX_STEPS = 100_000  # loop iterations, calls, lookups and operators in one render
MAX_VALUE = 100_000  # characters (or items) of any one value, and printed by {{ }} in all
MAX_TEXT = 2 * MAX_VALUE  # characters of the rendered text (static text included)
MAX_CHARS = 20_000_000  # characters of all the values one render makes
MAX_INT_BITS = 4_096  # integers a template computes (about 1,200 digits)

TEXT = (str, bytes, bytearray)
_SEQUENCES = (list, tuple, set, frozenset)
_CONTAINERS = (Mapping, *_SEQUENCES)
_SIZED_VALUES = (*TEXT, *_SEQUENCES)
# builtin methods whose int arguments are sizes of what they make (str.ljust, int.to_bytes...)
_SIZED_OWNERS = (str, bytes, bytearray, int)
_PRINTF = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?P<width>\*|\d+)?(?:\.(?P<precision>\*|\d+))?"
    r"[hlL]?(?P<conversion>.)",
    re.S,
)


class Budget:
    """What one render has used so far."""

    __slots__ = ("chars", "printed", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.chars = 0
        self.printed = 0

    def tick(self, steps: int = 1) -> None:
        self.steps += steps
        if self.steps > MAX_STEPS:
            raise SecurityError(
                f"the template ran more than {MAX_STEPS:,} steps (loops, calls, lookups)"
            )

    def output(self, chars: int) -> None:
        """Characters printed by ``{{ ... }}`` (refused where they are printed, so the error
        names the line; the whole text is counted again when it is joined)."""
        self.printed += chars
        if self.printed > MAX_VALUE:
            raise too_big("the rendered text", self.printed)

    def spend(self, chars: int) -> None:
        self.chars += chars
        if self.chars > MAX_CHARS:
            raise SecurityError(f"the template made more than {MAX_CHARS:,} characters in all")


_CURRENT: ContextVar[Budget | None] = ContextVar("prospector_template_budget", default=None)


def current() -> Budget:
    """The budget of the render under way; a throwaway one outside a render (Jinja folds
    constant expressions when it compiles a template, and the checks apply there too)."""
    return _CURRENT.get() or Budget()


@contextmanager
def bounded() -> Iterator[Budget]:
    """A fresh budget for one render."""
    budget = Budget()
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def too_big(what: str, size: int, limit: int = MAX_VALUE) -> SecurityError:
    return SecurityError(f"{what} would be {size:,} characters or more (the limit is {limit:,})")


def size_of(value: Any, limit: int = MAX_VALUE) -> int:
    """The size of ``value`` as text, roughly (strings by length, containers by what they
    hold, reached as a tree); counting stops a little past ``limit``."""
    total, visited, stack = 0, 0, [value]
    while stack and total <= limit:
        item = stack.pop()
        visited += 1
        if isinstance(item, TEXT):
            total += len(item)
        elif isinstance(item, Namespace):
            stack.append(dict(getattr(item, "_Namespace__attrs", {})))
        elif isinstance(item, _CONTAINERS):
            total += 2 + len(item)
            if len(item) > limit:
                break
            stack.extend(item.items() if isinstance(item, Mapping) else item)
        elif isinstance(item, int):
            total += item.bit_length() // 3 + 2
        else:
            total += 8  # numbers, None, loop and macro objects: short as text
    current().tick(visited)
    return total


def checked(value: Any, what: str = "a value") -> Any:
    """``value`` once it is known to be within MAX_VALUE; its size is spent."""
    size = size_of(value)
    if size > MAX_VALUE:
        raise too_big(what, size)
    current().spend(size)
    return value


def int_bits(value: Any) -> int:
    return value.bit_length() if isinstance(value, int) and not isinstance(value, bool) else 0


def printf_size(template: str, args: Any) -> int:
    """An upper bound of the length of ``template % args``."""
    values = list(args.values()) if isinstance(args, Mapping) else args
    values = list(values) if isinstance(values, tuple) else [values]
    longest = max((size_of(v) * 6 + 16 for v in values), default=0)  # repr, HTML escapes
    total = len(template)
    for spec in _PRINTF.finditer(template):
        width, precision = spec.group("width"), spec.group("precision")
        if "*" in (width, precision):
            raise SecurityError("'*' widths are not allowed in % formatting")
        total += int(width or 0) + int(precision or 0) + longest + 400  # 400: float digits
    return total


def precheck_call(obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Refuse a builtin method call that would make a value past MAX_VALUE in one go; the
    arguments to call it with (an iterable to join is read once, here)."""
    owner = getattr(obj, "__self__", None)
    if not isinstance(obj, types.BuiltinMethodType) or not isinstance(owner, _SIZED_OWNERS):
        return args
    name = obj.__name__
    for arg in (*args, *kwargs.values()):
        if int_bits(arg) and abs(arg) > MAX_VALUE:
            raise too_big(f"{type(owner).__name__}.{name}()", abs(arg))
    if not isinstance(owner, TEXT):
        return args
    size = 0
    if name == "replace" and len(args) >= 2:
        old, new = args[0], args[1]
        hits = len(owner) + 1 if not old else owner.count(old)
        size = len(owner) + hits * size_of(new)
    elif name == "join" and args:
        items = args[0] if isinstance(args[0], TEXT) else list(args[0])
        size = len(owner) * len(items) + size_of(items)
        args = (items, *args[1:])
    elif name == "expandtabs":
        tab = args[0] if args else kwargs.get("tabsize", 8)
        tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
        size = len(owner) + tabs * int(tab)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        size = len(owner) * max((size_of(v) for v in args[0].values()), default=1)
    if size > MAX_VALUE:
        raise too_big(f"{type(owner).__name__}.{name}()", size)
    return args


def precheck_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "**":
        if int_bits(left) > 1 and int_bits(right) and right > 0:
            bits = int_bits(left) * right
            if bits > MAX_INT_BITS:
                raise SecurityError(f"a number of about {bits:,} bits is not allowed")
    elif operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, _SIZED_VALUES) and int_bits(count):
                size = size_of(seq) * count
                if size > MAX_VALUE:
                    raise too_big("the repeated value", size)
        if int_bits(left) + int_bits(right) > MAX_INT_BITS:
            raise SecurityError("a number this large is not allowed")
    elif operator == "%" and isinstance(left, str):
        size = printf_size(left, right)
        if size > MAX_VALUE:
            raise too_big("the %-formatted text", size)
    elif operator == "+" and not isinstance(left, int | float):
        size = size_of(left) + size_of(right)
        if size > MAX_VALUE:
            raise too_big("the joined value", size)
