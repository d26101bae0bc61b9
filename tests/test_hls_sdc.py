"""SDC scheduler on small blocks with hand-derived optimal schedules (generic timing)."""
import allo_rtl as allo
from allo_rtl.hls.bind import Binding, bind_registers
from allo_rtl.hls.cdfg import Block, build_cdfg
from allo_rtl.hls.list_schedule import schedule_block
from allo_rtl.hls.sdc import sdc_schedule_block
from allo_rtl.hls.timing import TimingModel
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import int16, int32


def _block(fn):
    f = allo.customize(fn).top
    block = next(r for r in build_cdfg(f).body if isinstance(r, Block))
    ext = {id(b) for b in [*f.params, *f.results] if isinstance(b, ir.Buffer)}
    return block, ext


def _ops(block, kind, op=None):
    return [o for o in block.ops if (o.opcode == kind if op is None else o.info.symbol == op)]


def two_reads_one_port(A: int32[4], B: int32[4]):
    B[0] = A[0] + A[1]


def test_port_limited_block_is_latency_optimal():
    block, ext = _block(two_reads_one_port)
    sch = sdc_schedule_block(block, TimingModel("generic"), ext)
    assert sorted(sch.start[o] for o in _ops(block, "load")) == [0, 1]
    assert sch.start[_ops(block, "store")[0]] == 2 and sch.length == 3


def late_product(A: int32[4], B: int32[4], a: int16, b: int16):
    B[0] = A[0] + A[1] + a * b     # a*b only depends on registers: any cycle will do


def test_values_are_computed_late_to_save_registers():
    block, ext = _block(late_product)
    tm = TimingModel("generic")
    (mul,) = _ops(block, "binop", "*")
    asap = schedule_block(block, tm, ext)
    sdc = sdc_schedule_block(block, tm, ext)
    assert sdc.length == asap.length == 3
    assert asap.start[mul] == 0 and mul in asap.registered      # ASAP keeps it 2 cycles
    assert sdc.start[mul] == 2 and mul not in sdc.registered     # SDC chains it at the use
    bits = lambda s: bind_registers([(s, ())], Binding()).register_bits   # noqa: E731
    assert bits(sdc) < bits(asap)


def long_chain(x: int32, y: int32) -> int32:
    return x + y + x + y


def test_timing_constraints_cut_chains_longer_than_the_clock():
    block, ext = _block(long_chain)
    adds = _ops(block, "binop", "+")
    fast = sdc_schedule_block(block, TimingModel("generic", 100.0), ext)
    assert {fast.start[a] for a in adds} == {0}
    slow = sdc_schedule_block(block, TimingModel("generic", 3.5), ext)
    assert sorted(slow.start[a] for a in adds) == [0, 1, 2]     # one adder per 3.5 ns cycle


def store_then_load(A: int32[4], i: int32, j: int32):
    A[i] = 1
    A[1] = A[j] + 1             # j may equal i: the load must follow the store


def test_memory_order_is_kept():
    block, ext = _block(store_then_load)
    sch = sdc_schedule_block(block, TimingModel("generic"), ext)
    st0, st1 = _ops(block, "store")
    (ld,) = _ops(block, "load")
    assert sch.start[st0] < sch.start[ld] < sch.start[st1]
