"""No silent acceptance (issue 12): every schedule primitive refuses a keyword it does not
take, at the caller's line, naming the primitive and its signature, recording nothing;
the same for customize and df.customize; s.to takes Allo's axis= (warning) and depth=-1.
(The rewind warning, unknown attributes and customize's checked options are in
test_allo_compat_schedule.py.)"""
import inspect

import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.ir.types import int32
from allo_rtl.schedule import Schedule
from allo_rtl.schedule.allo_api import AlloCompatWarning, PrimitiveArgumentError


def kernel(A: int32[4, 4]) -> int32[4, 4]:
    B: int32[4, 4] = 0
    for i, j in allo.grid(4, 4, name="B"):
        B[i, j] = A[i, j] + 1
    return B


# Every public method of a Schedule but build (whose options are checked by build_options,
# test_build_options.py) and the read-only helpers that take no arguments.
PRIMITIVES = sorted(n for n, m in vars(Schedule).items()
                    if callable(m) and not n.startswith("_") and n not in ("build",)
                    and len(inspect.signature(m).parameters) > 1)


def test_the_list_covers_allos_primitives():
    assert {"split", "reorder", "fuse", "unroll", "pipeline", "parallel", "compute_at",
            "inline", "unfold", "partition", "buffer_at", "reuse_at", "reshape", "to",
            "dataflow", "compose", "get_loops", "get_equivalent_variables"} <= set(PRIMITIVES)


@pytest.mark.parametrize("name", PRIMITIVES)
def test_an_unknown_keyword_is_refused_at_the_call(name):
    s = allo.customize(kernel)
    method = getattr(Schedule, name)
    required = [p for p in list(inspect.signature(method).parameters.values())[1:]
                if p.default is inspect.Parameter.empty
                and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    args = ["i"] * len(required)
    line = inspect.currentframe().f_lineno + 3
    with pytest.raises(PrimitiveArgumentError,
                       match=rf"s\.{name}\(\) has no argument 'bogus'") as e:
        getattr(s, name)(*args, bogus=1)
    assert f"test_allo_compat_no_silent.py:{line}" in str(e.value)
    assert "Allo's signature" in str(e.value)
    assert s.primitives == []


def test_customize_and_df_customize_refuse_unknown_keywords():
    with pytest.raises(allo.AlloError, match="no argument 'bogus'"):
        allo.customize(kernel, bogus=1)

    @df.region()
    def top(A: int32[4]):
        @df.kernel(mapping=[1])
        def k(A: int32[4]):
            A[0] = 1

    with pytest.raises(allo.AlloError, match="no argument 'bogus'"):
        df.customize(top, bogus=1)


def two_bands(A: int32[4, 4]) -> int32[4, 4]:
    B: int32[4, 4]
    for i, j in allo.grid(4, 4):
        B[i, j] = A[i, j] * 2
    C: int32[4, 4]
    for ii, jj in allo.grid(4, 4, name="C"):
        C[ii, jj] = B[ii, jj] + 1
    return C


def test_to_takes_allos_axis_with_a_warning_and_its_default_depth():
    s = allo.customize(two_bands)
    with pytest.warns(AlloCompatWarning, match=r"s.to\(\.\.\., axis=1\) has no effect.*dataflow"):
        s.to(s.B, "C", axis=1, depth=3)
    s.to(s.B, "C", depth=-1)                 # Allo's "default depth"
    assert s.B.stream_to == [("C", 3), ("C", None)]
    a = np.arange(16, dtype=np.int32).reshape(4, 4)
    assert np.array_equal(s.build(target="python")(a), a * 2 + 1)
    with pytest.raises(allo.AlloError, match="depth must be a positive integer"):
        s.to(s.B, "C", depth=-2)
