"""Design-space exploration (allo_rtl.dse): the search space, the Pareto front against a
brute-force numpy check, points timed by the cycle model equal to the RTL simulation,
refused schedules kept with their error, the same results in-process, on local processes and
on a real Dask ``distributed.LocalCluster``, and progress lines only when asked or on a TTY."""
import io

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl import dse, int32

N = 4


def gemm4(A: int32[N, N], B: int32[N, N]) -> int32[N, N]:
    C: int32[N, N] = 0
    for i, j, k in allo.grid(N, N, N):
        C[i, j] += A[i, k] * B[k, j]
    return C


def schedule(s, pipeline, unroll):
    if unroll > 1:
        s.unroll("k", unroll)
    if pipeline:
        s.pipeline(pipeline)


SPACE = dse.Space(pipeline=[None, "j", "nope"], unroll=[1, 2])


def test_space_is_the_product_in_order_and_samples_reproducibly():
    sp = dse.Space(a=[1, 2, 3], b=["x", "y"])
    pts = sp.points()
    assert len(sp) == 6 and pts[0] == {"a": 1, "b": "x"} and pts[1] == {"a": 1, "b": "y"}
    sub = sp.points(limit=4, seed=3)
    assert len(sub) == 4 and sub == sp.points(limit=4, seed=3)
    assert all(p in pts for p in sub) and len({tuple(p.items()) for p in sub}) == 4


@pytest.mark.parametrize("bad", [{"a": 3}, {"a": []}, {"a": "xy"}, {}])
def test_bad_spaces_are_refused(bad):
    with pytest.raises(allo.AlloError):
        dse.Space(**bad)


def test_pareto_front_matches_a_brute_force_check():
    rng = np.random.default_rng(0)
    for _ in range(20):
        X = rng.integers(0, 6, (30, 3))
        pts = [dict(cycles=int(a), lut=int(b), dsp=int(c), id=k) for k, (a, b, c) in
               enumerate(X)]
        front = {p["id"] for p in dse.pareto_front(pts)}
        le = (X[None, :, :] <= X[:, None, :]).all(axis=2)    # [p, q]: q <= p everywhere
        lt = (X[None, :, :] < X[:, None, :]).any(axis=2)
        dominated = (le & lt).any(axis=1)
        assert front == set(np.flatnonzero(~dominated))


def test_a_hand_made_front():
    pts = [dict(cycles=10, lut=5, dsp=1), dict(cycles=5, lut=10, dsp=1),
           dict(cycles=10, lut=10, dsp=1), dict(cycles=20, lut=1, dsp=0)]
    assert dse.pareto_front(pts) == [pts[0], pts[1], pts[3]]


def _simulated_cycles(params):
    s = allo.customize(gemm4)
    schedule(s, **params)
    mod = s.build()
    rng = np.random.default_rng(1)
    mod(*[rng.integers(-9, 9, (N, N)).astype(np.int32) for _ in range(2)])
    return mod.cycles


def test_points_carry_exact_cycles_and_refusals_their_error():
    exp = dse.explore(gemm4, schedule, SPACE, workers=0)
    assert len(exp.points) == 6
    refused = [p for p in exp.points if "error" in p]
    assert {p["params"]["pipeline"] for p in refused} == {"nope"}
    assert all("nope" in p["error"] for p in refused)
    for p in exp.feasible:
        assert p["cycles"] == _simulated_cycles(p["params"]), p
    assert exp.front and all(p in exp.feasible for p in exp.front)
    # a 32x32 multiplier is 4 DSP blocks; sequential loops share one, the pipelined j loop
    # (k unrolled inside it at II=1) needs one per k
    dsp = {tuple(p["params"].values()): p["dsp"] for p in exp.feasible}
    assert dsp[None, 1] == dsp[None, 2] == 4 and dsp["j", 1] == N * 4


def test_local_processes_and_a_dask_cluster_give_the_same_points(tmp_path):
    from distributed import Client, LocalCluster
    serial = dse.explore(gemm4, schedule, SPACE, workers=0)
    procs = dse.explore(gemm4, schedule, SPACE, workers=2)
    with LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                      dashboard_address=None) as cluster:
        by_address = dse.explore(gemm4, schedule, SPACE, address=cluster.scheduler_address)
        with Client(cluster) as client:
            by_client = dse.explore(gemm4, schedule, SPACE, address=client)

    def strip(exp):
        return [{k: v for k, v in p.items() if k != "compile_s"} for p in exp.points]
    assert strip(serial) == strip(procs) == strip(by_address) == strip(by_client)
    paths = by_client.plot(tmp_path / "front")
    assert [p.suffix for p in paths] == [".png", ".svg"] and all(p.stat().st_size > 1000
                                                                  for p in paths)


def test_progress_only_when_asked_or_on_a_terminal():
    quiet, loud = io.StringIO(), io.StringIO()
    dse.explore(gemm4, schedule, dse.Space(pipeline=[None], unroll=[1, 2]), workers=0, out=quiet)
    dse.explore(gemm4, schedule, dse.Space(pipeline=[None], unroll=[1, 2]), workers=0, out=loud,
                progress=True)
    assert quiet.getvalue() == ""
    lines = loud.getvalue().splitlines()
    assert len(lines) == 2 and lines[-1].startswith("[dse] [####################] 2/2 ")


@pytest.mark.board
@pytest.mark.slow
def test_board_builds_refine_the_front(tmp_path):
    """On the iCEBreaker (8 DSPs) the sequential point builds; the pipelined one needs four
    32x32 multipliers, does not fit, and says so in its board entry instead of stopping."""
    exp = dse.explore(gemm4, schedule, dse.Space(pipeline=[None, "j"], unroll=[1]), workers=0,
                      board="icebreaker", project=tmp_path)
    by = {p["params"]["pipeline"]: p for p in exp.front}
    assert set(by) == {None, "j"}
    seq, piped = by[None]["board"], by["j"]["board"]
    assert seq["fmax_mhz"] > 0 and seq["lut"] > 0 and seq["ff"] > 0 and seq["dsp"] >= 1
    assert "failed" in piped["error"] and "error" not in seq
