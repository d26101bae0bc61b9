"""The schedule checker catches deliberately broken schedules: one case per constraint kind.
Each test first checks that the scheduler's own schedule passes, then breaks one constraint by
hand and expects the checker to name that kind."""
import copy

import pytest

import allo_rtl as allo
from allo_rtl.hls.cdfg import Block, LoopRegion, build_cdfg
from allo_rtl.hls.check import ScheduleError, check_block, check_modulo
from allo_rtl.hls.modulo import modulo_schedule
from allo_rtl.hls.printer import format_block_schedule, format_cdfg, format_modulo_schedule
from allo_rtl.hls.sdc import sdc_schedule_block
from allo_rtl.hls.timing import TimingModel
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import int32


def _external(f):
    return {id(b) for b in [*f.params, *f.results] if isinstance(b, ir.Buffer)}


def _block(fn, clock_ns=None):
    f = allo.customize(fn).top
    (block,) = [r for r in build_cdfg(f).body if isinstance(r, Block)]
    timing = TimingModel("generic", clock_ns)
    sch = sdc_schedule_block(block, timing, _external(f))
    check_block(sch, timing)                       # the scheduler's own result passes
    return block, copy.copy(sch), timing


def _pipeline(fn, loop_index=-1):
    f = allo.customize(fn).top
    loop = [r for r in build_cdfg(f).body if isinstance(r, LoopRegion)][loop_index]
    timing = TimingModel("generic")
    sch = modulo_schedule(loop.body[0], [loop.loop], [loop.static_trips],
                          timing, _external(f), 1)
    check_modulo(sch, timing)
    return loop.body[0], sch, timing


def _op(block, opcode, k=0):
    return [o for o in block.ops if o.opcode == opcode][k]


def _move(sch, op, cycle):
    sch.start = dict(sch.start)
    sch.ready = dict(sch.ready)
    lat = sch.ready[op] - sch.start[op]
    sch.start[op], sch.ready[op] = cycle, cycle + lat


def two_reads(A: int32[4], B: int32[4]):
    B[0] = A[0] + A[1]


def test_dependence_broken():
    block, sch, timing = _block(two_reads)
    _move(sch, _op(block, "add"), 0)               # before the loads' data arrive
    with pytest.raises(ScheduleError, match=r"\(dependence\)"):
        check_block(sch, timing)


def test_port_capacity_broken():
    block, sch, timing = _block(two_reads)
    first, second = _op(block, "load", 0), _op(block, "load", 1)
    _move(sch, second, sch.start[first])           # A has one shared port
    with pytest.raises(ScheduleError, match=r"\(resource\).*A's port"):
        check_block(sch, timing)


def read_after_write(A: int32[4], i: int32) -> int32:
    A[i] = 1
    return A[2]


def test_memory_order_broken():
    block, sch, timing = _block(read_after_write)
    store = _op(block, "store", 0)
    load = _op(block, "load", 0)
    assert sch.start[load] > sch.start[store]
    _move(sch, load, sch.start[store])             # the load could miss the store
    with pytest.raises(ScheduleError, match=r"\(memory-order\)"):
        check_block(sch, timing)


def long_chain(x: int32, y: int32) -> int32:
    return x + y + x + y


def test_chaining_past_the_clock_broken():
    block, sch, timing = _block(long_chain, clock_ns=3.5)   # one adder per cycle
    for add in [o for o in block.ops if o.opcode == "add"]:
        _move(sch, add, 0)
    with pytest.raises(ScheduleError, match=r"\(chaining\)"):
        check_block(sch, timing)


def sums(x: int32, y: int32) -> int32:
    z: int32 = x + y
    return z * y


def test_commit_and_length_broken():
    block, sch, timing = _block(sums, clock_ns=4.0)
    assert sch.length > 1
    setvar = next(o for o in block.ops if o.info.writes_var)
    broken = copy.copy(sch)
    _move(broken, setvar, 0)
    with pytest.raises(ScheduleError, match=r"\(commit\)"):
        check_block(broken, timing)
    short = copy.copy(sch)
    short.length = 1
    with pytest.raises(ScheduleError, match=r"\((length|commit)\)"):
        check_block(short, timing)


def copy_loop(A: int32[8], B: int32[8]):
    for i in range(8):
        B[i] = A[i] + 1


def test_index_position_broken():
    block, sch, timing = _pipeline(copy_loop)
    (idx,) = sch.index_ops
    _move(sch, idx, 1)
    with pytest.raises(ScheduleError, match=r"\((index|dependence)\)"):
        check_modulo(sch, timing)


def port_pair(A: int32[8], B: int32[8]):
    for i in range(4):
        B[i] = A[2 * i] + A[2 * i + 1]


def test_modulo_slot_broken():
    block, sch, timing = _pipeline(port_pair)
    assert sch.ii == 2
    sch.ii = 1                                     # two accesses of A in one slot
    with pytest.raises(ScheduleError, match=r"\(resource\)"):
        check_modulo(sch, timing)


def accumulate(A: int32[8]) -> int32:
    v: int32 = 0
    for i in range(8):
        v += A[i] * 3
    return v


def test_variable_recurrence_broken():
    block, sch, timing = _pipeline(accumulate)
    (wr,) = [o for o in block.ops if o.info.writes_var]
    _move(sch, wr, sch.start[wr] + 1)              # the next iteration reads too early
    sch.depth += 1
    with pytest.raises(ScheduleError, match=r"\(recurrence\)"):
        check_modulo(sch, timing)


def local_prefix(A: int32[8]) -> int32:
    T: int32[8] = 0
    for i in range(1, 8):
        T[i] = T[i - 1] + A[i]
    return T[7]


def test_memory_recurrence_broken():
    block, sch, timing = _pipeline(local_prefix)
    assert sch.ii == 2 and sch.mem_deps
    sch.ii = 1                                     # T[i-1] read before T[i-1] is stored
    with pytest.raises(ScheduleError, match=r"\(memory-recurrence\)"):
        check_modulo(sch, timing)


def test_printers_show_ops_cycles_and_why():
    f = allo.customize(local_prefix).top
    text = format_cdfg(build_cdfg(f))
    assert "loop i @" in text and "load T[" in text and "store T[" in text
    block, sch, timing = _block(two_reads)
    out = format_block_schedule(sch)
    assert out.splitlines()[0] == f"block: {sch.length} cycle(s)"
    assert out.count("load A[") == 2
    block, msch, timing = _pipeline(local_prefix)
    text = format_modulo_schedule(msch)
    assert "II 2" in text and "recurrence through T" in text and "distance 1" in text


def gemm(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i, j, k in allo.grid(4, 4, 4):
        C[i, j] += A[i, k] * B[k, j]
    return C


def test_dump_from_build(tmp_path, capsys):
    s = allo.customize(gemm)
    s.pipeline("k")
    mod = s.build(dump=True)
    printed = capsys.readouterr().out
    assert printed.strip() == mod.design.dump()
    assert printed.startswith("cdfg gemm:")
    assert "pipeline k (nest i, j, k): II" in printed and "mul v" in printed
    assert "control gemm:" in printed and " idle [idle]" in printed
    s.build(dump=str(tmp_path / "d.txt"))
    assert (tmp_path / "d.txt").read_text().strip() == printed.strip()
    with pytest.raises(allo.AlloError, match="no function named 'nope'"):
        mod.design.dump("nope")


def test_infeasible_block_is_explained_with_the_conflicting_constraints():
    # A has one shared port: the two loads need two cycles and the add/store chain a third
    # (4 ns clock), so a bound one cycle below the minimum cannot hold; the error names the
    # bound and the port
    f = allo.customize(two_reads).top
    (block,) = [r for r in build_cdfg(f).body if isinstance(r, Block)]
    timing = TimingModel("generic", 4.0)
    sch = sdc_schedule_block(block, timing, _external(f), max_latency=10)
    check_block(sch, timing)                       # a loose bound still schedules
    assert sch.length >= 3
    tight = sch.length - 1                         # one cycle short of the minimum
    with pytest.raises(allo.AlloError, match=rf"within {tight} cycle\(s\): .*share one port"
                       ) as info:
        sdc_schedule_block(block, timing, _external(f), max_latency=tight)
    assert info.value.loc.line == _here_line("B[0] = A[0] + A[1]")


def _here_line(text):
    with open(__file__) as f:
        return next(n for n, line in enumerate(f, 1) if text in line)
