"""``unfold(band, axes)``: turn the spatial loops of a band into an array of processing
elements (PEs), as Allo's ``unfold`` for systolic arrays.

The loops at positions ``axes`` of the band (0 = outermost) are fully unrolled; every kernel
called inside becomes one kernel per PE, ``<kernel>_<i>[_<j>...]`` (indices of the unrolled
iterations, outer first), so each PE is its own hardware instance. Loops not listed stay
loops (time). Copies run in program order: this primitive makes the PEs, not their overlap.
"""
from __future__ import annotations

import copy

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from .handles import LoopBand, LoopNests
from .rewrite import clone_body, const, const_bounds, find_loop

MAX_PES = 1024


def _calls(body: list) -> list:
    return [s for s in ir.walk_stmts(body) if isinstance(s, ir.Call)]


def unfold(module: ir.Module, f: ir.Function, band_name: str, axes) -> list:
    band = LoopNests(f)[band_name]
    if not isinstance(band, LoopBand):
        raise AlloScheduleError(f"unfold: {band_name!r} is a loop, not a band",
                                hint="name the band: allo.grid(..., name='PE') or S_i_j_0")
    names = band._loops
    if isinstance(axes, int):
        axes = [axes]
    axes = list(axes)
    if not axes or len(set(axes)) != len(axes) or not all(
            isinstance(a, int) and not isinstance(a, bool) and 0 <= a < len(names) for a in axes):
        raise AlloScheduleError(f"unfold({band_name!r}): axes must be distinct positions "
                                f"0..{len(names) - 1} of the band's loops ({', '.join(names)}), "
                                f"got {axes!r}")
    spatial = [names[a] for a in sorted(axes)]
    total = 1
    for name in spatial:
        loop, _, _ = find_loop(f, name)
        total *= const_bounds(loop, f"unfold({band_name!r})")[2]
    if total > MAX_PES:
        raise AlloScheduleError(f"unfold({band_name!r}): {total} PEs (limit {MAX_PES})",
                                find_loop(f, spatial[0])[0].loc)
    tags = {}                                   # id(call) -> PE indices, outer first
    for name in reversed(spatial):              # inner first: outer loops keep their names
        loop, body, k = find_loop(f, name)
        lo, _, trips = const_bounds(loop, f"unfold({band_name!r})")
        copies = []
        for t in range(trips):
            new = clone_body(loop.body, {id(loop.var): const(lo + t * loop.step, loop.loc)},
                             f"_u{t}" if t else "")
            for old_call, new_call in zip(_calls(loop.body), _calls(new)):
                tags[id(new_call)] = [t, *tags.get(id(old_call), [])]
            copies += new
        body[k:k + 1] = copies
    return _instantiate_pes(module, f, tags)


def _instantiate_pes(module: ir.Module, f: ir.Function, tags: dict) -> list:
    """One copy of the callee per PE, placed before ``f`` (callees come first)."""
    clones = {}
    for call in _calls(f.body):
        if id(call) not in tags:
            continue
        name = f"{call.callee.name}_{'_'.join(map(str, tags[id(call)]))}"
        if name in module.functions or name in clones:
            raise AlloScheduleError(f"unfold: a kernel named {name} already exists", call.loc)
        memo = {id(g): g for g in module.functions.values() if g is not call.callee}
        pe = copy.deepcopy(call.callee, memo)
        pe.name = name
        clones[name] = pe
        call.callee = pe
    if clones:
        ordered = {}
        for name, g in module.functions.items():
            if g is f:
                ordered.update(clones)
            ordered[name] = g
        module.functions.clear()
        module.functions.update(ordered)
        for name in list(module.functions):     # a kernel no call reaches any more goes
            g = module.functions[name]
            if name != module.top and name not in clones and not any(
                    c.callee is g for h in module.functions.values() for c in _calls(h.body)):
                del module.functions[name]
    return list(clones)
