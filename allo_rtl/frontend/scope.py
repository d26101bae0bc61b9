"""The names a kernel can see, resolved as Allo resolves them.

A kernel's annotations and body may use names from its module's globals, from the cells of its
closure, and from the frames of whoever called ``customize``: Python evaluates the annotations
of a nested ``def`` in the enclosing function, where ``M, K = 8, 8`` lives, and those names are
not closure cells. Like Allo, only values a kernel can use are taken from frames (numbers,
Allo types, functions), walking from the caller outwards up to the module level.

Precedence, highest first: closure cells; the frames of functions that lexically enclose the
kernel (innermost first: what Python itself would see); the kernel's globals; then, as Allo's
dynamic fallback, any other caller frame. So a caller's local ``N`` never changes a kernel
imported from another module that has its own ``N``.
"""
from __future__ import annotations

import inspect
import numbers
import sys
from pathlib import Path

from ..ir import types as T

_PACKAGE = str(Path(__file__).resolve().parent.parent)


def _usable(value) -> bool:
    return (isinstance(value, (numbers.Number, T.AlloType, T.ArrayType))
            or inspect.isfunction(value))


def caller_frames(skip_frames: int = 1) -> list:
    """[(file, qualname, usable locals)] of the frames outside allo-rtl that led here,
    innermost first, up to (not including) the module level."""
    frame = sys._getframe(skip_frames)
    out = []
    while frame is not None:
        code = frame.f_code
        file = str(Path(code.co_filename).resolve())
        if not file.startswith(_PACKAGE) and not file.endswith("contextlib.py"):
            if code.co_name == "<module>":
                break          # module globals come from fn.__globals__
            names = {k: v for k, v in frame.f_locals.items() if _usable(v)}
            out.append((code.co_filename, getattr(code, "co_qualname", code.co_name), names))
        frame = frame.f_back
    return out


def _encloses(frame_file, frame_qualname, fn) -> bool:
    return (frame_file == fn.__code__.co_filename
            and fn.__qualname__.startswith(frame_qualname + ".<locals>."))


def kernel_namespace(fn, frames: list | None = None) -> dict:
    """Every name ``fn`` can see, by the precedence in the module docstring."""
    frames = frames or []
    env: dict = {}
    for file, qual, names in reversed(frames):          # dynamic fallback, inner wins
        if not _encloses(file, qual, fn):
            env.update(names)
    env.update(fn.__globals__)
    for file, qual, names in reversed(frames):          # lexical scopes, inner wins
        if _encloses(file, qual, fn):
            env.update(names)
    if fn.__closure__:
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
            try:
                env[name] = cell.cell_contents
            except ValueError:   # a cell not filled yet
                pass
    return env
