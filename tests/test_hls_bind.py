"""Register binding by lifetime (left-edge) on a hand-analysed block."""
import numpy as np
from allo_rtl.hls.bind import Binding, bind_registers
from allo_rtl.hls.cdfg import Block, build_cdfg
from allo_rtl.hls.list_schedule import schedule_block
from allo_rtl.hls.timing import TimingModel
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import int16, int32
import allo_rtl as allo


def pairs(A: int32[4], B: int32[2]):
    B[0] = A[0] + A[1]      # A[0] read in cycle 0, kept until cycle 2 (A[1] arrives)
    B[1] = A[2] + A[3]      # A[2] read in cycle 2, kept from cycle 3 until cycle 4


def mixed(A: int32[2], C: int16[2], B: int32[2]):
    B[0] = A[0] + A[1]
    B[1] = C[0] + C[1]


def _bind(fn):
    f = allo.customize(fn).top
    block = next(r for r in build_cdfg(f).body if isinstance(r, Block))
    ext = {id(b) for b in [*f.params, *f.results] if isinstance(b, ir.Buffer)}
    sch = schedule_block(block, TimingModel("generic"), ext)
    return block, sch, bind_registers([(sch, ())], Binding())


def test_disjoint_lifetimes_share_one_register():
    block, sch, b = _bind(pairs)
    loads = [op for op in block.ops if op.info.is_load]
    assert [sch.start[op] for op in loads] == [0, 1, 2, 3]
    kept = [op for op in loads if op in sch.registered]
    assert kept == [loads[0], loads[2]]
    assert b.register_of[loads[0]] == b.register_of[loads[2]]
    assert len(b.registers) == 1 and b.registers[0] == (32, True)


def test_different_widths_do_not_share():
    block, sch, b = _bind(mixed)
    assert {bits for bits, _ in b.registers} == {32, 16}


# divisors are arguments: a constant divisor is a multiplication, not a divider
def two_blocks(A: int32[4], B: int32[4], p: int32, q: int32):
    for i in range(4):
        A[i] = A[i] / p
    for i in range(4):
        B[i] = B[i] / q


def one_block(A: int32[4], B: int32[4], p: int32, q: int32):
    for i in range(4):
        A[i] = A[i] / p + B[i] / q


def _dividers(fn):
    mod = allo.customize(fn).build()
    return {k: v for k, v in mod.report().to_dict()["functions"][0]["functional_units"].items()
            if k.startswith("divider")}, mod


def test_dividers_are_shared_across_blocks_not_within_one():
    import numpy as np
    shared, mod = _dividers(two_blocks)
    assert sum(shared.values()) == 1
    A, B = np.array([7, -7, 100, 0], dtype=np.int32), np.array([11, -12, 5, 4], dtype=np.int32)
    mod(A, B, 3, 5)
    assert list(A) == [2, -2, 33, 0] and list(B) == [2, -2, 1, 0]
    separate, mod = _dividers(one_block)
    assert sum(separate.values()) == 2
    A, B = np.array([7, -7, 100, 0], dtype=np.int32), np.array([15, -15, 6, 7], dtype=np.int32)
    mod(A, B, 3, 7)
    assert list(A) == [2 + 2, -2 - 2, 33 + 0, 0 + 1]


def two_products_two_cycles(A: allo.int32[4], a: allo.int32, b: allo.int32) -> allo.int32:
    return A[0] * a + A[1] * b      # one port: the loads (and so the products) are a cycle apart


def two_products_one_cycle(x: allo.int32, y: allo.int32, z: allo.int32,
                           w: allo.int32) -> allo.int32:
    return x * y + z * w            # both products start in cycle 0


def _mul_units(mod):
    return {k: v for k, v in mod.design.report_dict()["functions"][0]["functional_units"].items()
            if k.startswith("mul")}


def test_products_in_different_cycles_share_one_multiplier():
    mod = allo.customize(two_products_two_cycles).build()
    A = np.array([-7, 123456, 5, 6], dtype=np.int32)
    assert mod(A, 2_000_000, -3) == int(np.int32(np.int64(-7) * 2_000_000 + 123456 * -3))
    assert _mul_units(mod) == {"mul32x32": 1}


def test_products_in_one_cycle_get_a_multiplier_each():
    mod = allo.customize(two_products_one_cycle).build()
    assert mod(3, -4, 100000, 70000) == int(np.int32(np.int64(-12) + 100000 * 70000))
    assert _mul_units(mod) == {"mul32x32": 2}
