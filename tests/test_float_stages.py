"""Float unit stage counts chosen for the clock a build asks for (hls/timing.py
``float_stages``) from the Fmax measured at each count (timing_data/float_units.json
``fmax_by_stages``, benchmarks/bench_float_stages.py): the count chosen clears the clock
with the margin, one fewer would not, a fast clock keeps the default count, the generic
family (nothing measured) keeps it too; and a float recurrence built at a slow clock recurs
in the fewer cycles, bit-exact against numpy."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.hls.timing import STAGE_MARGIN, TimingModel
from allo_rtl.ir.types import float32

UNITS = ("fadd", "fmul", "itof", "ftoi", "ftof", "fdiv", "fsqrt")
N = 16


def float_sum(A: float32[N]) -> float32:
    acc: float32 = 0.0
    for i in range(N):
        acc = acc + A[i]
    return acc


@pytest.mark.parametrize("family", ["ecp5", "ice40"])
@pytest.mark.parametrize("unit", UNITS)
def test_the_count_chosen_clears_the_clock_and_one_fewer_does_not(family, unit):
    for clock_ns in (10.0, 20.0, 1000.0 / 24, 50.0, 100.0):
        tm = TimingModel(family, clock_ns)
        u = tm.float_unit(unit)
        table = {int(k): v for k, v in u.get("fmax_by_stages", {}).items()}
        chosen = tm.float_stages(unit)
        need = STAGE_MARGIN * 1000.0 / clock_ns
        assert chosen <= u["stages"]
        if chosen < u["stages"]:
            assert table[chosen] >= need, (clock_ns, chosen)
        # no measured count below it clears the clock
        assert all(mhz < need for s, mhz in table.items() if s < chosen), (clock_ns, chosen)


def test_measured_tables_cover_every_count_up_to_the_default():
    for family in ("ecp5", "ice40"):
        for unit in ("fadd", "fmul", "itof", "ftoi"):
            u = TimingModel(family).float_unit(unit)
            assert set(map(int, u["fmax_by_stages"])) >= set(range(1, u["stages"] + 1))


def test_a_fast_clock_and_the_generic_family_keep_the_default_counts():
    for unit in UNITS:
        generic = TimingModel("generic")
        assert generic.float_stages(unit) == generic.float_unit(unit)["stages"]
        fast = TimingModel("ecp5", 1000.0 / 150)        # above every measured Fmax
        assert fast.float_stages(unit) == fast.float_unit(unit)["stages"]


def test_slower_clocks_never_get_more_stages():
    for family in ("ecp5", "ice40"):
        for unit in UNITS:
            counts = [TimingModel(family, ns).float_stages(unit) for ns in (8, 12, 20, 40, 80)]
            assert counts == sorted(counts, reverse=True), (family, unit, counts)


def test_a_float_sum_at_a_slow_clock_recurs_in_fewer_cycles_bit_exact():
    A = np.random.default_rng(5).standard_normal(N).astype(np.float32)
    want = np.float32(0.0)
    for a in A:
        want = np.float32(want + a)
    iis = {}
    for clock_mhz in (100, 50, 25):
        s = allo.customize(float_sum)
        s.pipeline("i")
        mod = s.build(family="ecp5", clock_ns=1000.0 / clock_mhz)
        got = mod(A.copy())
        assert np.float32(got).view(np.uint32) == want.view(np.uint32), clock_mhz
        interpreted = s.build(target="python")(A.copy())
        assert np.float32(got).view(np.uint32) == np.float32(interpreted).view(np.uint32)
        row = next(r for f in mod.report().to_dict()["functions"] for r in f["loops"]
                   if r["name"] == "i")
        iis[clock_mhz] = row["ii"]
        # the accumulation recurs in the adder alone (its output read through the bypass)
        assert row["ii"] == TimingModel("ecp5", 1000.0 / clock_mhz).float_stages("fadd")
        # and the report says which count was built
        assert mod.report().to_dict()["float_unit_stages"]["fadd32"] == row["ii"]
        assert f"fadd32 {row['ii']}" in str(mod.report())
    assert iis[25] <= iis[50] < iis[100]


@pytest.mark.parametrize("family,clock_ns", [("ecp5", 20.0), ("ice40", 1000.0 / 12)])
@pytest.mark.parametrize("name", ["atax", "gesummv", "jacobi-1d"])
def test_float_polybench_with_fewer_stages_is_bit_exact(family, clock_ns, name):
    import warnings

    import float_polybench as fp
    from allo_rtl.hls.synthesize import PipelineWarning
    from kernels import copy_args, pipeline_innermost
    case = fp.BY_NAME[name]
    s = allo.customize(case.kernel)
    pipeline_innermost(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineWarning)
        mod = s.build(family=family, clock_ns=clock_ns)
    assert TimingModel(family, clock_ns).float_stages("fadd") < \
        TimingModel(family).float_unit("fadd")["stages"]
    args = case.make_inputs(np.random.default_rng(12))
    ref = copy_args(args)
    case.reference(ref)
    py = copy_args(args)
    s.build(target="python")(*py)
    mod(*args)
    for k in case.written:
        assert np.array_equal(args[k].view(np.uint32), ref[k].view(np.uint32)), \
            f"{name}: argument {k} differs from numpy"
        assert np.array_equal(args[k].view(np.uint32), py[k].view(np.uint32))
