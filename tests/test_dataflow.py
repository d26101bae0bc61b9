"""Streams and dataflow regions on the reference interpreter (a Kahn process network):
results against numpy, deadlocks and structure errors reported with stage, stream and line."""
import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.errors import AlloError
from allo_rtl.ir.types import Stream, float32, int16, int32
from allo_rtl.ir.verifier import verify_module
from allo_rtl.sim.kpn import DeadlockError

rng = np.random.default_rng(15)
M, N, K = 4, 4, 4


def run(top, *args):
    mod = df.build(top, target="simulator")
    verify_module(mod.module)
    mod(*args)
    return mod


def test_producer_consumer():
    @df.region()
    def top(A: int32[M, N], B: int32[M, N]):
        pipe: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[A])
        def producer(local_A: int32[M, N]):
            for i, j in allo.grid(M, N):
                pipe.put(local_A[i, j] * 3)

        @df.kernel(mapping=[1], args=[B])
        def consumer(local_B: int32[M, N]):
            for i, j in allo.grid(M, N):
                local_B[i, j] = pipe.get() - 1

    A = rng.integers(-1000, 1000, (M, N)).astype(np.int32)
    B = np.zeros_like(A)
    run(top, A, B)
    np.testing.assert_array_equal(B, A * 3 - 1)


def test_three_stage_pipeline_with_blocks():
    """load -> scale (a stream of 2x4 blocks in, scalars out) -> store."""
    R = 2

    @df.region()
    def top(A: int16[M, N], B: int32[M, N]):
        blocks: Stream[int16[R, N], 2]
        vals: Stream[int32, 3]

        @df.kernel(mapping=[1], args=[A])
        def load(a: int16[M, N]):
            for t in range(M // R):
                blk: int16[R, N] = 0
                for r, c in allo.grid(R, N):
                    blk[r, c] = a[t * R + r, c]
                blocks.put(blk)

        @df.kernel(mapping=[1])
        def scale():
            for t in range(M // R):
                blk: int16[R, N] = blocks.get()
                for r, c in allo.grid(R, N):
                    v: int32 = blk[r, c]
                    vals.put(v * v + 7)

        @df.kernel(mapping=[1], args=[B])
        def store(b: int32[M, N]):
            for i, j in allo.grid(M, N):
                b[i, j] = vals.get()

    A = rng.integers(-300, 300, (M, N)).astype(np.int16)
    B = np.zeros((M, N), np.int32)
    run(top, A, B)
    np.testing.assert_array_equal(B, A.astype(np.int64) ** 2 + 7)


def systolic(P0, P1, KK):
    @df.region()
    def top(A: int32[P0, KK], B: int32[KK, P1], C: int32[P0, P1]):
        fifo_A: Stream[int32, 2][P0 + 2, P1 + 2]
        fifo_B: Stream[int32, 2][P0 + 2, P1 + 2]

        @df.kernel(mapping=[P0 + 2, P1 + 2], args=[A, B, C])
        def gemm(local_A: int32[P0, KK], local_B: int32[KK, P1], local_C: int32[P0, P1]):
            i, j = df.get_pid()
            with allo.meta_if(i in {0, P0 + 1} and j in {0, P1 + 1}):
                pass
            with allo.meta_elif(j == 0):
                for k in range(KK):
                    fifo_A[i, j + 1].put(local_A[i - 1, k])
            with allo.meta_elif(i == 0):
                for k in range(KK):
                    fifo_B[i + 1, j].put(local_B[k, j - 1])
            with allo.meta_elif(i == P0 + 1 and j > 0):
                for k in range(KK):
                    b: int32 = fifo_B[i, j].get()
            with allo.meta_elif(j == P1 + 1 and i > 0):
                for k in range(KK):
                    a: int32 = fifo_A[i, j].get()
            with allo.meta_else():
                c: int32 = 0
                for k in range(KK):
                    a: int32 = fifo_A[i, j].get()
                    b: int32 = fifo_B[i, j].get()
                    c += a * b
                    fifo_A[i, j + 1].put(a)
                    fifo_B[i + 1, j].put(b)
                local_C[i - 1, j - 1] = c
    return top


@pytest.mark.parametrize("P0,P1,KK", [(4, 4, 6), (2, 3, 5)])
def test_systolic_gemm_against_numpy(P0, P1, KK):
    top = systolic(P0, P1, KK)
    A = rng.integers(-100, 100, (P0, KK)).astype(np.int32)
    B = rng.integers(-100, 100, (KK, P1)).astype(np.int32)
    C = np.zeros((P0, P1), np.int32)
    mod = run(top, A, B, C)
    np.testing.assert_array_equal(C, A.astype(np.int64) @ B)
    # every PE is a stage; the corners are empty PEs (no stream)
    assert len(mod.module.functions) == (P0 + 2) * (P1 + 2) + 1


def test_cyclic_stream_pair():
    """Allo #561: a fwd/bwd pair of streams between two stages is a cycle, legal here."""
    T = 6

    @df.region()
    def top(A: int32[T], B: int32[T]):
        fwd: Stream[int32, 1]
        bwd: Stream[int32, 1]

        @df.kernel(mapping=[1], args=[A])
        def ping(a: int32[T]):
            acc: int32 = 0
            for t in range(T):
                fwd.put(a[t] + acc)
                acc = bwd.get()

        @df.kernel(mapping=[1], args=[B])
        def pong(b: int32[T]):
            for t in range(T):
                v: int32 = fwd.get()
                b[t] = v
                bwd.put(v * 2)

    A = rng.integers(-50, 50, T).astype(np.int32)
    B = np.zeros(T, np.int32)
    run(top, A, B)
    acc, want = 0, []
    for t in range(T):                         # the recurrence, in plain Python
        want.append(int(A[t]) + acc)
        acc = 2 * want[-1]
    np.testing.assert_array_equal(B, want)


def test_deadlock_is_reported_with_stages_and_streams():
    @df.region()
    def top(A: int32[4], B: int32[4]):
        x: Stream[int32, 2]
        y: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[A])
        def first(a: int32[4]):
            for t in range(4):
                v: int32 = y.get()          # waits for second, which waits for first
                x.put(a[t] + v)

        @df.kernel(mapping=[1], args=[B])
        def second(b: int32[4]):
            for t in range(4):
                w: int32 = x.get()
                b[t] = w
                y.put(w)

    with pytest.raises(DeadlockError) as err:
        run(top, np.zeros(4, np.int32), np.zeros(4, np.int32))
    msg = str(err.value)
    assert "stage first_0 waits to get from y (empty, 0/2)" in msg
    assert "stage second_0 waits to get from x (empty, 0/2)" in msg
    assert msg.count("test_dataflow.py:") >= 2


def test_undersized_fifo_is_a_deadlock_not_a_hang():
    """The producer puts all 8 values before the consumer's first get (which waits for a
    value on another stream that comes last): a depth-4 FIFO cannot hold them."""
    @df.region()
    def top(A: int32[8], B: int32[8]):
        data: Stream[int32, 4]
        go: Stream[int32, 1]

        @df.kernel(mapping=[1], args=[A])
        def producer(a: int32[8]):
            for t in range(8):
                data.put(a[t])
            go.put(1)

        @df.kernel(mapping=[1], args=[B])
        def consumer(b: int32[8]):
            g: int32 = go.get()
            for t in range(8):
                b[t] = data.get() + g

    with pytest.raises(DeadlockError, match=r"producer_0 waits to put into data \(full, 4/4\)"):
        run(top, np.arange(8, dtype=np.int32), np.zeros(8, np.int32))


def test_two_producers_refused_with_both_lines():
    def build():
        @df.region()
        def top(A: int32[4], B: int32[4]):
            pipe: Stream[int32, 2]

            @df.kernel(mapping=[2], args=[A])
            def producer(a: int32[4]):
                for t in range(2):
                    pipe.put(a[t])

            @df.kernel(mapping=[1], args=[B])
            def consumer(b: int32[4]):
                for t in range(4):
                    b[t] = pipe.get()
        return df.customize(top)

    with pytest.raises(AlloError) as err:
        build()
    msg = str(err.value)
    assert "stream pipe has two producers: stage producer_0" in msg
    assert "stage producer_1 at" in msg
    import inspect
    put_line = inspect.getsourcelines(build)[1] + 8
    assert msg.count(f"test_dataflow.py:{put_line}:") == 3   # both stages' put, and the caret


def test_get_and_put_on_one_stream_in_one_kernel_refused():
    with pytest.raises(AlloError, match=r"puts into pipe here and gets from it at line"):
        @df.region()
        def top(A: int32[4]):
            pipe: Stream[int32, 2]

            @df.kernel(mapping=[1], args=[A])
            def both(a: int32[4]):
                v: int32 = pipe.get()
                pipe.put(v)
        df.customize(top)


def test_wrong_element_type_refused_at_the_put():
    with pytest.raises(AlloError, match=r"pipe carries int16; this value is float32"):
        @df.region()
        def top(A: float32[4], B: int16[4]):
            pipe: Stream[int16, 2]

            @df.kernel(mapping=[1], args=[A])
            def prod(a: float32[4]):
                for t in range(4):
                    pipe.put(a[t])

            @df.kernel(mapping=[1], args=[B])
            def cons(b: int16[4]):
                for t in range(4):
                    b[t] = pipe.get()
        df.customize(top)


def test_stream_without_consumer_refused():
    with pytest.raises(AlloError, match=r"stream s is put into by stage p_0 .* but no stage "
                                        r"gets from it"):
        @df.region()
        def top(A: int32[4]):
            s: Stream[int32, 8]

            @df.kernel(mapping=[1], args=[A])
            def p(a: int32[4]):
                for t in range(4):
                    s.put(a[t])
        df.customize(top)


def test_stream_index_out_of_range_refused():
    with pytest.raises(AlloError, match=r"index 2 is out of range for dimension 0 of f"):
        @df.region()
        def top(A: int32[4]):
            f: Stream[int32, 2][2]

            @df.kernel(mapping=[2], args=[A])
            def p(a: int32[4]):
                i = df.get_pid()
                f[i + 1].put(a[i])
        df.customize(top)


def test_same_answer_for_any_fifo_depth():
    """A KPN's result does not depend on FIFO depths (only whether it deadlocks)."""
    outs = []
    for depth in (1, 2, 7):
        @df.region()
        def top(A: int32[8], B: int32[8]):
            s: Stream[int32, depth]

            @df.kernel(mapping=[1], args=[A])
            def p(a: int32[8]):
                for t in range(8):
                    s.put(a[t] ^ 5)

            @df.kernel(mapping=[1], args=[B])
            def c(b: int32[8]):
                for t in range(8):
                    b[t] = s.get()
        A = np.arange(8, dtype=np.int32) * 11
        B = np.zeros(8, np.int32)
        run(top, A, B)
        outs.append(B.copy())
        np.testing.assert_array_equal(B, A ^ 5)


def test_meta_for_over_an_array_of_streams():
    P = 3

    @df.region()
    def top(A: int32[P, 4], B: int32[P, 4]):
        fifo: Stream[int32, 2][P]

        @df.kernel(mapping=[1], args=[A])
        def scatter(a: int32[P, 4]):
            for t in range(4):
                with allo.meta_for(P) as p:
                    fifo[p].put(a[p, t])

        @df.kernel(mapping=[P], args=[B])
        def work(b: int32[P, 4]):
            p = df.get_pid()
            for t in range(4):
                b[p, t] = fifo[p].get() * (p + 1)

    A = rng.integers(-99, 99, (P, 4)).astype(np.int32)
    B = np.zeros_like(A)
    run(top, A, B)
    np.testing.assert_array_equal(B, A * np.arange(1, P + 1)[:, None])


N_INNER = 5


@df.region()
def inner_streaming(out: int32[1]):
    s: Stream[int32, 2]                      # shallower than the 5 values: must overlap

    @df.kernel(mapping=[1])
    def producer():
        for i in range(N_INNER):
            v: int32 = i * i
            s.put(v)

    @df.kernel(mapping=[1], args=[out])
    def consumer(o: int32[1]):
        acc: int32 = 0
        for i in range(N_INNER):
            acc += s.get()
        o[0] = acc


def test_region_called_from_a_stage_runs_its_own_stages_concurrently():
    @df.region()
    def outer(r: int32[1], q: int32[1]):
        @df.kernel(mapping=[2], args=[r, q])
        def driver(a: int32[1], b: int32[1]):
            i = df.get_pid()
            with allo.meta_if(i == 0):
                inner_streaming(a)
            with allo.meta_else():
                inner_streaming(b)

    r, q = np.zeros(1, np.int32), np.zeros(1, np.int32)
    run(outer, r, q)
    assert r[0] == q[0] == sum(i * i for i in range(N_INNER))


def test_run_time_stream_index_refused():
    with pytest.raises(AlloError, match=r"'t' is a kernel variable; the index of an array of "
                                        r"streams is computed when the kernel is parsed"):
        @df.region()
        def top(A: int32[2]):
            f: Stream[int32, 2][2]

            @df.kernel(mapping=[1], args=[A])
            def p(a: int32[2]):
                for t in range(2):
                    f[t].put(a[t])

            @df.kernel(mapping=[1], args=[A])
            def c(a: int32[2]):
                with allo.meta_for(2) as t:
                    a[t] = f[t].get()
        df.customize(top)


def test_hardware_build_of_a_region_with_streams_runs_its_stages_concurrently():
    """(tests/test_stream_hw.py checks the hardware in depth.)"""
    @df.region()
    def top(A: int32[2], B: int32[2]):
        s: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[A])
        def p(a: int32[2]):
            for t in range(2):
                s.put(a[t])

        @df.kernel(mapping=[1], args=[B])
        def c(b: int32[2]):
            for t in range(2):
                b[t] = s.get()
    A, B = np.array([5, -9], np.int32), np.zeros(2, np.int32)
    df.customize(top).build()(A, B)
    np.testing.assert_array_equal(B, A)


def test_verifier_catches_broken_stream_ir():
    from allo_rtl.ir import nodes as ir
    from allo_rtl.ir.printer import format_module
    from allo_rtl.ir.streams import StreamType
    from allo_rtl.ir.verifier import IRVerifyError

    @df.region()
    def top(A: int32[2], B: int32[2]):
        s: Stream[int32, 3]

        @df.kernel(mapping=[1], args=[A])
        def p(a: int32[2]):
            for t in range(2):
                s.put(a[t])

        @df.kernel(mapping=[1], args=[B])
        def c(b: int32[2]):
            for t in range(2):
                b[t] = s.get()
    m = df.customize(top).module
    text = format_module(m)
    assert "local s: Stream[int32, 3]" in text and "s.put(a[t])" in text
    assert "dataflow 'top':" in text and "call @p_0(A, s)" in text
    region = m.functions["top"]
    call = region.body[-1].stages[0]
    call.args[-1] = ir.Channel("other", StreamType(int32, 3))      # not declared in top
    with pytest.raises(IRVerifyError, match="not declared"):
        verify_module(m)
    call.args[-1] = ir.Channel("s2", StreamType(int16, 3))
    region.locals.append(call.args[-1])
    with pytest.raises(IRVerifyError, match="needs a stream Stream\\[int32, 3\\]"):
        verify_module(m)


def test_stream_used_as_a_value_refused():
    with pytest.raises(AlloError, match=r"'pipe' is a stream, not a value\n.*\n.*\nhint: read it "
                                        r"with pipe.get\(\)"):
        @df.region()
        def top(A: int32[2]):
            pipe: Stream[int32, 2]

            @df.kernel(mapping=[1], args=[A])
            def p(a: int32[2]):
                a[0] = pipe + 1
        df.customize(top)


def test_stream_statistics_and_a_returned_producer_named_in_the_deadlock():
    @df.region()
    def top(A: int32[6], B: int32[6]):
        s: Stream[int32, 4]

        @df.kernel(mapping=[1], args=[A])
        def p(a: int32[6]):
            for t in range(5):              # one value short
                s.put(a[t])

        @df.kernel(mapping=[1], args=[B])
        def c(b: int32[6]):
            for t in range(6):
                b[t] = s.get()
    mod = df.build(top, target="simulator")
    with pytest.raises(DeadlockError, match=r"c_0 waits to get from s \(empty, 0/4\) at .*; its "
                                            r"producer p_0 has returned"):
        mod(np.arange(6, dtype=np.int32), np.zeros(6, np.int32))
    st = mod.streams["top:s"]
    assert (st.puts, st.gets, st.left, st.depth) == (5, 5, 0, 4)
    assert 1 <= st.max_fill <= 4
    assert "top:s" in mod.stream_report()


def test_region_without_streams_builds_hardware_with_stages_in_turn():
    """Allo's tiled gemm (PEs writing their own tiles, no streams), with integers."""
    MM, KK, P0, P1 = 4, 3, 2, 2
    Mt, Nt = MM // P0, MM // P1

    @df.region()
    def top(A: int32[MM, KK], B: int32[KK, MM], C: int32[MM, MM]):
        @df.kernel(mapping=[P0, P1], args=[A, B, C])
        def gemm(a: int32[MM, KK], b: int32[KK, MM], c: int32[MM, MM]):
            pi, pj = df.get_pid()
            for i in range(pi * Mt, (pi + 1) * Mt):
                for j in range(pj * Nt, (pj + 1) * Nt):
                    for k in range(KK):
                        c[i, j] += a[i, k] * b[k, j]

    A = rng.integers(-50, 50, (MM, KK)).astype(np.int32)
    B = rng.integers(-50, 50, (KK, MM)).astype(np.int32)
    s = df.customize(top)
    before = str(s)
    for target in ("python", None):
        C = np.zeros((MM, MM), np.int32)
        s.build(target=target)(A, B, C)
        np.testing.assert_array_equal(C, A.astype(np.int64) @ B)
    assert str(s) == before and "dataflow 'top'" in before      # the schedule's IR is kept


def test_get_in_a_conditional_expression_refused():
    with pytest.raises(AlloError, match=r"\.get\(\) inside a conditional expression would run "
                                        r"even when its branch is not taken"):
        @df.region()
        def top(A: int32[4], B: int32[4]):
            s: Stream[int32, 2]

            @df.kernel(mapping=[1], args=[A])
            def p(a: int32[4]):
                for t in range(4):
                    s.put(a[t])

            @df.kernel(mapping=[1], args=[B])
            def c(b: int32[4]):
                for t in range(4):
                    b[t] = s.get() if t % 2 == 0 else 0
        df.customize(top)


def test_conditional_get_in_an_if_statement():
    @df.region()
    def top(A: int32[4], B: int32[4]):
        s: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[A])
        def p(a: int32[4]):
            for t in range(4):
                if t % 2 == 0:
                    s.put(a[t])

        @df.kernel(mapping=[1], args=[B])
        def c(b: int32[4]):
            for t in range(4):
                if t % 2 == 0:
                    b[t] = s.get()
                else:
                    b[t] = -1
    A = rng.integers(-9, 9, 4).astype(np.int32)
    B = np.zeros(4, np.int32)
    run(top, A, B)
    np.testing.assert_array_equal(B, [A[0], -1, A[2], -1])


def test_streams_used_through_helper_kernels():
    """A stage may put/get through kernels it calls; the structure check sees through them."""
    @df.region()
    def ok(A: int32[4], B: int32[4]):
        s: Stream[int32, 2]

        def send(v: int32):
            s.put(v * 2)

        @df.kernel(mapping=[1], args=[A])
        def p(a: int32[4]):
            for t in range(4):
                send(a[t])

        @df.kernel(mapping=[1], args=[B])
        def c(b: int32[4]):
            for t in range(4):
                b[t] = s.get()
    A = rng.integers(-9, 9, 4).astype(np.int32)
    B = np.zeros(4, np.int32)
    run(ok, A, B)
    np.testing.assert_array_equal(B, A * 2)

    with pytest.raises(AlloError, match=r"stage p_0 both puts into stream s \(at .*\) and gets "
                                        r"from it"):
        @df.region()
        def loop(A: int32[4]):
            s: Stream[int32, 2]

            def send(v: int32):
                s.put(v)

            def receive() -> int32:
                return s.get()

            @df.kernel(mapping=[1], args=[A])
            def p(a: int32[4]):
                for t in range(4):
                    send(a[t])
                    a[t] = receive()
        df.customize(loop)


def test_region_scalars_are_captured_by_the_stages():
    @df.region()
    def top(n: int32, A: int32[4], B: int32[4]):
        s: Stream[int32, 2]

        @df.kernel(mapping=[1], args=[A])
        def p(a: int32[4]):
            for t in range(4):
                s.put(a[t] * n)

        @df.kernel(mapping=[1], args=[B])
        def c(b: int32[4]):
            for t in range(4):
                b[t] = s.get() + n

    A = rng.integers(-9, 9, 4).astype(np.int32)
    B = np.zeros(4, np.int32)
    mod = run(top, 5, A, B)
    np.testing.assert_array_equal(B, A * 5 + 5)
    assert [p.name for p in mod.module.functions["p_0"].params] == ["a", "n", "s"]
