"""Allo's old-style stream primitives: ``s.to(s.B, "C", depth=...)`` (array B, written by one
loop nest or kernel, read by the one named ``dst``, becomes a FIFO between them) and
``s.dataflow("fn" | loop)`` (the stages inside run concurrently).

Both are recorded on the buffer or loop (``Buffer.stream_to``, ``For.attrs["dataflow"]``,
``Function`` attribute ``dataflow``), checked for what they name, and change nothing the
interpreter computes: a FIFO that replaces an array carries the same values in the same order
as the array did when the producer writes each element once in the consumer's read order,
and concurrent stages compute what sequential ones do. The hardware build reads the records.
"""
from __future__ import annotations

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from .handles import call_site, resolve
from .partition import find_buffer


def _consumer_names(module, f) -> set:
    """Names ``dst`` may take: loops and bands of ``f``, and kernels ``f`` calls."""
    from .handles import band_tops
    names = {lp.name for lp in ir.loops(f.body)}
    names |= {lp.attrs["band"] for lp in ir.loops(f.body) if lp.attrs.get("band")}
    names |= {s.callee.name for s in ir.walk_stmts(f.body) if isinstance(s, ir.Call)}
    for name, aliases, _top in band_tops(f):
        names |= {name, *aliases}
    return names


def to(module, target, dst, depth=None):
    f, buf = find_buffer(module, target)
    dst_name = dst.name if hasattr(dst, "name") else str(dst).rpartition(":")[2]
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or
                              depth < 1):
        raise AlloScheduleError(f"to(): depth must be a positive integer, not {depth!r}")
    known = _consumer_names(module, f)
    if dst_name not in known and dst_name not in module.functions:
        raise AlloScheduleError(f"to(): {f.name} has no loop, band or called kernel named "
                                f"{dst_name!r} to stream {buf.name} to",
                                hint=f"names in {f.name}: {', '.join(sorted(map(str, known)))}")
    streams = buf.__dict__.setdefault("stream_to", [])
    streams.append((dst_name, depth))
    # where the user asked: the hardware build's refusals of this stream point here
    buf.__dict__.setdefault("stream_to_locs", []).append(call_site())
    return buf


def dataflow(module, axis):
    """Mark a kernel (``"fn"``) or a loop (a handle or ``"fn:loop"``) as a dataflow region."""
    text = axis if isinstance(axis, str) else None
    if text is not None and ":" not in text and text in module.functions:
        module.functions[text].__dict__["dataflow"] = True
        return
    f, name = resolve(module, axis, module.top)
    loops = [lp for lp in ir.loops(f.body) if lp.name == name or lp.attrs.get("band") == name]
    if not loops:
        raise AlloScheduleError(f"dataflow(): {f.name} has no kernel or loop named {name!r}",
                                hint=f"kernels: {', '.join(module.functions)}")
    loops[0].attrs["dataflow"] = True
