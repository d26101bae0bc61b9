"""Differential tests: hardware (Amaranth sim) == reference interpreter == numpy, bit for bit,
on random and edge-case inputs, for every kernel of the shared registry (tests/kernels.py)."""
import numpy as np
import pytest

import allo_rtl as allo
from kernels import CASES, assert_same, copy_args






@pytest.fixture(scope="module")
def built():
    """One customize + build per kernel, shared by the input variants."""
    cache = {}

    def get(case):
        if case.name not in cache:
            s = allo.customize(case.kernel)
            cache[case.name] = (s.build(target="python"), s.build())
        return cache[case.name]
    return get


def _params():
    for case in CASES:
        marks = [pytest.mark.slow] if case.slow else []
        for edge in (False, True):
            yield pytest.param(case, edge, id=f"{case.name}-{'edge' if edge else 'random'}",
                               marks=marks)


@pytest.mark.parametrize("case, edge", list(_params()))
def test_hardware_matches_interpreter_and_numpy(case, edge, built):
    rng = np.random.default_rng(sum(map(ord, case.name)))
    args = case.make_inputs(rng, edge)
    ref_mod, hw_mod = built(case)
    np_args, ref_args, hw_args = copy_args(args), copy_args(args), copy_args(args)
    expected = case.reference(np_args)
    got_ref = ref_mod(*ref_args)
    got_hw = hw_mod(*hw_args)
    assert_same(got_ref, expected)
    assert_same(got_hw, expected)
    for k in case.inplace:
        assert_same(ref_args[k], np_args[k])
        assert_same(hw_args[k], np_args[k])
    assert hw_mod.cycles > 0
    top = next(f for f in hw_mod.design.report_dict()["functions"]
               if f["function"] == hw_mod.design.module.top)
    if top["latency_estimate"] is not None:          # None: data-dependent trip counts
        assert top["latency_estimate"] == hw_mod.cycles
