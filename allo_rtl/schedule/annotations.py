"""Schedule annotations applied when a kernel is built, not when the primitive is called.

Allo's ``s.unroll(loop, factor)`` is a hint on the loop: the loop keeps its handle, so later
primitives can still name it (``s.unroll("k"); s.pipeline("k")``, ``s.fuse(...);
s.unroll("i_j_fused"); s.parallel("i_j_fused")``), and ``print(s)`` shows ``unroll=F`` on it.
The primitive checks what it can at the user's call (the loop exists, the factor, constant
bounds for a full unroll); ``apply_annotations`` rewrites a copy of the module for a build.

Assumes: a verified module. Guarantees: a verified module without ``unroll`` attributes, the
schedule's own module untouched. Loops are unrolled innermost first, so an outer unroll copies
bodies whose inner unrolls are already done (the result equals unrolling in any order).
"""
from __future__ import annotations

import copy

from ..ir import nodes as ir
from ..ir.verifier import verify_module
from . import loops as loop_primitives

UNROLL = "unroll"


def pending(module: ir.Module) -> bool:
    """True when some loop carries an annotation that a build must apply."""
    return any(UNROLL in lp.attrs for f in module.functions.values() for lp in ir.loops(f.body))


def apply_annotations(module: ir.Module) -> ir.Module:
    """A copy of ``module`` with every ``unroll`` annotation applied (or ``module`` itself
    when there is none)."""
    if not pending(module):
        return module
    module = copy.deepcopy(module)
    for f in module.functions.values():
        # reversed pre-order: every loop after all loops nested in it
        for lp in reversed(list(ir.loops(f.body))):
            if UNROLL in lp.attrs:
                loop_primitives.unroll(f, lp.name, lp.attrs.pop(UNROLL))
    verify_module(module)
    return module
