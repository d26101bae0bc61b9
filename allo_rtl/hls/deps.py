"""Loop-carried memory dependences of a pipelined block, for the modulo scheduler.

The CDFG builder gives every address op its address as the IR spells it
(``op.affine``, an ``ir.affine.IndexedAddress``); its affine form over IR scalars is
taken with the nest's loop bounds and steps known (so ``j >> 2`` for j stepping by 4 stays
affine), and a constant address is its value. The
smallest *flattened* distance (iterations of the whole nest in issue order) at which two
accesses meet comes from the dependence engine schedule legality uses too
(``ir.dependence.dependence``), so both stages see the same dependences in one loop. Anything not
provably affine gets the conservative distance 1 ("may depend on the next iteration").
"""
from __future__ import annotations

from ..ir.affine import Affine
from ..ir.dependence import Nest, dependence
from .cdfg import Op
from .phases import phase_of


def address_form(addr: Op, written: set, nest: Nest) -> Affine | None:
    """The affine form of a load's or store's address op in ``nest``; None when it is not
    affine or uses a scalar the block writes (``written``: ids), whose value differs between
    iterations."""
    if addr.info.is_const:
        return Affine((), int(addr.value))
    form = addr.affine.form(nest.lattice)
    if form is None or any(id(v) in written for v in form.vars):
        return None
    return form


def min_distance(x_addr: Affine | None, y_addr: Affine | None, nest: Nest) -> int | None:
    """Smallest flattened distance d >= 1 such that access x in iteration n and access y in
    iteration n + d touch the same word; None when they never do. Unknown -> 1."""
    found = dependence([x_addr], [y_addr], nest)
    return None if found is None else found.forward


def access_distance(x: Op, y: Op, addr_of: dict, nest: Nest, index_ops: dict) -> int | None:
    """``min_distance`` of two accesses, knowing their predicates: two phased accesses
    (``phases.py``) meet only in iterations whose innermost index differs by the difference
    of their phases, which is one more subscript equation."""
    ax, ay = addr_of.get(x), addr_of.get(y)
    px, py = phase_of(x, index_ops, nest), phase_of(y, index_ops, nest)
    if px is None or py is None or px.level != py.level or ax is None or ay is None:
        return min_distance(ax, ay, nest)
    loop = nest.loops[px.level]
    lo, step = int(loop.lo.value), loop.step
    k = Affine.of(loop.var)
    kx = k.plus(Affine((), -(lo + px.residue * step)))
    ky = k.plus(Affine((), -(lo + py.residue * step)))
    found = dependence([ax, kx], [ay, ky], nest)
    return None if found is None else found.forward
