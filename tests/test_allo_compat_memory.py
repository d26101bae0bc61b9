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


# --- Memory requests honoured by the build -------------------------------------------------
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
from amaranth.back import verilog  # noqa: E402

from allo_rtl.boards.build import find_tool  # noqa: E402
from allo_rtl.memory import MemoryWarning  # noqa: E402
from allo_rtl.rtl.build import HardwareDesign  # noqa: E402
from allo_rtl.sim.harness import KernelHarness  # noqa: E402


def requested(resource):
    mem = Memory(resource=resource)

    def k(a: int32[64] @ mem, b: int32[64]):
        c: int32[64] @ mem
        for i in range(64):
            c[i] = a[i] * 3 + 1
        for i in range(64):
            b[i] = c[63 - i] - a[i]
    return k


@pytest.mark.parametrize("resource", ["AUTO", "BRAM", "LUTRAM", "SRL"])
def test_requests_build_the_same_results(resource):
    a = np.random.default_rng(5).integers(-2**20, 2**20, 64).astype(np.int32)
    want = (a * 3 + 1)[::-1] - a
    s = allo.customize(requested(resource))
    for target in (None, "python"):
        b = np.zeros(64, np.int32)
        s.build(target=target)(a, b)
        assert np.array_equal(b, want)


def _cells(design, family) -> dict:
    """Yosys's cell counts for the kernel with its harness memories (as on a board)."""
    tmp = design.name + f"_{family}.v"
    v = verilog.convert(KernelHarness(design.component, design.interface()), name="top",
                        emit_src=False)
    script = f"read_verilog -sv {{}}; synth_{family} -top top; tee -o {{}}.stat stat"
    with tempfile.TemporaryDirectory() as d:       # YoWASP sees the working directory only
        open(f"{d}/{tmp}", "w").write(v)
        for _ in range(2):               # YoWASP can die of a signal under load: once more
            run = subprocess.run([find_tool("YOSYS"), "-q", "-p", script.format(tmp, tmp)],
                                 capture_output=True, text=True, timeout=600, cwd=d)
            if run.returncode >= 0:
                break
        assert run.returncode == 0, run.stderr[-2000:]
        stat = open(f"{d}/{tmp}.stat").read()
    return {m[2]: int(m[1]) for m in re.finditer(r"^\s+(\d+)\s+(\S+)\s*$", stat, re.M)}


def _count(cells, name):
    return sum(n for c, n in cells.items() if c.endswith(name))


@pytest.mark.board          # runs YoWASP Yosys (synthesis only, about a minute)
def test_ecp5_yosys_builds_what_the_requests_ask():
    designs = {r: HardwareDesign(allo.customize(requested(r)).module, "ecp5")
               for r in ("AUTO", "BRAM", "LUTRAM")}
    auto, bram, lut = (_cells(designs[r], "ecp5") for r in ("AUTO", "BRAM", "LUTRAM"))
    # three 64 x 32-bit memories (a, b, c); b has no request
    assert _count(bram, "DP16KD") == 3 and _count(bram, "DPR16X4") == 0
    assert _count(lut, "DP16KD") == 1 and _count(lut, "DPR16X4") > 0   # a, c in LUT RAM
    assert _count(auto, "DPR16X4") == 0
    plans = designs["LUTRAM"].memory_plans["k"]
    assert {p.array: (p.placement.ram_style, p.placement.honoured) for p in plans} == \
        {"a": ("distributed", True), "c": ("distributed", True)}


def test_ice40_lutram_is_flip_flops_and_unhonoured_requests_warn():
    d = HardwareDesign(allo.customize(requested("LUTRAM")).module, "ice40")
    v = verilog.convert(KernelHarness(d.component, d.interface()), name="top", emit_src=False)
    assert v.count('ram_style = "logic"') == 2            # a (harness) and c (kernel)
    with pytest.warns(MemoryWarning) as caught:
        HardwareDesign(allo.customize(requested("URAM")).module, "ice40")
    assert sorted(str(w.message).split(" on ")[1].split()[0] for w in caught) == ["k:a", "k:c"]
    assert all("not honoured: the build makes block RAM (ice40 has no UltraRAM)"
               in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MemoryWarning)      # honoured: no warning
        HardwareDesign(allo.customize(requested("BRAM")).module, "ice40")


def test_an_array_made_registers_reports_its_request_unhonoured():
    mem = Memory(resource="BRAM")

    def k(a: int32[4]) -> int32[4]:
        c: int32[4] @ mem
        for i in range(4):
            c[i] = a[i] + 1
        return c + 0
    s = allo.customize(k)
    s.partition(s.c, dim=0)                                 # complete: registers
    with pytest.warns(MemoryWarning, match="k:c.*not honoured.*registers"):
        mod = s.build()
    assert mod.report().to_dict()["memory_requests"]["k"][0]["honoured"] is False
    a = np.array([1, -2, 2**31 - 1, 0], np.int32)
    assert np.array_equal(mod(a), a + 1)                    # wraps as int32
