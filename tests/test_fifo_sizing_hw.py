"""FIFO depth sizing: a region whose stages' control no input can change is sized
"static" (its occupancy is the schedules', the same for every input: checked over random
inputs), otherwise "measured" (it depends on the run: checked by two inputs giving two
occupancies). ir/fifo_depths.static_region; the report's "sizing"."""
import importlib.util
import pathlib

import numpy as np
import pytest

import allo_rtl.dataflow as df
from allo_rtl.ir.types import Stream, int32

N = 12
EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples" / "dataflow"
_spec = importlib.util.spec_from_file_location("ex_three_stage", EXAMPLES / "three_stage.py")
three = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(three)


def _rows(mod):
    return {r["name"]: r for r in mod.report().to_dict()["streams"]}


def test_static_region_same_occupancy_for_every_input():
    s = df.customize(three.streamed(N, 2, 3))
    mod = s.build()                     # declared depths (deep ones only simulate slower)
    seen = set()
    for seed in range(2):
        A = np.random.default_rng(seed).integers(-2**31, 2**31, N, dtype=np.int64)
        B = np.zeros(N, np.int32)
        mod(A.astype(np.int32), B)
        np.testing.assert_array_equal(B, three.reference(A.astype(np.int32)))
        rows = _rows(mod)
        assert {r["sizing"] for r in rows.values()} == {"static"}
        seen.add(tuple(sorted((n, r["max_occupancy"]) for n, r in rows.items())))
    assert len(seen) == 1, seen
    assert "(static: the stages' schedules fix it for every input)" in str(mod.report())


@df.region()
def data_paced(A: int32[N], B: int32[N]):
    s: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def fast(a: int32[N]):
        for i in range(N):
            s.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def slow(b: int32[N]):
        for i in range(N):
            v: int32 = s.get()
            w: int32 = 0
            while w < v:                # as many cycles as the value says
                w += 1
            b[i] = w


def test_data_dependent_region_is_measured():
    mod = df.customize(data_paced).build(fifo_depth="auto")
    occupancy = []
    for value in (0, 9):
        A = np.full(N, value, np.int32)
        B = np.zeros(N, np.int32)
        mod(A, B)
        np.testing.assert_array_equal(B, A)
        (row,) = _rows(mod).values()
        assert row["sizing"] == "measured"
        occupancy.append(row["max_occupancy"])
    assert occupancy[0] < occupancy[1], occupancy     # a slower consumer lets more pile up
    assert "(measured: for this run's inputs)" in str(mod.report())


@pytest.mark.parametrize("sim", [pytest.param("icarus", marks=pytest.mark.icarus),
                                 pytest.param("verilator", marks=[pytest.mark.verilator,
                                                                  pytest.mark.slow])])
def test_occupancy_and_stage_latencies_on_icarus_and_verilator(sim):
    """The measuring registers are read after a cocotb run too (by hierarchy; marked public
    for Verilator): the same rows as Amaranth's simulator gives. The design is
    tests/test_stream_hw.py's three-stage one, so a CI run builds it once per simulator."""
    A = np.random.default_rng(9).integers(-3000, 3000, N).astype(np.int32)
    rows = []
    for target in (None, sim):
        mod = df.customize(three.streamed(N, 2, 3)).build(target=target)
        B = np.zeros(N, np.int32)
        mod(A, B)
        np.testing.assert_array_equal(B, three.reference(A))
        d = mod.report().to_dict()
        rows.append((d["streams"], d["stages"], d["regions"]))
    assert rows[0] == rows[1]
    assert [r["name"] for r in rows[1][0]] == ["s1", "s2"]
    assert all(st["latency"] > 0 for st in rows[1][1])


@df.region()
def lopsided(A: int32[N], B: int32[N]):
    xs: Stream[int32, 2]
    ys: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def split(a: int32[N]):
        for i in range(N):                 # all of xs first: deadlocks at the declared 2
            xs.put(a[i])
        for i in range(N):
            ys.put(a[i] + 1)

    @df.kernel(mapping=[1], args=[B])
    def zip_(b: int32[N]):
        for i in range(N):
            b[i] = xs.get() + ys.get()


def test_static_depths_computed_from_the_schedules():
    """fifo_depth='static': depths from one zero-input run of the deep design; the graph that
    deadlocks as declared runs, on other inputs too, and no FIFO ever fills (the sized
    design is no slower than the deep one)."""
    mod = df.customize(lopsided).build(fifo_depth="static")
    deep = df.customize(lopsided).build(fifo_depth="auto")
    rng = np.random.default_rng(4)
    for _ in range(2):
        A = rng.integers(-2**30, 2**30, N).astype(np.int32)
        B, Bd = np.zeros(N, np.int32), np.zeros(N, np.int32)
        mod(A, B)
        deep(A, Bd)
        np.testing.assert_array_equal(B, 2 * A + 1)
        assert mod.cycles <= deep.cycles      # small FIFOs may even answer a cycle sooner
        rows = _rows(mod)
        assert rows["xs"]["depth"] >= N - 1         # the whole of xs waits for ys
        for r in rows.values():
            assert r["sizing"] == "static" and r["max_occupancy"] < r["depth"]


def test_static_depths_refused_for_data_dependent_control():
    with pytest.raises(Exception, match=r"fifo_depth='static': a stage of the dataflow region "
                                        r"in data_paced has control an input can change"):
        df.customize(data_paced).build(fifo_depth="static")
