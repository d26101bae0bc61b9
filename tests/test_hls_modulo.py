"""Modulo scheduler and dependence distances on small loops with hand-derived answers
(generic timing: memory reads take one cycle, adds chain within a 10 ns clock)."""
import pytest

import allo_rtl as allo
from allo_rtl.hls.cdfg import Block, LoopRegion, build_cdfg
from allo_rtl.hls.deps import min_distance
from allo_rtl.hls.modulo import NotPipelinable, modulo_schedule
from allo_rtl.hls.timing import TimingModel
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.affine import Affine
from allo_rtl.ir.dependence import Nest
from allo_rtl.ir.types import index, int32


def _nest(fn, clock_ns=None):
    """The innermost loop nest of ``fn`` (perfect, constant bounds) scheduled at II >= 1."""
    f = allo.customize(fn).top
    regions, nest = build_cdfg(f).body, []
    while True:
        loop = next(r for r in regions if isinstance(r, LoopRegion))
        nest.append(loop)
        if isinstance(loop.body[0], Block):
            break
        regions = loop.body
    ext = {id(b) for b in [*f.params, *f.results] if isinstance(b, ir.Buffer)}
    return (loop.body[0], [r.loop for r in nest],
            [r.static_trips for r in nest], TimingModel("generic", clock_ns), ext)


def _ops(block, kind):
    return [o for o in block.ops if o.opcode == kind]


def copy(A: int32[8], B: int32[8]):
    for i in range(8):
        B[i] = A[i] + 1


def test_independent_iterations_reach_ii_1():
    block, *rest = _nest(copy)
    sch = modulo_schedule(block, *rest, 1)
    # load at 0, data at 1, add and store chained at 1: two positions
    assert (sch.ii, sch.depth) == (1, 2)
    assert sch.latency == 7 * 1 + 2


def two_reads(A: int32[8], B: int32[8]):
    for i in range(4):
        B[i] = A[2 * i] + A[2 * i + 1]


def test_port_limited_loop_gets_resmii_and_names_the_array():
    block, *rest = _nest(two_reads)
    sch = modulo_schedule(block, *rest, 1)
    assert (sch.res_mii, sch.ii) == (2, 2)
    loads = _ops(block, "load")
    assert {sch.start[ld] % 2 for ld in loads} == {0, 1}      # different modulo slots
    assert "A has 1 shared read/write port, 2 reads" not in sch.limit   # external: accesses
    assert "A has 1 shared read/write port, 2 accesses/iteration" in sch.limit


def prefix(A: int32[8]):
    for i in range(1, 8):
        A[i] = A[i - 1] + A[i]


def test_memory_recurrence_distance_1_forces_ii_2():
    # store A[i] (position 1) must be visible to the load of A[i-1] one iteration later:
    # s_load + II >= s_store + 1 with the load at 0 and the store at 1, and the 2 loads + 1
    # store share A's single port -> II = 3 (ResMII) beats the recurrence bound 2.
    block, *rest = _nest(prefix)
    sch = modulo_schedule(block, *rest, 1)
    assert sch.res_mii == 3 and sch.ii == 3


def local_prefix(A: int32[8]) -> int32:
    T: int32[8] = 0
    for i in range(1, 8):
        T[i] = T[i - 1] + A[i]
    return T[7]


def test_recurrence_through_on_chip_memory():
    # T is on chip: 1 read + 1 write port, so only the recurrence limits: the load of T[i-1]
    # at position 0 returns at 1, the add chains, the store is at 1; the next load must be at
    # >= 2 -> II = 2
    f = allo.customize(local_prefix).top
    loop = [r for r in build_cdfg(f).body if isinstance(r, LoopRegion)][-1]
    ext = {id(b) for b in [*f.params, *f.results] if isinstance(b, ir.Buffer)}
    sch = modulo_schedule(loop.body[0], [loop.loop], [7], TimingModel("generic"), ext, 1)
    assert sch.ii == 2
    assert "recurrence through T" in sch.limit and "line" in sch.limit


def accumulate(A: int32[8]) -> int32:
    v: int32 = 0
    for i in range(8):
        v += A[i]
    return v


def test_register_recurrence_allows_ii_1():
    block, *rest = _nest(accumulate)
    sch = modulo_schedule(block, *rest, 1)
    assert sch.ii == 1
    (rd,) = sch.carried_reads
    (wr,) = _ops(block, "setvar")
    assert sch.start[wr] == sch.start[rd]       # read and write in one position


def chained(A: int32[8], x: int32) -> int32:
    v: int32 = 0
    for i in range(8):
        v = v * x + A[i]
    return v


def test_register_recurrence_longer_than_the_clock_limits_ii():
    # at an 8 ns clock the multiply (5.2 ns in the generic data) and the add (3.4) cannot chain in
    # one cycle: the recurrence v -> mul -> add -> v spans two positions -> II = 2
    block, *rest = _nest(chained, clock_ns=8.0)
    tm = rest[2]
    mul = next(o for o in block.ops if o.opcode == "mul")
    add = next(o for o in block.ops if o.opcode == "add")
    assert tm.of(mul).delay_ns + tm.of(add).delay_ns > 8.0 - 0.3
    sch = modulo_schedule(block, *rest, 1)
    assert sch.ii == 2 and "recurrence through variable v" in sch.limit


def test_requested_ii_is_kept_when_larger():
    block, *rest = _nest(copy)
    assert modulo_schedule(block, *rest, 3).ii == 3


def divides(A: int32[8], B: int32[8]):
    for i in range(8):
        B[i] = A[i] // A[7 - i]      # by a variable: the iterative divider (by a constant
                                     # it would be a multiplication, which pipelines)


def test_divisions_are_not_pipelined():
    block, *rest = _nest(divides)
    with pytest.raises(NotPipelinable, match="division at line"):
        modulo_schedule(block, *rest, 1)


class _Loop:
    def __init__(self, var):
        self.var, self.step = var, 1


def _form(*terms, const=0):
    return Affine(tuple(terms), const)


def test_distances_in_a_flattened_nest():
    i, j, k = (ir.Scalar(n, index) for n in "ijk")
    nest = Nest([_Loop(i), _Loop(j), _Loop(k)], [8, 8, 8])
    c_ij = _form((i, 8), (j, 1))               # C[i, j] in loops (i, j, k): reused every k
    assert min_distance(c_ij, c_ij, nest) == 1
    c_ij_ikj = _form((i, 8), (k, 1))           # C[i, j] in loops (i, k, j): reused after 8
    assert min_distance(c_ij_ikj, c_ij_ikj, nest) == 8
    one = Nest([_Loop(i)], [8])
    assert min_distance(_form((i, 1)), _form((i, 1), const=-1), one) == 1   # A[i] -> A[i-1]
    assert min_distance(_form((i, 1), const=-1), _form((i, 1)), one) is None
    assert min_distance(_form((i, 2)), _form((i, 2), const=1), one) is None  # even vs odd
    assert min_distance(None, _form((i, 1)), one) == 1                      # unknown: safe
