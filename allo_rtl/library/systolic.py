"""``allo.library.systolic``: Allo's output-stationary systolic matrix multiply as template
kernels with Allo's names, template parameters and shapes, written here from the structure of
such an array (a grid of processing elements, each keeping one output, operands flowing right
and down):

* ``PE_kernel[TyA, TyB, TyC, K, Mt, Nt](A_in, B_in, A_out, B_out, C, i, j)``: one processing
  element: ``C[i, j]`` = the dot product of its row operand and its column operand
  (accumulated in ``TyC``), both operands passed on unchanged to its neighbours;
* ``systolic_tile[TyA, TyB, TyC, K, Mt, Nt](A, B, C)``: ``C = A @ B`` for one ``Mt x Nt`` tile
  on an ``Mt x Nt`` grid of PEs;
* ``systolic[TyA, TyB, TyC, M, K, N, Mt, Nt](A, B, C)``: ``C = A @ B`` for any ``M x N``
  (multiples of the tile), tile by tile; inside a kernel Allo names each use with a trailing
  string (``systolic[..., "Q"](X, W, Q)``), which gives it its own instance here too;
* ``schedule_systolic(s)``: the customization Allo applies to a ``systolic`` schedule that
  maps to allo-rtl's primitives (operand and result tiles partitioned, the load, store and
  reduction loops pipelined).

Allo's bit-packed variants (``packed_systolic``, ``packed_int8xint8_systolic``) and the FIFO
conversion of its schedule (``s.to(MockBuffer(...))``) are not here.

Templates use ``@template`` rather than PEP 695 brackets so that the module imports on
Python 3.11 too.
"""
from __future__ import annotations

from .. import dsl
from ..dsl import template
from ..ir.types import index


@template("TyA", "TyB", "TyC", "K", "Mt", "Nt")
def PE_kernel(A_in: "TyA[K]", B_in: "TyB[K]", A_out: "TyA[K]",     # noqa: N802 - Allo's name
              B_out: "TyB[K]", C: "TyC[Mt, Nt]", i: index, j: index):
    # the sum is kept in TyC (Allo's rule: a narrow TyC wraps, as numpy's matmul of that type)
    acc: TyC = 0
    for k in dsl.grid(K, name="reduction"):
        x: TyA = A_in[k]
        y: TyB = B_in[k]
        acc += x * y
        A_out[k] = x            # on to the PE at the right
        B_out[k] = y            # on to the PE below
    C[i, j] = acc


@template("TyA", "TyB", "TyC", "K", "Mt", "Nt")
def systolic_tile(A: "TyA[Mt, K]", B: "TyB[K, Nt]", C: "TyC[Mt, Nt]"):
    # row_link[i, j]: the row operand entering PE (i, j) from the left (j == Nt: leaving the
    # grid); col_link[j, i]: the column operand entering PE (i, j) from above
    row_link: TyA[Mt, Nt + 1, K]
    col_link: TyB[Nt, Mt + 1, K]
    for k in range(K, name="data_load"):
        for r in range(Mt):
            row_link[r, 0, k] = A[r, k]
        for c in range(Nt):
            col_link[c, 0, k] = B[k, c]
    for i, j in dsl.grid(Mt, Nt, name="PE"):
        PE_kernel[TyA, TyB, TyC, K, Mt, Nt](row_link[i, j], col_link[j, i], row_link[i, j + 1],
                                            col_link[j, i + 1], C, i, j)


@template("TyA", "TyB", "TyC", "M", "K", "N", "Mt", "Nt")
def systolic(A: "TyA[M, K]", B: "TyB[K, N]", C: "TyC[M, N]"):
    local_A: TyA[Mt, K]
    local_B: TyB[K, Nt]
    local_C: TyC[Mt, Nt]
    # K is not tiled: it is the time dimension of the array
    for mi, ni in dsl.grid(M // Mt, N // Nt, name="outer_tile"):
        for ak, ai in dsl.grid(K, Mt, name="load_A_tile"):
            local_A[ai, ak] = A[mi * Mt + ai, ak]
        for bk, bj in dsl.grid(K, Nt, name="load_B_tile"):
            local_B[bk, bj] = B[bk, ni * Nt + bj]
        systolic_tile[TyA, TyB, TyC, K, Mt, Nt](local_A, local_B, local_C)
        for sj, si in dsl.grid(Nt, Mt, name="store_C_tile"):
            C[mi * Mt + si, ni * Nt + sj] = local_C[si, sj]


def schedule_systolic(s):
    """Allo's customization of a ``systolic`` schedule, as far as allo-rtl's primitives go:
    the tiles partitioned along the dimension the PEs share, the tile load/store loops and
    the PEs' reduction pipelined."""
    if s.top_func_name != "systolic":
        raise ValueError(f"schedule_systolic applies to a schedule of systolic, not of "
                         f"{s.top_func_name}")
    s.partition(s.local_C, dim=0)
    s.partition(s.local_A, dim=1)
    s.partition(s.local_B, dim=2)
    band = s.get_loops(s.top_func_name)["outer_tile"]
    for axis in ("ak", "bk", "sj"):
        s.pipeline(band[axis])
    s.pipeline(s.get_loops("PE_kernel")["reduction"]["k"])
    return s


__all__ = ["PE_kernel", "systolic_tile", "systolic", "schedule_systolic"]
