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


def access_distance(x: Op, y: Op, addr_of: dict, nest: Nest, phases: dict) -> int | None:
    """``min_distance`` of two accesses, knowing their phases (``phases.dependence_phases``):
    a phased access counts only in iterations whose innermost index has its phase's value,
    which is one more subscript equation. Two phased accesses meet only in iterations whose
    innermost indices differ by the difference of their phases; a phased store and an
    unphased load (a run-time bank: the store goes to one bank, every bank is read and a
    select keeps one) meet only in the store's iterations."""
    ax, ay = addr_of.get(x), addr_of.get(y)
    px, py = phases.get(x), phases.get(y)
    if ax is None or ay is None or (px is None and py is None) or \
            (px is not None and py is not None and px.level != py.level):
        return min_distance(ax, ay, nest)
    loop = nest.loops[(px or py).level]
    lo, step = int(loop.lo.value), loop.step
    k = Affine.of(loop.var)

    def at_phase(p):        # zero exactly in the iterations of phase p (0 everywhere: none)
        return Affine((), 0) if p is None else k.plus(Affine((), -(lo + p.residue * step)))
    found = dependence([ax, at_phase(px)], [ay, at_phase(py)], nest)
    return None if found is None else found.forward
