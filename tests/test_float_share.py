"""Float units shared where II allows, and capped by ``s.allocation`` (issue 14).

A pipelined float unit takes one op per cycle, so in a loop pipelined at II > 1 the ops of one
class in distinct modulo slots run on one unit; ``s.allocation("fmul", n)`` caps the units of
a class in sequential code and pipelines alike and counts in ResMII. Every kernel is checked
bit for bit against numpy float32 evaluated in the source's order (written here) and against
the interpreter, on random and edge operands; its cycles against the cycle model; and the
units it has are counted in the emitted Verilog (instances of the unit modules), not taken
from the compiler's own report only.
"""
import re

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.ir.types import float32
from test_float_hw import assert_float_equal, bits, edge_values

F32 = np.float32


def unit_instances(mod, kernel: str) -> dict:
    """Float unit instances in the Verilog, by class: lines ``\\kernel.fmul0 fmul0 (``."""
    found = re.findall(rf"^\s*\\{kernel}\.(fadd|fmul|fdiv|fsqrt)\d+\s+\S+\s*\(", mod.verilog,
                       re.M)
    return {cls: found.count(cls) for cls in sorted(set(found))}


def operands(shape, seed):
    """Random normal values with the edge values (±0, subnormals, ±inf, NaN, ...) mixed in."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(np.float32).ravel()
    e = edge_values()
    where = rng.choice(a.size, size=min(a.size // 3, e.size), replace=False)
    a[where] = rng.choice(e, size=where.size)
    return a.reshape(shape)


def loop_row(mod, name):
    return next(r for r in mod.report().to_dict()["functions"][0]["loops"] if r["name"] == name)


# --- the kernels and their numpy float32 references, in the source's order ----------------
def mv(A: float32[8, 4], x: float32[4]) -> float32[8]:
    y: float32[8] = 0.0
    for i in range(8):
        acc: float32 = 0.0
        for j in range(4):
            acc += A[i, j] * x[j]
        y[i] = acc
    return y


def mv_ref(A, x):
    y = np.zeros(8, np.float32)
    for i in range(8):
        acc = F32(0.0)
        for j in range(4):
            acc = F32(acc + F32(A[i, j] * x[j]))
        y[i] = acc
    return y


def mv_schedule():
    """Four dot products of length 4 in flight: 4 fmuls and 4 chained fadds an iteration at
    II 4, so one fmul and one fadd (the fadds are a unit latency apart, 7 = 3 mod 4)."""
    s = allo.customize(mv)
    s.partition(s.A, dim=2)
    s.partition(s.x)
    s.pipeline("i", initiation_interval=4)
    return s


def cube(A: float32[16], B: float32[16]) -> float32[16]:
    C: float32[16] = 0.0
    for i in range(16):
        C[i] = A[i] * B[i] * A[i] * B[i]
    return C


def cube_ref(a, b):
    return np.array([F32(F32(F32(x * y) * x) * y) for x, y in zip(a, b)], np.float32)


def cube_schedule(ii=3, limit=None):
    s = allo.customize(cube)
    s.pipeline("i", initiation_interval=ii)
    if limit is not None:
        s.allocation("fmul", limit)
    return s


def seq(A: float32[16], B: float32[16]) -> float32[16]:
    C: float32[16] = 0.0
    for i in range(16):
        C[i] = A[i] * B[i] + A[i] * A[i]
    for j in range(16):
        C[j] = C[j] * B[j] + 1.0
    return C


def seq_ref(a, b):
    c = np.array([F32(F32(x * y) + F32(x * x)) for x, y in zip(a, b)], np.float32)
    return np.array([F32(F32(z * y) + F32(1.0)) for z, y in zip(c, b)], np.float32)


def seq_schedule(limit=1):
    s = allo.customize(seq)
    if limit is not None:
        s.allocation("fmul", limit)
    return s


def dot2(A: float32[32], B: float32[32], C: float32[32], D: float32[32]) -> float32:
    acc: float32 = 0.0
    for i in range(32):
        acc += A[i] * B[i] + C[i] * D[i]
    return acc


def dot2_ref(a, b, c, d):
    acc = F32(0.0)
    for w, x, y, z in zip(a, b, c, d):
        acc = F32(acc + F32(F32(w * x) + F32(y * z)))
    return acc


def dot2_schedule():
    """A float recurrence (II 7, the fadd's latency) with two products and two sums an
    iteration: one fmul and one fadd, the sum that recurs read back from the shared adder's
    output register through the bypass."""
    s = allo.customize(dot2)
    s.pipeline("i")
    return s


def two_pipelines_schedule():
    """Loop i pipelined at II 1 (2 fmuls, 1 fadd: a unit each), loop j at II 2 (its C port
    has one read/write port): j's fmul and fadd run on i's units, one pipeline at a time."""
    s = allo.customize(seq)
    s.pipeline("i")
    s.pipeline("j")
    return s


KERNELS = {
    "mv_ii4": (mv_schedule, lambda: (operands((8, 4), 1), operands(4, 2)), mv_ref),
    "cube_ii3": (cube_schedule, lambda: (operands(16, 3), operands(16, 4)), cube_ref),
    "seq_capped": (seq_schedule, lambda: (operands(16, 5), operands(16, 6)), seq_ref),
    "dot2_ii7": (dot2_schedule, lambda: tuple(operands(32, k) for k in (11, 12, 13, 14)),
                 dot2_ref),
    "two_pipelines": (two_pipelines_schedule, lambda: (operands(16, 9), operands(16, 10)),
                      seq_ref),
}


def run(name, **build):
    make, inputs, ref = KERNELS[name]
    args = inputs()
    s = make()
    mod = s.build(**build)
    with np.errstate(all="ignore"):
        want = ref(*args)
    got = mod(*[a.copy() for a in args])
    py = s.build(target="python")(*[a.copy() for a in args])
    assert_float_equal(got, want, name)
    assert np.array_equal(bits(got), bits(py)), "hardware and interpreter bits differ"
    return mod, args


@pytest.mark.parametrize("name,units", [("mv_ii4", {"fadd": 1, "fmul": 1}),
                                        ("cube_ii3", {"fmul": 1}),
                                        ("seq_capped", {"fadd": 1, "fmul": 1}),
                                        ("two_pipelines", {"fadd": 1, "fmul": 2}),
                                        ("dot2_ii7", {"fadd": 1, "fmul": 1})])
def test_shared_units_bit_exact_and_counted_in_the_verilog(name, units):
    mod, args = run(name)
    assert unit_instances(mod, KERNELS[name][0]().top.name) == units
    report = mod.report().to_dict()["functions"][0]["functional_units"]
    assert {c: report[f"{c}32"] for c in units} == units
    # the cycle model times the shared schedule as the RTL runs it (estimate, and the
    # traced run of the whole interpreter)
    assert mod.estimate(*[a.copy() for a in args]) == mod.cycles
    assert mod.estimate(*[a.copy() for a in args], trace=True, sliced=False) == mod.cycles


def test_sharing_keeps_the_ii_and_unshared_would_need_a_unit_per_op():
    """The pipelines keep their II (the request, or dot2's recurrence at the fadd's latency,
    still named as the limit); the ops of a class sit in distinct modulo slots (what lets
    them share), which the schedule shows."""
    from allo_rtl.hls.timing import TimingModel
    fadd = TimingModel("generic").float_unit("fadd")["stages"]
    for make, cls, n, ii in [(mv_schedule, "fmul", 4, 4), (mv_schedule, "fadd", 4, 4),
                             (cube_schedule, "fmul", 3, 3), (dot2_schedule, "fadd", 2, fadd)]:
        s = make()
        mod = s.build(target="cycles")
        row = loop_row(mod, "i")
        assert row["pipelined"] and row["ii"] == ii
        if make is dot2_schedule:
            assert "recurrence through variable acc" in row["note"]
            assert f"fadd at line" in row["note"] and f"{fadd} cycles" in row["note"]
        (pipe,) = mod.design.designs[s.top.name].pipelines.values()
        sch = pipe.schedule
        ops = [op for op in sch.block.ops if op.info.resource == cls]
        assert len(ops) == n
        assert len({sch.start[op] % sch.ii for op in ops}) == n


@pytest.mark.parametrize("name", ["mv_ii4", "cube_ii3", "two_pipelines", "dot2_ii7"])
def test_shared_units_under_stalls(name):
    """A stall holds the units and the valid bits that choose their inputs together."""
    plain, args = run(name)
    held, _ = run(name, stall_source=True)
    assert held.stall_cycles > 0 and held.cycles == plain.cycles + held.stall_cycles


def _sims():
    """Icarus on every kernel; Verilator (40-50 s a compile) on the pipeline sharing both
    classes in CI, on the other two with ``-m long``."""
    for name in ("mv_ii4", "cube_ii3", "seq_capped", "two_pipelines", "dot2_ii7"):
        yield pytest.param(name, "icarus", marks=pytest.mark.icarus)
        marks = [pytest.mark.verilator, pytest.mark.slow]
        if name != "mv_ii4":
            marks.append(pytest.mark.long)
        yield pytest.param(name, "verilator", marks=marks)


@pytest.mark.parametrize("name,sim", list(_sims()))
def test_shared_units_on_external_simulators(name, sim):
    ref, args = run(name)
    mod, _ = run(name, target=sim)
    assert mod.cycles == ref.cycles


# --- s.allocation: the cap in ResMII, the report and the schedulers -----------------------
def test_a_cap_sets_resmii_and_the_report_names_it():
    s = cube_schedule(ii=1, limit=1)
    mod = s.build(target="cycles")
    row = loop_row(mod, "i")
    assert row["ii"] == 3 and row["res_mii"] == 3
    assert "s.allocation limits fmul to 1 unit(s)" in row["note"]
    line = cube.__code__.co_firstlineno + 3
    assert f"line(s) {line}, {line}, {line}" in row["note"]
    s2 = cube_schedule(ii=1, limit=2)
    row2 = loop_row(s2.build(target="cycles"), "i")
    assert row2["ii"] == 2 and row2["res_mii"] == 2
    # and the hardware is right at the II the cap forces, on two units
    s3 = cube_schedule(ii=1, limit=2)
    a, b = operands(16, 7), operands(16, 8)
    mod3 = s3.build()
    with np.errstate(all="ignore"):
        assert_float_equal(mod3(a.copy(), b.copy()), cube_ref(a, b))
    assert unit_instances(mod3, "cube") == {"fmul": 2}


@pytest.mark.parametrize("scheduler", ["sdc", "list"])
def test_a_cap_serializes_sequential_ops(scheduler):
    """Two products of one block start in one cycle unless capped; capped, a cycle apart on
    one unit (one more cycle per iteration)."""
    from allo_rtl.hls.synthesize import synthesize_module
    from allo_rtl.hls.timing import TimingModel
    timing = TimingModel("generic")
    lengths = {}
    for limit in (None, 1):
        module = seq_schedule(limit).lowered_module()
        design = synthesize_module(module, timing, scheduler=scheduler)["seq"]
        starts = []
        for sch in design.schedules.values():
            muls = [op for op in sch.block.ops if op.opcode == "fmul"]
            if len(muls) == 2:
                starts = sorted(sch.start[op] for op in muls)
                lengths[limit] = sch.length
        assert len(starts) == 2
        assert (starts[0] == starts[1]) == (limit is None)
    assert lengths[1] == lengths[None] + 1


def test_allocation_prints_and_composes():
    s = seq_schedule(limit=1)
    assert "# allocation: fmul <= 1" in str(s)

    def top(A: float32[16], B: float32[16]) -> float32[16]:
        return seq(A, B)
    t = allo.customize(top)
    t.compose(seq_schedule(limit=1))
    assert t.module.functions["seq"].allocation == {"fmul": 1}
    assert t.module.functions["top"].allocation == {}


@pytest.mark.parametrize("args,what", [(("fmul", 0), "limit must be an integer >= 1"),
                                       (("fmul", True), "limit must be an integer >= 1"),
                                       (("fmul", 1.5), "limit must be an integer >= 1"),
                                       (("fma", 1), "'fma' is not a float unit class"),
                                       (("nope:fadd", 1), "no kernel named 'nope'"),
                                       ((3, 1), "takes a unit class name")])
def test_bad_allocations_are_refused_at_the_users_line(args, what):
    s = allo.customize(seq)
    with pytest.raises(allo.AlloError) as info:
        s.allocation(*args)
    assert what in str(info.value)
    assert info.value.loc.file == __file__
    assert s.module.top_func.allocation == {}


def test_the_binding_checker_catches_two_ops_of_one_slot_on_one_unit():
    from allo_rtl.hls.check import ScheduleError, check_unit_binding
    s = mv_schedule()
    design = s.build(target="cycles").design.designs["mv"]
    (pipe,) = design.pipelines.values()
    sch, unit_of = pipe.schedule, dict(design.binding.unit_of)
    muls = [op for op in sch.block.ops if op.opcode == "fmul"]
    check_unit_binding([(sch.block.ops, sch.start, sch.ii)], unit_of)
    # the same unit for two products: fine in distinct slots, caught when one is moved
    # into the other's slot
    start = dict(sch.start)
    start[muls[1]] = start[muls[0]] + sch.ii
    with pytest.raises(ScheduleError) as info:
        check_unit_binding([(sch.block.ops, start, sch.ii)], unit_of)
    assert info.value.kind == "binding"
