"""The fast cycle model on what landed after it: float64 and float16 kernels (branches, a
division, a pipelined loop) give exactly the RTL's cycles, and stream/dataflow designs, whose
stages wait on FIFOs, are refused with the stalling line rather than estimated wrongly."""
import inspect
import warnings

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import float16, float64
from allo_rtl.sim.cycle_model import CycleModelError

import test_stream_hw as streams


def f64_mix(a: float64[8], b: float64[8], out: float64[1]):
    acc: float64 = 0.0
    for i in range(8):
        if a[i] > 0.0:
            acc += a[i] * b[i]
        else:
            acc = acc - a[i] / (b[i] + 3.0)
    out[0] = acc


def f16_scale(a: float16[8], out: float16[8]):
    for i in range(8):
        x: float16 = a[i] * 1.5
        if x < 0.0:
            x = -x
        out[i] = x + a[i]


@pytest.mark.parametrize("kernel,dtype,pipelined", [
    (f64_mix, np.float64, False), (f16_scale, np.float16, False), (f16_scale, np.float16, True),
    # ~17 s: the float64 units' elaboration
    pytest.param(f64_mix, np.float64, True, marks=pytest.mark.slow)],
    ids=["float64-plain", "float16-plain", "float16-pipelined", "float64-pipelined"])
def test_float_formats_model_equals_rtl(kernel, dtype, pipelined):
    s = allo.customize(kernel)
    if pipelined:
        s.pipeline("i")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = s.build()
    rng = np.random.default_rng(3)
    seen = set()
    for _ in range(3):            # the branch's direction changes the cycles
        args = [rng.standard_normal(8).astype(dtype), rng.random(8).astype(dtype)]
        if kernel is f64_mix:
            args.append(np.zeros(1))
        else:
            args = [args[0], np.zeros(8, np.float16)]
        est = mod.estimate(*[a.copy() for a in args])
        mod(*args)
        assert est == mod.cycles
        seen.add(est)
    assert len(seen) > 1 or pipelined or kernel is f16_scale


@pytest.mark.parametrize("top", [streams.two_stage, streams.three_stage],
                         ids=["two_stage", "three_stage"])
def test_stream_designs_are_refused_at_the_waiting_line(top):
    mod = allo.customize(top).build()
    A, B = np.arange(streams.N, dtype=np.int32), np.zeros(streams.N, np.int32)
    with pytest.raises(CycleModelError, match="stream_wait, which the cycle model cannot") \
            as info:
        mod.estimate(A, B)
    # the region is defined in the test module or in the example it loads
    assert info.value.loc is not None and info.value.loc.file == inspect.getsourcefile(top)
