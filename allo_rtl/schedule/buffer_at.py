"""``buffer_at(target, axis)``: work on a slice of ``target`` in an on-chip buffer during each
iteration of loop ``axis`` (Allo's write buffer).

Inside one iteration, the index dimensions of ``target`` that do not change (they use only the
loop's own index and outer values) select the slice; every access must select the same one.
The buffer holds the remaining dimensions in full. Each iteration copies the slice in, runs
the body on the buffer, and copies it back: correct for any body (the slice's old values are
kept where the body does not write). The buffer is a local array (an on-chip memory with a
read and a write port), so a read-modify-write such as ``C[i, j] += ...`` on an argument array
no longer shares the argument's single port.
"""
from __future__ import annotations

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from ..ir.types import ArrayType
from .rewrite import clone_expr, find_loop
from .slices import Namer, accesses_in, copy_nest, same_expr, uses, varying_ids


def slice_dims(loop: ir.For, target: ir.Buffer, accesses: list, primitive: str) -> list:
    """Per dimension: the fixed index expression of the slice, or None (kept in full)."""
    varying = varying_ids(loop)
    first = accesses[0]
    dims = []
    for d in range(len(target.shape)):
        fixed = [a for a in accesses if not uses(a.indices[d], varying)]
        if not fixed:
            dims.append(None)
            continue
        odd = next((a for a in accesses if a not in fixed or
                    not same_expr(a.indices[d], first.indices[d])), None)
        if odd is not None:
            raise AlloScheduleError(
                f"{primitive}: the accesses of {target.name} inside loop {loop.name!r} use "
                f"different slices in dimension {d + 1}", odd.loc,
                hint=f"every access must index dimension {d + 1} the same way, with values "
                     "that do not change within one iteration, or use an outer loop")
        dims.append(first.indices[d])
    return dims


def buffer_at(f: ir.Function, target: ir.Buffer, axis: str) -> ir.Buffer:
    loop, _, _ = find_loop(f, axis)
    primitive = f"buffer_at({target.name}, {axis!r})"
    accesses = accesses_in(loop.body, target, primitive)
    if not accesses:
        raise AlloScheduleError(f"{primitive}: {target.name} is not used inside loop {axis!r}",
                                loop.loc)
    dims = slice_dims(loop, target, accesses, primitive)
    kept = [d for d, e in enumerate(dims) if e is None]
    names = Namer(f)
    buf = ir.Buffer(names.var(f"{target.name}_buf"),
                    ArrayType(target.dtype, tuple(target.shape[d] for d in kept) or (1,)),
                    "local", loop.loc)
    f.locals.append(buf)

    def in_buffer(indices):        # the buffer's indices of a target access
        return [indices[d] for d in kept] or [ir.Const(ir.INDEX, loop.loc, 0)]

    def in_target(refs):           # the target's indices of buffer element ``refs``
        it = iter(refs)
        return [clone_expr(e, {}) if e is not None else next(it) for e in dims]

    for a in accesses:
        a.node.buf, a.node.indices = buf, in_buffer(a.node.indices)
    loc = loop.loc
    extents = [target.shape[d] for d in kept]
    copy_in = copy_nest(names, f"{buf.name}_in", extents, lambda r: [ir.Store(
        loc, buf, r or [ir.Const(ir.INDEX, loc, 0)],
        ir.Load(target.dtype, loc, target, in_target(r)))], loc)
    copy_out = copy_nest(names, f"{buf.name}_out", extents, lambda r: [ir.Store(
        loc, target, in_target(r),
        ir.Load(target.dtype, loc, buf, r or [ir.Const(ir.INDEX, loc, 0)]))], loc)
    loop.body = copy_in + loop.body + copy_out
    return buf
