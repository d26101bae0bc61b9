"""Allo's loop handles: ``s.get_loops()`` gives bands (top-level loop nests) whose loops are
reached by attribute or item (``loops.S_i_0.j``, ``loops.B["i.outer"]``); primitives take a
handle, a loop name ``"j"`` or ``"fn:j"``.

Bands are named as Allo names them: ``allo.grid(..., name=...)``, else ``S_<loops of the top
statement>_<k>`` in source names, k counting the function's loop statements: ``for i, j in
allo.grid(...)`` is ``S_i_j_0``, ``for i: for j:`` is ``S_i_0``. The name joining the whole
perfect chain (``S_i_j_0``, or with the unique loop names, ``S_i1_j1_k_1``) is an alias. Within
a band a loop answers to its unique name (``i1``) and to its source name (``i``). A primitive
stamps the names on the bands' top loops first, so rewrites do not rename bands.
"""
from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from pathlib import Path

from ..errors import AlloScheduleError
from ..ir import nodes as ir

_PACKAGE = str(Path(__file__).resolve().parent.parent)


def call_site() -> ir.Loc:
    """Where the user's script called into the schedule (the first frame outside allo_rtl)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = str(Path(frame.f_code.co_filename).resolve())
        if not name.startswith(_PACKAGE) and not name.endswith("contextlib.py"):
            return ir.Loc(frame.f_code.co_filename, frame.f_lineno, _column(frame))
        frame = frame.f_back
    return ir.UNKNOWN


def _column(frame) -> int:
    """The column of the call the frame is executing (0 if Python cannot say)."""
    positions = list(frame.f_code.co_positions())
    k = frame.f_lasti // 2
    if 0 <= k < len(positions) and positions[k][0] == frame.f_lineno and positions[k][2]:
        return positions[k][2]
    return 0


class UnknownLoopError(AlloScheduleError, AttributeError):
    """An unknown band or loop name; an AttributeError too, so ``hasattr`` answers False."""


class LoopHandle:
    def __init__(self, func: str, name: str):
        self.func, self.name = func, name

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"LoopHandle({self.func}:{self.name})"


def source_label(loop: ir.For) -> str:
    """The loop's name as written in the kernel: the frontend makes names unique in a
    function (a second ``i`` loop is ``i1`` with index ``i_1``), Allo names loops per band."""
    head, dot, rest = loop.name.partition(".")
    m = re.fullmatch(r"(.+?)(\d+)", head)
    if m and loop.var.name.startswith(f"{m.group(1)}_{m.group(2)}"):
        return m.group(1) + dot + rest
    return loop.name


class LoopBand:
    def __init__(self, func: str, name: str, loops: list):
        self._func, self._name = func, name
        self._loops = [lp.name for lp in loops]
        labels = [source_label(lp) for lp in loops]
        self._labels = {lab: lp.name for lab, lp in zip(labels, loops)
                        if labels.count(lab) == 1 and lab not in self._loops}

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name):
        if name in self._loops or name in self._labels:
            return LoopHandle(self._func, self._labels.get(name, name))
        raise UnknownLoopError(f"band {self._name} has no loop {name!r}", call_site(),
                               hint=f"its loops: {', '.join(self._loops)}")

    @property
    def loops(self) -> dict:
        """{loop name: handle}, outermost first, as Allo's ``LoopBand.loops``: a loop is named
        as written in the kernel (``i``, ``i.outer``) where that is unique in the band."""
        names = {u: lab for lab, u in self._labels.items()}
        return {names.get(u, u): LoopHandle(self._func, u) for u in self._loops}

    def __iter__(self):
        """(name, handle) pairs, as Allo's LoopBand: ``for name, loop in band``."""
        return iter(self.loops.items())

    def __repr__(self):
        return f"{self._name}: {', '.join(self._loops)}"


def _chain(top: ir.For, same_statement: bool) -> list:
    """The loops perfectly nested from ``top`` down (only those ``top``'s statement made)."""
    chain = [top]
    while len(chain[-1].body) == 1 and isinstance(chain[-1].body[0], ir.For) and \
            (not same_statement or chain[-1].body[0].loc == top.loc):
        chain.append(chain[-1].body[0])
    return chain


def band_tops(f: ir.Function) -> list:
    """(name, aliases, top loop) of each band of ``f``, in program order."""
    out = []
    tops = [s for s in f.body if isinstance(s, ir.For) and not s.attrs.get("implicit")]
    for k, top in enumerate(tops):      # implicit: loops the frontend made for array operations
        names = [f"S_{'_'.join(label(lp) for lp in _chain(top, same))}_{k}"
                 for same in (True, False) for label in (source_label, lambda lp: lp.name)]
        name = top.attrs.get("band") or names[0]
        out.append((name, [n for n in dict.fromkeys(names) if n != name], top))
    return out


class LoopNests:
    """The bands of one function, in program order."""

    def __init__(self, f: ir.Function):
        self._func = f.name
        self._bands, self._aliases = {}, {}
        for name, aliases, top in band_tops(f):
            self._bands[name] = LoopBand(f.name, name, ir.loops([top]))
            for alias in aliases:
                self._aliases.setdefault(alias, name)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name):
        if name in self._bands or name in self._aliases:
            return self._bands[self._aliases.get(name, name)]
        for band in self._bands.values():       # a loop name directly, as a convenience
            if name in band._loops:
                return LoopHandle(self._func, name)
        raise UnknownLoopError(f"{self._func} has no loop band {name!r}", call_site(),
                               hint=f"bands: {', '.join(self._bands) or 'none'}")

    @property
    def loops(self) -> dict:
        """{band name: band}, in program order (Allo's top-level ``LoopBand.loops``)."""
        return dict(self._bands)

    def __iter__(self):
        """(name, band) pairs, as Allo: ``for name, band in s.get_loops()``."""
        return iter(self._bands.items())

    def __len__(self):
        return len(self._bands)

    def __repr__(self):
        return "\n".join(repr(b) for b in self._bands.values())


@contextmanager
def bands_kept(module: ir.Module):
    """Stamp each band's name on its top loop while a primitive runs, so the bands keep the
    names users hold when loops are split, reordered or fused; a refused primitive leaves no
    stamp."""
    stamped = []
    for f in module.functions.values():
        for name, _, top in band_tops(f):
            if "band" not in top.attrs:
                top.attrs["band"] = name
                stamped.append(top)
    try:
        yield
    except BaseException:
        for top in stamped:
            top.attrs.pop("band", None)
        raise


def resolve(module: ir.Module, axis, default_func: str) -> tuple:
    """(Function, loop name) for a handle, ``"loop"`` or ``"fn:loop"``."""
    if isinstance(axis, LoopHandle):
        func, name = axis.func, axis.name
    elif isinstance(axis, str):
        func, _, name = axis.rpartition(":") if ":" in axis else ("", "", axis)
        func = func or default_func
    else:
        raise AlloScheduleError(f"expected a loop name or handle, got {axis!r}",
                                hint="pass a string like 'i' or a handle from s.get_loops()")
    if func not in module.functions:
        raise AlloScheduleError(f"no kernel named {func!r} in this schedule",
                                hint=f"kernels: {', '.join(module.functions)}")
    f = module.functions[func]
    elsewhere = [g.name for g in module.functions.values() if g is not f and
                 any(lp.name == name for lp in ir.loops(g.body))]
    if elsewhere and all(lp.name != name for lp in ir.loops(f.body)):
        raise AlloScheduleError(f"{func} has no loop named {name!r}",
                                hint=f"did you mean '{elsewhere[0]}:{name}'?")
    return f, name
