"""Two-port argument arrays (``@ Memory(storage_type="RAM_2P")``, hls/two_port.py): a read
port and a write port on the kernel, scheduled like an on-chip memory (one read and one write
per cycle), provided by the harness on every simulator. Results against numpy, cycles the
same on Amaranth, Icarus and Verilator and equal to the fast cycle model."""
import warnings

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import int32
from allo_rtl.memory import Memory, MemoryWarning

N = 8
SIMS = ["amaranth", pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=pytest.mark.verilator)]


def scale_rows(A: int32[N, N], C: int32[N, N] @ Memory(storage_type="RAM_2P")):
    for i in range(N):
        for j in range(N):
            C[i, j] = C[i, j] * 3 + A[i, j]


def scale_rows_one_port(A: int32[N, N], C: int32[N, N]):
    for i in range(N):
        for j in range(N):
            C[i, j] = C[i, j] * 3 + A[i, j]


def shift_in_place(C: int32[N] @ Memory(storage_type="RAM_2P")):
    # C[i] reads the word the iteration before wrote: a true recurrence through the memory
    for i in range(1, N):
        C[i] = C[i] + C[i - 1]


def _pipelined(kernel, loop):
    s = allo.customize(kernel)
    s.pipeline(loop)
    return s


def _ii(mod, loop):
    top = next(f for f in mod.design.report_dict()["functions"] if f["function"] == mod.design.name)
    return next(r for r in top["loops"] if r["name"] == loop)["ii"]


def _build(s, target):
    return s.build() if target == "amaranth" else s.build(target=target)


@pytest.mark.parametrize("target", SIMS)
def test_read_and_write_in_one_cycle(target):
    rng = np.random.default_rng(5)
    A = rng.integers(-1000, 1000, (N, N)).astype(np.int32)
    C = rng.integers(-1000, 1000, (N, N)).astype(np.int32)
    C[0, :3] = [2**31 - 1, -2**31, -1]             # edges: the product and the sum wrap
    A[0, :2] = [-2**31, 2**31 - 1]
    want = (C.astype(np.int64) * 3 + A).astype(np.int32)
    mod = _build(_pipelined(scale_rows, "j"), target)
    got, interp = C.copy(), C.copy()
    mod(A, got)
    _pipelined(scale_rows, "j").build(target="python")(A, interp)
    assert np.array_equal(interp, want)
    assert np.array_equal(got, want)
    assert _ii(mod, "j") == 1
    fast = _pipelined(scale_rows, "j").build(target="cycles")
    fast(A, C.copy())
    assert fast.cycles == mod.cycles
    one = _build(_pipelined(scale_rows_one_port, "j"), "amaranth")
    one_C = C.copy()
    one(A, one_C)
    assert np.array_equal(one_C, want)
    assert _ii(one, "j") == 2                     # one shared port: the read and the write
    assert mod.cycles < one.cycles - N * N // 2


def test_the_ports_and_the_report(tmp_path):
    mod = _pipelined(scale_rows, "j").build(target="verilog", project=tmp_path)
    v = mod.design.verilog
    for port in ("C_address0", "C_ce0", "C_q0", "C_address1", "C_ce1", "C_we1", "C_d1",
                 "A_we0"):
        assert port in v, port
    assert "C_we0" not in v and "C_d0" not in v
    rows = {r["name"]: r["ports"] for f in mod.design.report_dict()["functions"]
            for r in f["memories"]}
    assert rows == {"A": "1 shared r/w", "C": "1 read + 1 write (RAM_2P)"}


@pytest.mark.parametrize("target", SIMS)
def test_a_recurrence_through_the_two_ports_stays_right(target):
    C = np.random.default_rng(2).integers(-100, 100, N).astype(np.int32)
    want = np.cumsum(C).astype(np.int32)
    mod = _build(_pipelined(shift_in_place, "i"), target)
    got, interp = C.copy(), C.copy()
    mod(got)
    allo.customize(shift_in_place).build(target="python")(interp)
    assert np.array_equal(interp, want)
    assert np.array_equal(got, want)


def test_a_partitioned_argument_has_two_ports_per_bank():
    s = _pipelined(scale_rows, "j")
    s.partition(s.C, allo.Partition.Cyclic, dim=2, factor=2)
    s.partition(s.A, allo.Partition.Cyclic, dim=2, factor=2)
    s.unroll("j", factor=2)
    mod = s.build()
    A = np.arange(N * N, dtype=np.int32).reshape(N, N)
    C = np.ones((N, N), np.int32)
    mod(A, C)
    assert np.array_equal(C, 3 + A)
    rows = {r["name"]: r for f in mod.design.report_dict()["functions"] for r in f["memories"]}
    assert rows["C"]["banks"] == 2 and rows["C"]["ports"] == "1 read + 1 write (RAM_2P) per bank"
    assert _ii(mod, "j") == 1


def callee_rows(C: int32[N] @ Memory(storage_type="RAM_2P")):
    for i in range(N):
        C[i] = C[i] + 1


def caller(C: int32[N]):
    callee_rows(C)
    callee_rows(C)


def test_a_called_kernels_request_is_warned_and_keeps_one_port():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mod = allo.customize(caller).build()
    msgs = [str(w.message) for w in caught if issubclass(w.category, MemoryWarning)]
    assert any("callee_rows:C" in m and "not honoured" in m for m in msgs), msgs
    C = np.arange(N, dtype=np.int32)
    mod(C)
    assert np.array_equal(C, np.arange(N) + 2)
