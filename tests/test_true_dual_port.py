"""On-chip memories with two read/write ports (``@ Memory(storage_type="RAM_T2P")`` on a
local array, hls/port_binding.py): the accesses alternate between the ports, so two reads (or
a read and a write) share a cycle. Results against numpy and the interpreter, cycles the same
on Amaranth, Icarus and Verilator and equal to the fast cycle model; refused on iCE40."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloError
from allo_rtl.hls.cdfg import build_cdfg
from allo_rtl.hls.port_binding import _blocks, bind_ports, dual_port_buffers
from allo_rtl.ir.types import int32
from allo_rtl.memory import Memory, MemoryWarning

N = 16
SIMS = ["amaranth", pytest.param("icarus", marks=pytest.mark.icarus),
        pytest.param("verilator", marks=pytest.mark.verilator)]


def neighbours(X: int32[N]) -> int32[N - 1]:
    A: int32[N] @ Memory(storage_type="RAM_T2P") = 0
    for i in range(N):
        A[i] = X[i] * 3
    Y: int32[N - 1] = 0
    for i in range(N - 1):
        Y[i] = A[i] + A[i + 1]          # two reads of A per iteration
    return Y


def neighbours_1r1w(X: int32[N]) -> int32[N - 1]:
    A: int32[N] = 0
    for i in range(N):
        A[i] = X[i] * 3
    Y: int32[N - 1] = 0
    for i in range(N - 1):
        Y[i] = A[i] + A[i + 1]
    return Y


def running_sum(X: int32[N]) -> int32[N]:
    # A[i - 1] is the word the iteration before wrote: the read on one port must see the
    # write on the other, a cycle later at the earliest
    A: int32[N] @ Memory(storage_type="RAM_T2P") = 0
    for i in range(N):
        A[i] = X[i]
    for i in range(1, N):
        A[i] = A[i] + A[i - 1]
    Y: int32[N] = 0
    for i in range(N):
        Y[i] = A[i]
    return Y


def _inputs(seed):
    X = np.random.default_rng(seed).integers(-2**31, 2**31, N).astype(np.int32)
    X[:4] = [2**31 - 1, -2**31, -1, 2**30]        # products and sums wrap
    return X


def _wrap(v):
    return ((np.asarray(v, dtype=object) + 2**31) % 2**32 - 2**31).astype(np.int64)


def _neighbours_ref(X):
    A = _wrap([int(x) * 3 for x in X])
    return _wrap([int(a) + int(b) for a, b in zip(A[:-1], A[1:])]).astype(np.int32)


def _running_ref(X):
    out, acc = [], 0
    for x in X:
        acc = int(_wrap([acc + int(x)])[0])
        out.append(acc)
    return np.array(out, dtype=np.int32)


def _schedule(kernel, pipeline):
    s = allo.customize(kernel)
    if pipeline:
        s.pipeline(pipeline)
    return s


def _build(s, target):
    return s.build() if target == "amaranth" else s.build(target=target)


def _loop(mod, name):
    top = next(f for f in mod.design.report_dict()["functions"] if f["function"] == mod.design.name)
    return next(r for r in top["loops"] if r["name"] == name)


@pytest.mark.parametrize("target", SIMS)
@pytest.mark.parametrize("kernel, ref, loop", [(neighbours, _neighbours_ref, "i1"),
                                               (running_sum, _running_ref, "i1")],
                         ids=["neighbours", "running_sum"])
def test_two_ports_give_the_numpy_result_and_the_modelled_cycles(target, kernel, ref, loop):
    # pipelined and not on Amaranth; the HDL simulators (a build each) run the pipelined one
    for pipeline in (loop, None) if target == "amaranth" else (loop,):
        X = _inputs(4)
        want = ref(X)
        mod = _build(_schedule(kernel, pipeline), target)
        assert np.array_equal(mod(X), want)
        assert np.array_equal(_schedule(kernel, pipeline).build(target="python")(X), want)
        fast = _schedule(kernel, pipeline).build(target="cycles")
        fast(X)
        assert fast.cycles == mod.cycles


def test_two_reads_per_iteration_pipeline_at_ii_1_and_save_cycles():
    X = _inputs(5)
    two = _schedule(neighbours, "i1").build()
    one = _schedule(neighbours_1r1w, "i1").build()
    assert np.array_equal(two(X), _neighbours_ref(X))
    assert np.array_equal(one(X), _neighbours_ref(X))
    assert _loop(two, "i1")["ii"] == 1
    assert _loop(one, "i1")["ii"] == 2            # one read port, two reads
    assert "RAM_T2P" in _loop(one, "i1")["note"]   # the II note names the fix
    # the loop saves a cycle per iteration after the first (and one of depth), nothing else
    assert _loop(two, "i1")["latency"] == (N - 2) * 1 + _loop(two, "i1")["depth"]
    assert _loop(one, "i1")["latency"] == (N - 2) * 2 + _loop(one, "i1")["depth"]
    assert one.cycles - two.cycles == _loop(one, "i1")["latency"] - _loop(two, "i1")["latency"]
    # not pipelined: both reads of an iteration in one state
    seq_two, seq_one = _schedule(neighbours, None).build(), _schedule(neighbours_1r1w, None).build()
    assert np.array_equal(seq_two(X), _neighbours_ref(X))
    assert np.array_equal(seq_one(X), _neighbours_ref(X))
    assert seq_two.cycles < seq_one.cycles


def test_the_report_shows_the_ports():
    mod = _schedule(neighbours, "i1").build()
    rows = {r["name"]: r["ports"] for f in mod.design.report_dict()["functions"]
            for r in f["memories"]}
    assert rows["A"] == "2 read/write (RAM_T2P)"
    assert rows["Y"] == "1 shared r/w"
    assert "2 read/write (RAM_T2P)" in str(mod.report())


def test_the_printed_modulo_schedule_names_each_accesss_port_and_slot():
    text = _schedule(neighbours, "i1").build().design.dump()
    pipe = text[text.index("pipeline i1"):]
    loads = [line for line in pipe.splitlines() if " load A[" in line]
    assert len(loads) == 2
    assert "port 0" in loads[0] and "port 1" in loads[1]
    assert all("[slot 0]" in line for line in loads)     # II 1: one slot, both ports in it


def test_accesses_alternate_between_the_ports_in_each_block():
    f = allo.customize(neighbours).module.top_func
    cdfg = build_cdfg(f)
    dual = dual_port_buffers(f, top=True)
    assert len(dual) == 1
    assert bind_ports(cdfg, dual) > 0
    seen = False
    for block in _blocks(cdfg.body):
        ports = [op.port for op in block.ops if op.info.is_memory and id(op.buf) in dual]
        assert ports == [k % 2 for k in range(len(ports))]
        seen |= ports == [0, 1]                   # the body reading A[i] and A[i + 1]
        others = [op.port for op in block.ops if op.info.is_memory and id(op.buf) not in dual]
        assert set(others) <= {None}
    assert seen


def test_ecp5_builds_it_and_ice40_refuses_it(tmp_path):
    mod = _schedule(neighbours, "i1").build(target="verilog", family="ecp5",
                                           project=tmp_path / "ecp5")
    assert _loop(mod, "i1")["ii"] == 1
    with pytest.raises(AlloError) as e:
        _schedule(neighbours, "i1").build(target="verilog", family="ice40",
                                          project=tmp_path / "ice40")
    msg = str(e.value)
    assert "test_true_dual_port.py:21" in msg and "RAM_T2P" in msg and "ice40" in msg
    assert "hint:" in msg


def arg_neighbours(A: int32[N] @ Memory(storage_type="RAM_T2P"), Y: int32[N]):
    for i in range(N - 1):
        Y[i] = A[i] + A[i + 1]


def arg_neighbours_one_port(A: int32[N], Y: int32[N]):
    for i in range(N - 1):
        Y[i] = A[i] + A[i + 1]


def arg_running_sum(A: int32[N] @ Memory(storage_type="RAM_T2P")):
    for i in range(1, N):
        A[i] = A[i] + A[i - 1]


@pytest.mark.parametrize("target", SIMS)
def test_an_argument_with_two_port_sets_on_every_simulator(target):
    X = _inputs(7)
    mod = _build(_schedule(arg_neighbours, "i"), target)
    Y = np.zeros(N, np.int32)
    mod(X.copy(), Y)
    assert np.array_equal(Y[:-1], _wrap([int(a) + int(b) for a, b in zip(X[:-1], X[1:])]))
    assert _loop(mod, "i")["ii"] == 1
    assert mod.reads == {"A": 2 * (N - 1), "Y": 0}     # both ports' reads counted
    fast = _schedule(arg_neighbours, "i").build(target="cycles")
    fast(X.copy(), np.zeros(N, np.int32))
    assert fast.cycles == mod.cycles
    A, interp = X.copy(), X.copy()
    _build(_schedule(arg_running_sum, "i"), target)(A)
    allo.customize(arg_running_sum).build(target="python")(interp)
    assert np.array_equal(A, _running_ref(X))
    assert np.array_equal(interp, _running_ref(X))


def test_an_argument_with_two_port_sets_halves_the_ii_and_shows_its_ports(tmp_path):
    X = _inputs(8)
    two = _schedule(arg_neighbours, "i").build()
    one = _schedule(arg_neighbours_one_port, "i").build()
    for mod in (two, one):
        Y = np.zeros(N, np.int32)
        mod(X.copy(), Y)
        assert np.array_equal(Y[:-1], _wrap([int(a) + int(b) for a, b in zip(X[:-1], X[1:])]))
    assert (_loop(two, "i")["ii"], _loop(one, "i")["ii"]) == (1, 2)
    assert two.cycles < one.cycles
    rows = {r["name"]: r["ports"] for f in two.design.report_dict()["functions"]
            for r in f["memories"]}
    assert rows == {"A": "2 read/write (RAM_T2P)", "Y": "1 shared r/w"}
    v = _schedule(arg_neighbours, "i").build(target="verilog", project=tmp_path).design.verilog
    for port in ("A_address0", "A_ce0", "A_we0", "A_d0", "A_q0",
                 "A_address1", "A_ce1", "A_we1", "A_d1", "A_q1"):
        assert port in v, port
    assert "Y_q1" not in v


def syrk_two_ports(alpha: int32, beta: int32, C: int32[8, 8] @ Memory(storage_type="RAM_2P"),
                   A: int32[8, 8] @ Memory(storage_type="RAM_T2P")):
    for i in range(8):
        for j in range(i + 1):
            C[i, j] *= beta
        for k in range(8):
            for j in range(i + 1):
                C[i, j] += alpha * A[i, k] * A[j, k]


def test_syrk_inner_loop_reads_both_rows_of_a_in_one_cycle():
    """PolyBench syrk (tests/kernels.py) with C read + write (RAM_2P) and A two read/write
    ports: j1 reads A[i, k] and A[j, k] per iteration, so with one read port it waits."""
    rng = np.random.default_rng(9)
    A = rng.integers(-2**31, 2**31, (8, 8)).astype(np.int32)
    C = rng.integers(-2**31, 2**31, (8, 8)).astype(np.int32)
    alpha, beta = -3, 2**30 + 7
    full = _wrap(beta * C.astype(object) + alpha * (A.astype(object) @ A.astype(object).T))
    want = C.copy()
    lower = np.tril(np.ones((8, 8), dtype=bool))
    want[lower] = full[lower].astype(np.int32)
    s = allo.customize(syrk_two_ports)
    s.pipeline("j")
    s.pipeline("j1")
    mod = s.build()
    got = C.copy()
    mod(alpha, beta, got, A.copy())
    assert np.array_equal(got, want)
    assert (_loop(mod, "j")["ii"], _loop(mod, "j1")["ii"]) == (1, 1)


def callee_t2p(A: int32[N] @ Memory(storage_type="RAM_T2P")):
    for i in range(N):
        A[i] = A[i] * 2


def calls_it(A: int32[N]):
    callee_t2p(A)


def test_a_called_kernels_request_is_warned_and_keeps_one_port():
    with pytest.warns(MemoryWarning, match="callee_t2p:A.*not honoured.*one shared"):
        mod = allo.customize(calls_it).build()
    A = np.arange(N, dtype=np.int32)
    mod(A)
    assert np.array_equal(A, 2 * np.arange(N))
