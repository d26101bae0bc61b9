"""The generated cocotb test every ``target="icarus"/"verilator"`` build runs.

It reads a JSON spec (path in ``ALLO_RTL_SPEC``): the interface, raw inputs and a cycle limit;
drives the ``KernelHarness`` top level (loads memories through host ports, sets scalars,
pulses start, waits for done), and writes raw results, arrays after the run, the cycle count
or an error to the JSON path in ``ALLO_RTL_OUT``. The test itself never fails on a kernel
problem: the caller turns the recorded error into an AlloError.
"""
import json
import os
import sys

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, First, ReadOnly, RisingEdge, Timer

from allo_rtl.sim.amaranth_sim import Progress
from allo_rtl.sim.cocotb.drivers import HostMemory, read_int, write_int

CLOCK_NS = 10
PROGRESS_CHUNK = 1000        # cycles simulated between two looks at the wall clock


@cocotb.test()
async def run_kernel(dut):
    with open(os.environ["ALLO_RTL_SPEC"]) as f:
        spec = json.load(f)
    out_path = os.environ["ALLO_RTL_OUT"]
    result = {}
    try:
        result = await _run(dut, spec)
    except Exception as err:          # noqa: BLE001 - reported to the caller, not raised here
        result = {"error": f"{type(err).__name__}: {err}"}
    with open(out_path, "w") as f:
        json.dump(result, f)


async def _run(dut, spec):
    Clock(dut.clk, CLOCK_NS, unit="ns").start()
    dut.rst.value = 1
    dut.start.value = 0
    for a in spec["arrays"]:
        HostMemory(dut, a["name"], a["depth"], a["signed"], a["bits"]).idle()
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0
    for a in spec["arrays"]:
        if a["init"] is not None:
            await HostMemory(dut, a["name"], a["depth"], a["signed"], a["bits"]).load(a["init"])
    for s in spec["scalars_in"]:
        write_int(getattr(dut, s["name"]), s["value"], s["bits"])
    await RisingEdge(dut.clk)
    dut.start.value = 1
    await RisingEdge(dut.clk)
    dut.start.value = 0
    await ReadOnly()
    if not int(dut.done.value):
        outcome = await _wait_for_done(dut, spec)
        if outcome == "watchdog":
            await ReadOnly()
            return {"watchdog": int(dut.cycles.value), "bits": int(dut.watchdog_wait.value)}
        if outcome:
            state = None
            try:
                state = int(dut.dut.fsm_state.value)
            except Exception:        # noqa: BLE001 - the state is a courtesy for the message
                pass
            return {"timeout": spec["max_cycles"], "state": state}
        await ReadOnly()
    out = {"cycles": int(dut.cycles.value),
           "reads": {a["name"]: int(getattr(dut, f"host_{a['name']}_reads").value)
                     for a in spec["arrays"]},
           "scalars": {s["name"]: read_int(getattr(dut, s["name"]), s["signed"])
                       for s in spec["scalars_out"]}}
    if spec.get("stall"):
        out["stall_cycles"] = int(dut.stall_cycles.value)
    if spec.get("probes"):          # the regions' occupancy and stage-latency registers
        out["probes"] = _probes(dut, spec["probes"])
    await RisingEdge(dut.clk)
    out["arrays"] = {}
    for a in spec["arrays"]:
        out["arrays"][a["name"]] = await HostMemory(dut, a["name"], a["depth"], a["signed"],
                                                    a["bits"]).dump()
    return out


def _probes(dut, probes):
    """Each measuring register's value, found by its instance path below the kernel; None
    when the simulator does not show one (the report then has no occupancy)."""
    values = []
    for p in probes:
        try:
            handle = dut.dut
            for part in p["path"]:
                handle = getattr(handle, part)
            values.append(int(getattr(handle, p["signal"]).value))
        except Exception:            # noqa: BLE001 - hidden or optimized away
            return None
    return values


async def _wait_for_done(dut, spec) -> bool:
    """Wait for done in chunks of cycles (True: the limit ran out first; "watchdog": the
    stall watchdog fired). Between chunks a
    progress line goes to stdout (the run log), which the caller echoes to its stderr."""
    p = spec["progress"]
    progress = Progress(spec["name"], spec["max_cycles"], spec["simulator"], p["after"],
                        p["every"], sys.stdout, p.get("show"))
    waited = 0
    while waited < spec["max_cycles"]:
        step = min(PROGRESS_CHUNK, spec["max_cycles"] - waited)
        limit = Timer(step * CLOCK_NS, unit="ns")
        events = [RisingEdge(dut.done), limit]
        if spec.get("watchdog"):        # the stall watchdog (sim.watchdog)
            events.append(RisingEdge(dut.watchdog))
        fired = await First(*events)
        if fired is not limit:
            return "watchdog" if len(events) > 2 and fired is events[2] else False
        waited += step
        progress.update(waited)
    return True
