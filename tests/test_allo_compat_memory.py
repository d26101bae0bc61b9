"""``allo.memory``: Memory requests (Allo's memory-space numbers), Layout and DTensor as
values, and a kernel's ``@ Layout(...)`` refused with its line."""
import itertools

import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloTypeError
from allo_rtl.ir.types import int32
from allo_rtl.memory import RESOURCES, STORAGE_TYPES, DTensor, Layout, Memory

S, R = Layout.Shard, Layout.Replicate


def test_memory_space_numbers_are_allos():
    # Allo's table, written out: resource * 16 + storage (1-based, 0 = none)
    resource = {"AUTO": 0, "BRAM": 1, "URAM": 2, "LUTRAM": 3, "SRL": 4}
    storage = {None: 0, "RAM_1P": 1, "RAM_2P": 2, "RAM_T2P": 3, "RAM_1WNR": 4, "RAM_S2P": 5,
               "ROM_1P": 6, "ROM_2P": 7, "ROM_NP": 8}
    for (r, rc), (st, sc) in itertools.product(resource.items(), storage.items()):
        m = Memory(resource=r.lower(), storage_type=st)
        assert m.get_memory_space() == rc * 16 + sc
        assert Memory.decode_memory_space(rc * 16 + sc) == (r, st)
    assert {Memory(r).get_memory_space() for r in RESOURCES} == set(range(0, 16 * 6, 16))
    with pytest.raises(ValueError):
        Memory.decode_memory_space(16 * 7)
    assert len(STORAGE_TYPES) == 8


def test_layout_placement_by_enumeration():
    mesh = [2, 3]
    for parts in ([S(0), R], [R, S(1)], [S(1), S(0)], [R, R]):
        got = Layout(parts).get_placement(mesh)
        want: dict = {}
        for a in range(2):
            for b in range(3):
                tile = tuple((a, b)[p.axis] if isinstance(p, S) else 0 for p in parts)
                want.setdefault(tile, []).append((a, b))
        assert got == want
        assert sorted(pe for pes in got.values() for pe in pes) == \
            [(a, b) for a in range(2) for b in range(3)]   # every PE holds one tile
    assert Layout([S(0), R]) == Layout([S(0), R]) != Layout([R, S(0)])
    with pytest.raises(ValueError, match="Layout.Shard"):
        Layout([0, R])


def test_dtensor_local_shape_and_spec():
    d = DTensor(0, [2, 4], (32, 12), int32, Layout([S(1), S(0)]), name="A")
    assert d.get_local_shape() == (32 // 4, 12 // 2)
    assert d.layout is not None and d.memory is None
    assert d.global_placement == Layout([S(1), S(0)]).get_placement([2, 4])
    m = DTensor(None, None, (64,), int32, Memory("BRAM", "RAM_2P"), name="C")
    assert m.memory == Memory("BRAM", "RAM_2P") and m.layout is None
    assert m.get_local_shape() == (64,) and "memory=" in str(m)
    with pytest.raises(ValueError):
        DTensor(None, None, (4,), int32, "S0")


LAYOUT = Layout([S(0)])


def sharded(A: int32[8] @ LAYOUT) -> int32[8]:
    return A + 1


def test_layout_on_a_kernel_array_is_refused():
    with pytest.raises(AlloTypeError, match="no PE mesh") as info:
        allo.customize(sharded)
    assert info.value.loc.line == sharded.__code__.co_firstlineno
