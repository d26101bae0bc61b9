"""Allo's schedule API surface: customize's arguments (none silently ignored), unknown
attributes, band iteration and .loops, get_equivalent_variables, allo.backend.hls and
allo.memory.Memory."""
import warnings

import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.backend.hls as hls
from allo_rtl.ir.types import int32
from allo_rtl.memory import Memory, MemoryWarning
from allo_rtl.schedule.allo_api import AlloCompatWarning


def gemm(A: int32[8, 8], B: int32[8, 8]) -> int32[8, 8]:
    C: int32[8, 8] = 0
    for i, j, k in allo.grid(8, 8, 8, name="C"):
        C[i, j] += A[i, k] * B[k, j]
    return C


def test_customize_arguments_are_checked():
    with pytest.raises(allo.AlloError, match="no argument 'instanciate'") as e:
        allo.customize(gemm, instanciate=[1])
    assert "did you mean instantiate" in str(e.value)
    assert "test_allo_compat_schedule.py" in str(e.value)
    with pytest.raises(allo.AlloError, match="typing_rule_set='cpp-style' is not implemented"):
        allo.customize(gemm, typing_rule_set="cpp-style")
    with pytest.warns(AlloCompatWarning, match="enable_tensor=True"):
        allo.customize(gemm, enable_tensor=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        allo.customize(gemm, verbose=False, typing_rule_set="default", unroll=True)


def test_global_vars_argument():
    def kernel(A: "int32[NN]") -> "int32[NN]":
        B: int32[NN] = 0
        for i in range(NN):
            B[i] = A[i] * FACTOR
        return B

    s = allo.customize(kernel, global_vars={"NN": 3, "FACTOR": 5})
    a = np.array([1, -2, 3], dtype=np.int32)
    assert np.array_equal(s.build(target="python")(a), a * 5)


def test_pipeline_rewind_warns_and_still_computes():
    s = allo.customize(gemm)
    with pytest.warns(AlloCompatWarning, match="rewind"):
        s.pipeline("k", rewind=True)
    a = np.arange(64, dtype=np.int32).reshape(8, 8) - 30
    assert np.array_equal(s.build()(a, a), a.astype(np.int64) @ a)


def test_unknown_attribute_names_close_matches():
    s = allo.customize(gemm)
    with pytest.raises(allo.AlloError, match="no primitive or array named 'reoder'") as e:
        s.reoder("i", "j")
    assert "'reorder'" in str(e.value)
    assert not hasattr(s, "compose_all")
    assert s.A.name == "A"


def test_band_iteration_and_loops_as_allo():
    s = allo.customize(gemm)
    s.split("i", 4)
    s.split("j", 4)
    s.reorder("i.outer", "j.outer", "i.inner", "j.inner")
    loops = s.get_loops()
    assert list(loops.C.loops) == ["i.outer", "j.outer", "i.inner", "j.inner", "k"]
    pairs = [(name, handle.name) for name, handle in loops["C"]]
    assert [p[0] for p in pairs] == list(loops.C.loops)
    assert [name for name, _ in loops] == ["C"] and list(loops.loops) == ["C"]
    a = np.arange(64, dtype=np.int32).reshape(8, 8)
    assert np.array_equal(s.build(target="python")(a, a), a @ a)


def inc(A: int32) -> int32:
    B: int32 = A + 1
    return B


def twice(A: int32, X: int32[4]) -> int32:
    return inc(A) + inc(X[0])


def top(A: int32, X: int32[4]) -> int32:
    D: int32 = A * 2
    return twice(D, X)


def test_equivalent_variables():
    s = allo.customize(top)
    assert s.get_equivalent_variables("top:D") == {"top:D", "twice:0", "inc:0"}
    assert s.get_equivalent_variables("top:1") == {"top:1", "twice:1"}
    assert s.get_equivalent_variables("top:nothing") == set()


def test_vendor_hls_is_not_available():
    assert hls.is_available("vitis_hls") is False and hls.is_available() is False


def test_memory_values():
    assert Memory(resource="bram", storage_type="ram_2p") == Memory("BRAM", "RAM_2P")
    assert len({Memory("BRAM"), Memory("bram"), Memory("URAM")}) == 2
    assert repr(Memory("URAM", latency=2)) == 'Memory(resource="URAM", latency=2)'
    for bad in ({"resource": "FLASH"}, {"storage_type": "RAM_9P"}, {"depth": 0}):
        with pytest.raises(ValueError):
            Memory(**bad)


def with_memory(a: int32[8] @ Memory(resource="URAM")) -> int32[8]:
    b: int32[8] @ Memory(resource="LUTRAM")
    for i in range(8):
        b[i] = a[i] + 1
    return b


def test_memory_annotation_recorded_and_reported():
    s = allo.customize(with_memory)
    assert s.memory_requests() == {"with_memory:a": Memory("URAM"),
                                   "with_memory:b": Memory("LUTRAM")}
    a = np.arange(8, dtype=np.int32)
    with pytest.warns(MemoryWarning, match="URAM.*not honoured.*no UltraRAM"):
        mod = s.build()
    assert np.array_equal(mod(a), a + 1)


def test_top_func_name_and_loops_with_run_time_bounds():
    def scf(A: int32, B: int32, C: int32[8]):
        times: int32 = A - B
        for i in range(times, name="scf_loop"):
            for j in range(8, name="target"):
                C[j] = C[j] + 1
    s = allo.customize(scf)
    assert s.top_func_name == "scf"
    band = s.get_loops(s.top_func_name)["scf_loop"]
    assert band["j"].name == "j"
    s.pipeline(band["j"])
    c = np.arange(8, dtype=np.int32)
    out = c.copy()
    s.build()(5, 2, out)
    assert np.array_equal(out, c + 3)


def dynamic(A: "int32[...]", n: int32):
    for i in range(n):
        A[i] = 0


def test_dynamic_shapes_are_refused_with_what_to_do():
    with pytest.raises(allo.AlloError, match=r"size known only at run time") as e:
        allo.customize(dynamic)
    assert f"test_allo_compat_schedule.py:{dynamic.__code__.co_firstlineno}" in str(e.value)
    assert "instantiate=" in str(e.value)


@pytest.mark.parametrize("target", ["vhls", "vitis_hls", "tapa"])
def test_allo_hls_targets_are_refused_as_out_of_scope(target):
    s = allo.customize(gemm)
    with pytest.raises(allo.AlloError, match=f"target '{target}' is one of Allo's HLS C\\+\\+ "
                                             "backends") as e:
        s.build(target=target)
    assert "test_allo_compat_schedule.py" in str(e.value) and "target='verilog'" in str(e.value)
