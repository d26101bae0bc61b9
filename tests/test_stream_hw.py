"""Streams and concurrent dataflow regions in hardware (rtl.streams, rtl.arbiter, the
Control IR's StreamWait/PortWait/StagesBusy), checked differentially: the Kahn-process-network
interpreter, Amaranth's simulator, Icarus and Verilator all give numpy's answer; the stall
watchdog names the stages and streams of a deadlock on every simulator.
"""
import importlib.util
import pathlib
import time

import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.errors import AlloError
from allo_rtl.ir.types import Stream, int32
from allo_rtl.sim.kpn import DeadlockError
from allo_rtl.sim.watchdog import HardwareDeadlockError

SIMS = [None, pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=pytest.mark.verilator)]
EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples" / "dataflow"
N = 12


def _example(name):
    spec = importlib.util.spec_from_file_location(f"ex_{name}", EXAMPLES / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def run_both(top, args, target=None, **options):
    """(interpreter's outputs, hardware's outputs, the hardware module) for ``args``."""
    ref_args = [a.copy() for a in args]
    df.build(top, target="simulator")(*ref_args)
    hw_args = [a.copy() for a in args]
    mod = df.customize(top).build(target=target, **options)
    mod(*hw_args)
    return ref_args, hw_args, mod


# --- two-stage producer/consumer --------------------------------------------------------
@df.region()
def two_stage(A: int32[N], B: int32[N]):
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def producer(a: int32[N]):
        for i in range(N):
            pipe.put(a[i] * 3)

    @df.kernel(mapping=[1], args=[B])
    def consumer(b: int32[N]):
        for i in range(N):
            b[i] = pipe.get() - 7


@pytest.mark.parametrize("sim", SIMS)
def test_two_stage_matches_interpreter_and_numpy(sim):
    rng = np.random.default_rng(3)
    A = np.concatenate([[2**31 - 1, -2**31], rng.integers(-10**6, 10**6, N - 2)]).astype(np.int32)
    ref, hw, _ = run_both(two_stage, [A, np.zeros(N, np.int32)], sim)
    expect = (A.astype(np.int64) * 3 - 7).astype(np.int64)
    expect = ((expect + 2**31) % 2**32 - 2**31).astype(np.int32)     # int32 wraparound
    np.testing.assert_array_equal(ref[1], expect)
    np.testing.assert_array_equal(hw[1], expect)


def test_two_stage_overlaps_its_stages():
    """The stages run at the same time: fewer cycles than the two loops one after another
    (each loop alone takes at least 2 cycles per element: a put or get plus its latch)."""
    A = np.arange(N, dtype=np.int32)
    _, _, mod = run_both(two_stage, [A, np.zeros(N, np.int32)])
    assert mod.cycles < 2 * 2 * N


# --- three-stage pipeline (examples/dataflow/three_stage.py, shared with the benchmark) ---
three_stage = _example("three_stage").streamed(N, 2, 3)


def three_stage_schedule(pipelined):
    s = df.customize(three_stage)
    for name in pipelined:
        s.pipeline(f"{name}:i")
    return s


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("pipelined", [(), ("load_0", "square_plus_0", "store_0"),
                                       ("square_plus_0",)])
def test_three_stage_matches_interpreter_and_numpy(sim, pipelined):
    """Plain and pipelined stages (a pipeline holds per position on a full or empty FIFO)."""
    A = np.random.default_rng(5).integers(-3000, 3000, N).astype(np.int32)
    ref = [A.copy(), np.zeros(N, np.int32)]
    df.build(three_stage, target="simulator")(*ref)
    hw = [A.copy(), np.zeros(N, np.int32)]
    three_stage_schedule(pipelined).build(target=sim)(*hw)
    expect = (A.astype(np.int64) ** 2 + np.arange(N)).astype(np.int32)
    np.testing.assert_array_equal(ref[1], expect)
    np.testing.assert_array_equal(hw[1], expect)


@pytest.mark.parametrize("seed", [0x1D2B, 0xBEEF])
def test_pipelined_stages_under_external_stall(seed):
    A = np.random.default_rng(6).integers(-3000, 3000, N).astype(np.int32)
    B = np.zeros(N, np.int32)
    mod = three_stage_schedule(("load_0", "square_plus_0", "store_0")).build(stall_source=seed)
    mod(A, B)
    np.testing.assert_array_equal(B, (A.astype(np.int64) ** 2 + np.arange(N)).astype(np.int32))


# --- a cyclic stream pair (Allo #561's fwd/bwd) -----------------------------------------
@df.region()
def cyclic(A: int32[N], B: int32[N]):
    fwd: Stream[int32, 2]
    bwd: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A, B])
    def ping(a: int32[N], b: int32[N]):
        acc: int32 = 1
        for i in range(N):
            fwd.put(a[i] + acc)
            acc = bwd.get()
            b[i] = acc

    @df.kernel(mapping=[1])
    def pong():
        for i in range(N):
            v: int32 = fwd.get()
            bwd.put(v * 2 - i)


@pytest.mark.parametrize("sim", SIMS)
def test_cyclic_stream_pair(sim):
    A = np.random.default_rng(7).integers(-50, 50, N).astype(np.int32)
    ref, hw, _ = run_both(cyclic, [A, np.zeros(N, np.int32)], sim)
    expect, acc = [], 1
    for i in range(N):
        acc = (int(A[i]) + acc) * 2 - i
        expect.append(acc)
    np.testing.assert_array_equal(ref[1], np.array(expect, np.int64).astype(np.int32))
    np.testing.assert_array_equal(hw[1], ref[1])


# --- the systolic gemm example: every PE its own stage, A/B/C shared through arbiters ------
@pytest.mark.parametrize("sim", SIMS)
def test_systolic_gemm_4x4(sim):
    sg = _example("systolic_gemm")
    assert (sg.P0, sg.P1) == (4, 4)
    rng = np.random.default_rng(11)
    A = rng.integers(-100, 100, (sg.P0, sg.K)).astype(np.int32)
    B = rng.integers(-100, 100, (sg.K, sg.P1)).astype(np.int32)
    A[0, 0], B[0, 0] = 99, -100
    ref, hw, _ = run_both(sg.top, [A, B, np.zeros((sg.P0, sg.P1), np.int32)], sim)
    expect = (A.astype(np.int64) @ B).astype(np.int32)
    np.testing.assert_array_equal(ref[2], expect)
    np.testing.assert_array_equal(hw[2], expect)


def test_producer_consumer_example():
    pc = _example("producer_consumer")
    A = np.random.default_rng(1).integers(-1000, 1000, (pc.M, pc.N)).astype(np.int32)
    ref, hw, _ = run_both(pc.top, [A, np.zeros_like(A)])
    np.testing.assert_array_equal(ref[1], A + 1)
    np.testing.assert_array_equal(hw[1], A + 1)


# --- random external stall must not change results --------------------------------------
@pytest.mark.parametrize("top,n_out", [(two_stage, 1), (cyclic, 1)])
def test_external_stall_keeps_results(top, n_out):
    A = np.random.default_rng(9).integers(-50, 50, N).astype(np.int32)
    _, plain, m0 = run_both(top, [A, np.zeros(N, np.int32)])
    _, held, m1 = run_both(top, [A, np.zeros(N, np.int32)], stall_source=0x1D2B)
    np.testing.assert_array_equal(held[1], plain[1])
    assert m1.cycles > m0.cycles


# --- the stall watchdog ------------------------------------------------------------------
@df.region()
def starved(A: int32[N], B: int32[N]):
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def few(a: int32[N]):
        for i in range(N - 1):             # one put short: a true deadlock
            pipe.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def many(b: int32[N]):
        for i in range(N):
            b[i] = pipe.get()


@df.region()
def shallow(A: int32[N], B: int32[N]):
    xs: Stream[int32, 2]
    ys: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def split(a: int32[N]):
        for i in range(N):                 # all of xs first: needs depth N, has 2
            xs.put(a[i])
        for i in range(N):
            ys.put(a[i] + 1)

    @df.kernel(mapping=[1], args=[B])
    def zip_(b: int32[N]):
        for i in range(N):
            b[i] = xs.get() + ys.get()


@pytest.mark.parametrize("sim", SIMS)
@pytest.mark.parametrize("top,waits", [
    (starved, [("many_0", "get from pipe", "empty")]),
    (shallow, [("split_0", "put into xs", "full"), ("zip__0", "get from ys", "empty")])])
def test_watchdog_names_stages_and_streams(top, waits, sim):
    with pytest.raises(DeadlockError):                 # the interpreter's reference report
        df.build(top, target="simulator")(np.arange(N, dtype=np.int32), np.zeros(N, np.int32))
    mod = df.customize(top).build(target=sim)
    t0 = time.perf_counter()
    with pytest.raises(HardwareDeadlockError) as info:
        mod(np.arange(N, dtype=np.int32), np.zeros(N, np.int32))
    elapsed = time.perf_counter() - t0
    msg = str(info.value)
    assert "every running stage waits on a stream" in msg
    for stage, what, state in waits:
        assert f"stage {stage} waits to {what} ({state})" in msg, msg
    assert "test_stream_hw.py" in msg          # the user's line
    if sim is None:
        assert elapsed < 1.0 + 4.0             # Amaranth's simulator, on a loaded 2-core box


def test_undersized_fifo_works_when_deep_enough():
    """The same graph with xs as deep as the order of puts and gets needs: no deadlock."""
    @df.region()
    def deep(A: int32[N], B: int32[N]):
        xs: Stream[int32, N]
        ys: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[A])
        def split(a: int32[N]):
            for i in range(N):
                xs.put(a[i])
            for i in range(N):
                ys.put(a[i] + 1)

        @df.kernel(mapping=[1], args=[B])
        def zip_(b: int32[N]):
            for i in range(N):
                b[i] = xs.get() + ys.get()
    A = np.arange(N, dtype=np.int32) * 5
    ref, hw, _ = run_both(deep, [A, np.zeros(N, np.int32)])
    np.testing.assert_array_equal(hw[1], 2 * A + 1)
    np.testing.assert_array_equal(ref[1], 2 * A + 1)


# --- FIFO depth sizing and the report ----------------------------------------------------
def test_auto_depth_measures_what_the_shallow_graph_needs():
    """fifo_depth="auto": deep FIFOs, so the graph that deadlocks at depth 2 runs; the report
    suggests occupancy + 1 per stream, and a build with those depths runs too."""
    A = np.arange(N, dtype=np.int32) * 3
    mod = df.customize(shallow).build(fifo_depth="auto")
    B = np.zeros(N, np.int32)
    mod(A, B)
    np.testing.assert_array_equal(B, 2 * A + 1)
    rep = mod.report().to_dict()
    rows = {r["name"]: r for r in rep["streams"]}
    assert set(rows) == {"xs", "ys"}
    assert rows["xs"]["max_occupancy"] >= N - 1         # every x waits for the first y
    assert rows["xs"]["suggested_depth"] == rows["xs"]["max_occupancy"] + 1
    assert "suggested depth" in str(mod.report())
    stages = {r["stage"]: r["latency"] for r in rep["stages"]}
    assert set(stages) == {"split_0", "zip__0"}
    assert max(stages.values()) < mod.cycles
    assert rep["regions"][0]["latency"] == max(stages.values())

    @df.region()
    def sized(A: int32[N], B: int32[N]):
        xs: Stream[int32, rows["xs"]["suggested_depth"]]
        ys: Stream[int32, rows["ys"]["suggested_depth"]]

        @df.kernel(mapping=[1], args=[A])
        def split(a: int32[N]):
            for i in range(N):
                xs.put(a[i])
            for i in range(N):
                ys.put(a[i] + 1)

        @df.kernel(mapping=[1], args=[B])
        def zip_(b: int32[N]):
            for i in range(N):
                b[i] = xs.get() + ys.get()
    B = np.zeros(N, np.int32)
    df.customize(sized).build()(A, B)
    np.testing.assert_array_equal(B, 2 * A + 1)


def test_bad_fifo_depth_mode_refused():
    with pytest.raises(AlloError, match="fifo_depth must be 'declared', 'auto' or 'static'"):
        df.customize(two_stage).build(fifo_depth="deep")


def test_systolic_gemm_partitioned_and_pipelined_near_the_array_bound():
    """A by rows, B by columns, C completely: each feeder and PE has its own bank (the
    partitions propagate into the stages); with every PE loop pipelined the array takes
    within 1.2x of K + P0 + P1 cycles (the stages start with the top, in its start cycle)."""
    sg = _example("systolic_gemm")
    s = df.customize(sg.top)
    for name in list(s.module.functions):
        if name.startswith("pe_") and any(lp.name == "k" for lp in
                                          __import__("allo_rtl.ir.nodes", fromlist=["loops"])
                                          .loops(s.module.functions[name].body)):
            s.pipeline(f"{name}:k")
    s.partition(s.A, allo.Partition.Complete, dim=1)
    s.partition(s.B, allo.Partition.Complete, dim=2)
    s.partition(s.C, allo.Partition.Complete, dim=0)
    rng = np.random.default_rng(12)
    A = rng.integers(-100, 100, (sg.P0, sg.K)).astype(np.int32)
    B = rng.integers(-100, 100, (sg.K, sg.P1)).astype(np.int32)
    C = np.zeros((sg.P0, sg.P1), np.int32)
    mod = s.build()
    mod(A, B, C)
    np.testing.assert_array_equal(C, (A.astype(np.int64) @ B).astype(np.int32))
    assert mod.cycles <= 1.2 * (sg.K + sg.P0 + sg.P1)


def _systolic_of_size(P, K, tmp_path):
    """The example with P x P PEs and depth K (its source with other constants)."""
    src = (EXAMPLES / "systolic_gemm.py").read_text()
    assert "P0, P1, K = 4, 4, 8" in src
    path = tmp_path / f"systolic_{P}_{K}.py"
    path.write_text(src.replace("P0, P1, K = 4, 4, 8", f"P0, P1, K = {P}, {P}, {K}"))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# on Icarus and Verilator a build of the 100-PE design takes minutes: run with -m long
@pytest.mark.slow
@pytest.mark.parametrize("sim", [None,
                                 pytest.param("icarus", marks=[pytest.mark.icarus,
                                                               pytest.mark.long]),
                                 pytest.param("verilator", marks=[pytest.mark.verilator,
                                                                  pytest.mark.long])])
def test_systolic_gemm_8x8_matches_interpreter_and_numpy(sim, tmp_path):
    """100 PEs; partitioned and pipelined, within 1.2x of K + P0 + P1."""
    sg = _systolic_of_size(8, 8, tmp_path)
    rng = np.random.default_rng(13)
    A = rng.integers(-100, 100, (8, 8)).astype(np.int32)
    B = rng.integers(-100, 100, (8, 8)).astype(np.int32)
    ref = [A, B, np.zeros((8, 8), np.int32)]
    df.build(sg.top, target="simulator")(*ref)
    s = df.customize(sg.top)
    for name in list(s.module.functions):
        if name.startswith("pe_") and any(lp.name == "k" for lp in
                                          __import__("allo_rtl.ir.nodes", fromlist=["loops"])
                                          .loops(s.module.functions[name].body)):
            s.pipeline(f"{name}:k")
    s.partition(s.A, allo.Partition.Complete, dim=1)
    s.partition(s.B, allo.Partition.Complete, dim=2)
    s.partition(s.C, allo.Partition.Complete, dim=0)
    C = np.zeros((8, 8), np.int32)
    mod = s.build(target=sim)
    mod(A, B, C)
    expect = (A.astype(np.int64) @ B).astype(np.int32)
    np.testing.assert_array_equal(ref[2], expect)
    np.testing.assert_array_equal(C, expect)
    assert mod.cycles <= 1.2 * (8 + 8 + 8)


def test_systolic_gemm_under_external_stall(tmp_path):
    sg = _systolic_of_size(2, 4, tmp_path)
    rng = np.random.default_rng(14)
    A = rng.integers(-100, 100, (2, 4)).astype(np.int32)
    B = rng.integers(-100, 100, (4, 2)).astype(np.int32)
    C = np.zeros((2, 2), np.int32)
    df.customize(sg.top).build(stall_source=0x2F31)(A, B, C)
    np.testing.assert_array_equal(C, (A.astype(np.int64) @ B).astype(np.int32))
