"""List scheduler on small blocks with hand-derived schedules (generic timing model)."""
from allo_rtl import customize
from allo_rtl.hls.cdfg import Block, build_cdfg
from allo_rtl.hls.list_schedule import schedule_block
from allo_rtl.hls.timing import TimingModel
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import int32


def _only_block(fn, clock_ns=None):
    f = customize(fn).top
    block = next(r for r in build_cdfg(f).body if isinstance(r, Block))
    ext = {id(b) for b in [*f.params, *f.results] if isinstance(b, ir.Buffer)}
    return block, schedule_block(block, TimingModel("generic", clock_ns), ext)


def _ops(block, kind):
    return [op for op in block.ops if op.opcode == kind]


def two_reads_one_port(A: int32[4], B: int32[4]):
    B[0] = A[0] + A[1]


def test_single_port_serializes_reads_and_chains_add_into_store():
    block, sch = _only_block(two_reads_one_port)
    loads = _ops(block, "load")
    assert [sch.start[op] for op in loads] == [0, 1]       # one access per cycle on port A
    assert [sch.ready[op] for op in loads] == [1, 2]       # read latency 1
    (add,) = _ops(block, "add")
    (store,) = _ops(block, "store")
    assert sch.start[add] == 2 and sch.start[store] == 2   # add chained into the store
    assert sch.length == 3
    assert loads[0] in sch.registered                      # first word is kept one cycle
    assert loads[1] not in sch.registered


def reads_two_arrays(A: int32[4], B: int32[4], C: int32[4]):
    C[0] = A[0] * B[0]


def test_different_arrays_read_in_the_same_cycle():
    block, sch = _only_block(reads_two_arrays)
    assert [sch.start[op] for op in _ops(block, "load")] == [0, 0]
    assert sch.length == 2


def read_after_write(A: int32[4], i: int32, j: int32):
    A[i] = 1
    A[1] = A[j] + 1             # j may equal i: the load must see the store


def test_load_after_store_waits_a_cycle():
    block, sch = _only_block(read_after_write)
    st0, st1 = _ops(block, "store")
    (ld,) = _ops(block, "load")
    assert sch.start[st0] == 0
    assert sch.start[ld] == 1                   # sees the stored word
    assert sch.start[st1] == 2                  # after the data returns
    assert sch.length == 3


def forwarded(A: int32[4]):
    A[0] = 1
    A[0] = 5                    # overwritten before anyone reads it: dropped
    A[1] = A[0] + 1             # the same address: the stored value, no memory read


def test_store_to_load_forwarding_and_dead_stores():
    block, sch = _only_block(forwarded)
    assert _ops(block, "load") == []
    assert len(_ops(block, "store")) == 2
    assert sch.length == 2      # two stores on A's one port


def long_chain(x: int32, y: int32) -> int32:
    return x + y + x + y


def test_chaining_stops_at_the_clock_period():
    block, fast = _only_block(long_chain, clock_ns=100.0)
    adds = _ops(block, "add")
    assert {fast.start[a] for a in adds} == {0}             # all chained in one cycle
    block, slow = _only_block(long_chain, clock_ns=3.5)     # one ~2.1-2.2 ns adder per cycle
    adds = _ops(block, "add")
    assert [slow.start[a] for a in adds] == [0, 1, 2]
    assert adds[0] in slow.registered and adds[1] in slow.registered


def twice_loaded(A: int32[4], B: int32[4]):
    B[0] = A[1] * A[1] + A[1]          # one load of A[1], one multiply input shared


def reload_after_store(A: int32[4]):
    A[2] = A[1] + 1
    A[3] = A[1] + A[2]                 # A[1] is read again after the store; A[2] is forwarded


def test_common_subexpressions_share_loads_until_a_store():
    block, _ = _only_block(twice_loaded)
    assert len(_ops(block, "load")) == 1
    block, _ = _only_block(reload_after_store)
    assert len(_ops(block, "load")) == 2        # A[1], then A[1] again after the store
