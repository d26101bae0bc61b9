"""Allo's loop handles: ``s.get_loops()`` gives bands (top-level loop nests, named by
``allo.grid(..., name=...)`` or ``S_<indices>_<k>``) whose loops are reached by attribute or
item (``loops.S_i_j_0.j``, ``loops.B["i.outer"]``); primitives take a handle, a loop name
``"j"`` or ``"fn:j"``."""
from __future__ import annotations

from ..errors import AlloScheduleError
from ..ir import nodes as ir


class LoopHandle:
    def __init__(self, func: str, name: str):
        self.func, self.name = func, name

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"LoopHandle({self.func}:{self.name})"


class LoopBand:
    def __init__(self, func: str, name: str, loops: list):
        self._func, self._name, self._loops = func, name, loops

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name):
        if name in self._loops:
            return LoopHandle(self._func, name)
        raise AlloScheduleError(f"band {self._name} has no loop {name!r}",
                                hint=f"its loops: {', '.join(self._loops)}")

    def __iter__(self):
        return (LoopHandle(self._func, n) for n in self._loops)

    def __repr__(self):
        return f"{self._name}: {', '.join(self._loops)}"


class LoopNests:
    """The bands of one function, in program order."""

    def __init__(self, f: ir.Function):
        self._func = f.name
        self._bands = {}
        count = 0
        for s in f.body:
            if not isinstance(s, ir.For) or s.attrs.get("implicit"):
                continue          # loops the frontend made for whole-array operations
            chain, cur = [], s
            while True:
                chain.append(cur.name)
                inner = [x for x in cur.body if isinstance(x, ir.For)]
                if len(cur.body) != 1 or len(inner) != 1:
                    break
                cur = inner[0]
            name = s.attrs.get("band") or f"S_{'_'.join(chain)}_{count}"
            count += 1
            self._bands[name] = LoopBand(f.name, name, [lp.name for lp in ir.loops([s])])

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name):
        if name in self._bands:
            return self._bands[name]
        for band in self._bands.values():       # a loop name directly, as a convenience
            if name in band._loops:
                return LoopHandle(self._func, name)
        raise AlloScheduleError(f"{self._func} has no loop band {name!r}",
                                hint=f"bands: {', '.join(self._bands) or 'none'}")

    def __iter__(self):
        return iter(self._bands.values())

    def __len__(self):
        return len(self._bands)

    def __repr__(self):
        return "\n".join(repr(b) for b in self._bands.values())


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
    return module.functions[func], name
