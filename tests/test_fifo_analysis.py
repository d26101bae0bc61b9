"""FIFO depths from the stages' schedules (hls.fifo_analysis, fifo_depth="static"): the
replay's occupancy against the hardware's own occupancy probe. On random dataflow chains
(tests/fuzz_streams.py's generator), the systolic gemm and a stage with a branch: the sized
design never deadlocks, gives the interpreter's answer, no put finds its FIFO full, and no
computed depth exceeds the deep (fifo_depth="auto") run's maximum + 1."""
import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, seed, settings

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.errors import AlloError
from allo_rtl.hls.fifo_analysis import occupancy, replay
from allo_rtl.ir import nodes as ir
from allo_rtl.ir.types import Stream, int32
from allo_rtl.sim import static_depths

import fuzz_streams as fs

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples" / "dataflow"


def _rows(mod):
    return {r["name"]: r for r in mod.report().to_dict()["streams"]}


def test_occupancy_counts_items_put_before_a_cycle_and_not_yet_got():
    # puts in cycles 0, 1, 2; gets in 5, 6, 7: three held in cycles 3 to 5
    assert occupancy([0, 1, 2], [5, 6, 7]) == 3
    assert occupancy([0, 1, 2], [1, 2, 3]) == 1      # each got the cycle after its put
    assert occupancy([], []) == 0


def test_replay_holds_a_waiting_stage_and_everything_after():
    # a producer putting in cycles 4 and 5; a consumer free to get in 1 and 2: it waits
    # for the first item (cycle 5) and its second get moves with it (cycle 6)
    times = replay({"p": [(4, (), ("s",)), (5, (), ("s",))],
                    "c": [(1, ("s",), ()), (2, ("s",), ())]})
    assert times == {"s": ([4, 5], [5, 6])}
    assert replay({"c": [(1, ("s",), ())]}) is None            # never put: no answer


def _lut_occupancy(s) -> dict:
    """Most items each stream holds with FIFOs of the kind a sized build has (LUT FIFOs: an
    item at the output the cycle after its put), 16 deep (the most a LUT FIFO is)."""
    module = s.lowered_module()
    labels = {c.label for f in module.functions.values() for c in f.locals
              if isinstance(c, ir.Channel)}
    return static_depths._occupancy(
        static_depths._with_depths(module, dict.fromkeys(labels, 16)), "generic", None)


def _check_sized(s_static, s_ref, args, expect=None):
    """Run the static build; its rows (all checked as the module docstring says). A depth
    from the schedules is compared with a simulation with FIFOs of the kind it is built as
    (when none fills at 16), one from a simulation with the deep run it comes from."""
    lut = _lut_occupancy(s_ref)
    deep = s_ref.build(fifo_depth="auto")
    deep(*[a.copy() for a in args])
    deep_max = {n: r["max_occupancy"] for n, r in _rows(deep).items()}
    mod = s_static.build(fifo_depth="static")
    out = [a.copy() for a in args]
    mod(*out)
    rows = _rows(mod)
    for name, r in rows.items():
        assert r["max_occupancy"] < r["depth"], (name, r)         # never full
        ref = (lut[name] if r["depth_method"] == "schedules" and lut[name] < 16
               else deep_max[name])
        assert r["depth"] <= ref + 1, (name, r, ref)
    if expect is not None:
        expect(out)
    return rows


@seed(20261203)
@settings(max_examples=8, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(fs.samples())
def test_random_chains_sized_from_the_schedules(tmp_path_factory, sample):
    top, _ = fs.load_region(sample, tmp_path_factory.mktemp("chains"))

    def schedule():
        s = df.customize(top)
        for loop in sample.pipelined:
            s.pipeline(loop)
        return s
    try:
        schedule().build(fifo_depth="static")
    except AlloError as e:            # a chain with a data-dependent stage is not static
        assume("control an input can change" not in str(e))
        raise
    ref = [a.copy() for a in sample.inputs]
    try:
        df.build(top, target="simulator")(*ref)
    except fs.DeadlockError:           # too shallow as declared: the sized build must run
        ref = None

    def expect(out):
        if ref is not None:
            np.testing.assert_array_equal(fs._np(out[1], sample.out_type),
                                          fs._np(ref[1], sample.out_type))
    rows = _check_sized(schedule(), schedule(), sample.inputs, expect)
    assert {r["depth_method"].split(",")[0] for r in rows.values()} <= {"schedules",
                                                                        "simulation"}


def _systolic(P, K, tmp_path):
    src = (EXAMPLES / "systolic_gemm.py").read_text()
    path = tmp_path / f"systolic_{P}_{K}.py"
    path.write_text(src.replace("P0, P1, K = 4, 4, 8", f"P0, P1, K = {P}, {P}, {K}"))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("partitioned", [True, False])
def test_systolic_gemm_sized_from_the_schedules(tmp_path, partitioned):
    """Partitioned, every PE's pipeline elastic: all streams from the schedules. Without the
    partitions the feeders wait for a shared port's grant: sized by simulation."""
    sg = _systolic(2, 4, tmp_path)
    rng = np.random.default_rng(31)
    A = rng.integers(-100, 100, (2, 4)).astype(np.int32)
    B = rng.integers(-100, 100, (4, 2)).astype(np.int32)

    def schedule():
        s = df.customize(sg.top)
        for name in [n for n in s.module.functions if n.startswith("pe_")]:
            if any(lp.name == "k" for lp in ir.loops(s.module.functions[name].body)):
                s.pipeline(f"{name}:k")
        if partitioned:
            s.partition(s.A, allo.Partition.Complete, dim=1)
            s.partition(s.B, allo.Partition.Complete, dim=2)
            s.partition(s.C, allo.Partition.Complete, dim=0)
        return s

    def expect(out):
        np.testing.assert_array_equal(out[2], (A.astype(np.int64) @ B).astype(np.int32))
    rows = _check_sized(schedule(), schedule(), [A, B, np.zeros((2, 2), np.int32)], expect)
    methods = {r["depth_method"] for r in rows.values()}
    assert methods == ({"schedules"} if partitioned else {"simulation"})


N = 8


@df.region()
def every_other(A: int32[N], B: int32[N // 2]):
    s: Stream[int32, 1]

    @df.kernel(mapping=[1], args=[A])
    def evens(a: int32[N]):
        for i in range(N):
            if i % 2 == 0:            # static, but a branch: the analysis leaves it out
                s.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def store(b: int32[N // 2]):
        for i in range(N // 2):
            b[i] = s.get()


def test_a_stage_with_a_branch_is_sized_by_simulation():
    A = np.random.default_rng(32).integers(-99, 99, N).astype(np.int32)

    def expect(out):
        np.testing.assert_array_equal(out[1], A[::2])
    rows = _check_sized(df.customize(every_other), df.customize(every_other),
                        [A, np.zeros(N // 2, np.int32)], expect)
    assert rows["s"]["depth_method"] == "simulation"
    mod = df.customize(every_other).build(fifo_depth="static")
    mod(A, np.zeros(N // 2, np.int32))
    assert "depth from a zero-input simulation" in str(mod.report())
