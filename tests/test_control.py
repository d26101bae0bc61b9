"""The Control IR (hls.control): printer, verifier and its latency model against hardware.

Behaviour (results under stalls) is tested in test_stall.py; here: the verifier accepts what
the builder makes and refuses each broken invariant, the printer is deterministic, and the
static latency equals the cycles the emitted hardware takes (measured by the harness)."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.hls.control import ControlError, ExternalStall, Transition
from allo_rtl.hls.control_build import build_control
from allo_rtl.hls.control_latency import static_latency
from allo_rtl.rtl.build import HardwareDesign
from kernels import CASES, copy_args, pipeline_innermost
from test_stall import calls_variable, gemm_schedule


def _control(s, name=None, **kw):
    design = HardwareDesign(s.module, **kw)
    return design, design.designs[name or s.module.top].control


def test_gemm_control_prints_states_in_order():
    _, ctl = _control(gemm_schedule())
    text = ctl.format()
    assert text == _control(gemm_schedule())[1].format()       # deterministic
    lines = text.splitlines()
    assert lines[0] == f"control gemm: {len(ctl.states)} states"
    assert [ln.split()[0] for ln in lines[1:]] == [f"s{k}" for k in range(len(ctl.states))]
    kinds = [s.kind for s in ctl.states]
    assert kinds[0] == "idle" and kinds[-1] == "done" and "pipeline" in kinds


def test_stall_source_reaches_every_state_but_idle():
    _, ctl = _control(gemm_schedule(), stall_source=True)
    assert ctl.external_stall
    assert "stall_in" not in ctl.states[ctl.idle].format()
    assert all("stall_in" in s.format() for s in ctl.states if s.kind != "idle")


def test_call_waits_through_its_stall_condition():
    _, ctl = _control(allo.customize(calls_variable))
    waits = [s for s in ctl.states if s.kind == "wait"]
    assert len(waits) == 2
    for w in waits:
        assert w.stall.format() == "count_down.~done"
        assert [t.cond for t in w.transitions] == [None]


def test_verifier_refuses_a_missing_target():
    _, ctl = _control(gemm_schedule())
    ctl.states[1].transitions.append(Transition(None, 99))
    with pytest.raises(ControlError, match="missing state s99|hides later"):
        ctl.check()


def test_verifier_refuses_an_unreachable_state():
    design, ctl = _control(gemm_schedule())
    ctl = build_control(design.designs["gemm"])
    ctl.states[0].transitions[0] = Transition(None, ctl.done)
    with pytest.raises(ControlError, match="not reachable from idle"):
        ctl.check()


def test_verifier_refuses_a_block_cycle_run_twice():
    _, ctl = _control(gemm_schedule())
    first = next(s for s in ctl.states if s.run is not None and s.kind == "step")
    ctl.states[ctl.done].run = first.run
    with pytest.raises(ControlError, match="runs in"):
        ctl.check()


def test_verifier_refuses_two_done_states():
    _, ctl = _control(gemm_schedule())
    ctl.states[1].kind = "done"
    with pytest.raises(ControlError, match="exactly one idle and one done"):
        ctl.check()


def test_verifier_refuses_a_pipeline_left_before_it_drained():
    _, ctl = _control(gemm_schedule())
    index, _ = ctl.pipelines[0]
    ctl.states[index].transitions.insert(0, Transition(ExternalStall(), ctl.done))
    with pytest.raises(ControlError, match="only leave when drained"):
        ctl.check()


def test_verifier_refuses_a_call_start_on_a_transition():
    _, ctl = _control(allo.customize(calls_variable))
    args = next(s for s in ctl.states if any(type(a).__name__ == "CallStart" for a in s.actions))
    start = args.actions.pop()
    args.transitions[0] = Transition(None, args.transitions[0].target, (start,))
    with pytest.raises(ControlError, match="CallStart on a transition"):
        ctl.check()


def test_verifier_refuses_an_external_stall_the_kernel_lacks():
    _, ctl = _control(gemm_schedule())
    ctl.states[1].stall = ExternalStall()
    with pytest.raises(ControlError, match="external input"):
        ctl.check()


def test_verifier_refuses_a_wait_state_that_does_not_wait():
    _, ctl = _control(allo.customize(calls_variable))
    wait = next(s for s in ctl.states if s.kind == "wait")
    wait.stall = None
    with pytest.raises(ControlError, match="does not wait"):
        ctl.check()


@pytest.mark.parametrize("pipelined", [False, True], ids=["plain", "pipelined"])
@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=lambda c: c.name)
def test_static_latency_is_the_measured_cycles(case, pipelined):
    s = allo.customize(case.kernel)
    if pipelined:
        pipeline_innermost(s)
    mod = s.build()
    mod(*copy_args(case.make_inputs(np.random.default_rng(1), False)))
    controls = {n: d.control for n, d in mod.design.designs.items()}
    lat = static_latency(controls[s.module.top], controls)
    assert lat is None or lat == mod.cycles


def spin(x: allo.int32) -> allo.int32:
    while x > 0:
        x = x + 1 - 1
    return x


def test_timeout_names_the_source_line_of_the_stuck_state():
    import inspect

    from allo_rtl.sim.amaranth_sim import SimTimeoutError
    lines, first = inspect.getsourcelines(spin)
    body = first + next(k for k, ln in enumerate(lines) if "x = x + 1 - 1" in ln)
    cond = first + next(k for k, ln in enumerate(lines) if "while" in ln)
    mod = allo.customize(spin).build(max_cycles=300)
    with pytest.raises(SimTimeoutError,
                       match=rf"state \d+ \(line ({body}|{cond}), (block|while condition)"):
        mod(3)


def _observed_states(s, args, seed):
    """(control IR, [(FSM state, stall input)] per cycle of one run) of the top kernel, run in
    the simulation harness with its stall source."""
    from amaranth.sim import Simulator

    from allo_rtl.rtl.interface import ArrayPort, interface_of
    from allo_rtl.sim import boundary
    from allo_rtl.sim.amaranth_sim import _flat
    from allo_rtl.sim.harness import KernelHarness
    design = HardwareDesign(s.module, stall_source=seed)
    iface = interface_of(design.module.top_func)
    raw = boundary.convert_args(design.module.top_func, args, design.top_banks)
    init = {p.name: _flat(a, p.dtype) for p, a in zip(iface.params, raw)
            if isinstance(p, ArrayPort)}
    top = KernelHarness(design.component, iface, init, design.stall_seed)
    trace = []

    async def bench(ctx):
        ctx.set(top.start, 1)
        await ctx.tick()
        ctx.set(top.start, 0)
        while not ctx.get(top.done):
            trace.append((ctx.get(top.kernel.fsm_state), ctx.get(top.kernel.stall)))
            await ctx.tick()
        trace.append((ctx.get(top.kernel.fsm_state), 0))

    sim = Simulator(top)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return design.designs[s.module.top].control, trace


@pytest.mark.parametrize("name", ["gemm_pipelined", "collatz_while_if", "calls_variable"])
def test_emitted_fsm_moves_only_along_control_ir_edges(name):
    from test_stall import KERNELS
    make, inputs, _ = KERNELS[name]
    ctl, trace = _observed_states(make(), inputs(np.random.default_rng(2)), 0x2BAD)
    assert trace[0][0] != ctl.idle and trace[-1][0] == ctl.done
    stalled = 0
    for (here, stall), (there, _) in zip(trace, trace[1:]):
        st = ctl.states[here]
        if stall:                    # the external stall holds every state but idle
            assert there == here
            stalled += 1
        elif there != here:
            assert there in {t.target for t in st.transitions}
        else:                        # staying needs a reason: a stall or no transition taken
            assert st.stall is not None or st.transitions[-1].cond is not None or any(
                t.target == here for t in st.transitions)
    assert stalled > 0
