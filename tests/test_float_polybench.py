"""float32 PolyBench (MINI) through the default build, bit for bit against numpy float32 in
the source's operation order (``float_polybench``): the kernels that simulate quickly, with
every innermost loop pipelined (and jacobi-1d also without a schedule). The whole suite with
cycle counts is ``benchmarks/bench_float_polybench.py``.
"""
import warnings

import numpy as np
import pytest

import allo_rtl as allo
import float_polybench as fp
from allo_rtl.hls.synthesize import PipelineWarning
from kernels import copy_args, pipeline_innermost

FAST = [("jacobi-1d", False), ("jacobi-1d", True), ("atax", True), ("bicg", True),
        ("gesummv", True), ("mvt", True)]


@pytest.mark.parametrize("name,pipelined", FAST,
                         ids=[f"{n}-{'pipelined' if p else 'default'}" for n, p in FAST])
def test_float_polybench_bit_exact(name, pipelined):
    case = fp.BY_NAME[name]
    s = allo.customize(case.kernel)
    if pipelined:
        pipeline_innermost(s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineWarning)
        mod = s.build()
    args = case.make_inputs(np.random.default_rng(11))
    ref = copy_args(args)
    case.reference(ref)
    py = copy_args(args)
    s.build(target="python")(*py)
    mod(*args)
    for k in case.written:
        assert np.array_equal(args[k].view(np.uint32), ref[k].view(np.uint32)), \
            f"{name}: argument {k} differs from numpy"
        assert np.array_equal(args[k].view(np.uint32), py[k].view(np.uint32))
    if pipelined:
        rows = [r for f in mod.report().to_dict()["functions"] for r in f["loops"]
                if r["pipelined"]]
        assert rows and all(r["ii"] >= 1 and r["note"].startswith(f"II={r['ii']}")
                            for r in rows)
