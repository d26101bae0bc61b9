"""Random well-typed kernels and schedules for differential fuzzing (hypothesis strategies, so
a failure shrinks to a small kernel).

A sample is Python source text (written to a file, so errors and the frontend see real lines)
with one top kernel ``k`` and sometimes a sub-kernel ``sub``: loop nests with constant,
triangular and offset bounds, if/else on comparisons, integer arithmetic over mixed
``Int``/``UInt`` widths 1..64 (``+ - * & | ^ << >> // %``), bit get and slices, casts, a
fixed-point accumulation, local arrays, and sub-kernel calls; in some samples float32 (an
input array ``G``, a scalar ``y``, an accumulator ``fa`` and an output array ``H``: ``+ - * /``,
min/max, selects and ifs on float compares, int <-> float casts, edge bit patterns such as
NaN, infinities and subnormals among the inputs); plus a random schedule (split, reorder,
unroll, pipeline, partition, buffer_at). Inputs are drawn per sample, edge values
included. ``run_sample`` checks interpreter == hardware (results, in-place arrays) and, when
the report knows it, the latency estimate == measured cycles; a refused schedule must carry a
location in the sample's file.
"""
from __future__ import annotations

import importlib.util
import itertools
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

import allo_rtl as allo
from allo_rtl.sim.resource_bound import resource_bound

N = 4                                  # array extent per dimension
WIDTHS = (1, 2, 3, 5, 8, 12, 16, 17, 31, 32, 33, 48, 63, 64)
FIXED = ((12, 4), (16, 8), (8, 3), (20, 10))
# float literals: zeros of both signs, halves (exact), large (overflow to inf under *),
# tiny (underflow to subnormals), a value whose square rounds
FLOAT_CONSTS = ("0.0", "-0.0", "1.0", "-1.5", "0.1", "3.0e38", "1.0e-30", "-7.25", "65504.0")
# input bit patterns: +-0, smallest/largest subnormal, smallest normal, largest normal,
# +-inf, a quiet and a signalling NaN, 1.0, -1.0
FLOAT_EDGE_BITS = (0x00000000, 0x80000000, 0x00000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF,
                   0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0x3F800000, 0xBF800000)


@dataclass
class Arg:
    name: str
    type: str               # source text of the element type: "Int(12)", "UInt(5)", ...
    signed: bool
    bits: int
    fracs: int = 0
    shape: tuple = ()       # () for a scalar
    is_float: bool = False  # float32 (``bits`` 32, ``signed``)
    # ``@ Memory(storage_type=...)``: "RAM_2P" (a read and a write port), "RAM_T2P" (two
    # read/write ports), "" (one shared port)
    storage: str = ""

    def declaration(self, name: str | None = None) -> str:
        """The parameter's source text, ``name`` in place of its own."""
        text = f"{name or self.name}: {self.type}"
        if self.shape:
            text += f"[{', '.join(map(str, self.shape))}]"
        return text + (f' @ Memory(storage_type="{self.storage}")' if self.storage else "")


@dataclass
class Sample:
    source: str
    args: list
    schedule: list = field(default_factory=list)    # (primitive, args) applied in order
    inputs: list = field(default_factory=list)


def _type(signed: bool, bits: int) -> str:
    return f"{'Int' if signed else 'UInt'}({bits})"


class _Body:
    """Builds the statements of one kernel, tracking what is in scope."""

    def __init__(self, draw, args):
        self.draw, self.args = draw, args
        self.lines: list = []
        self.scalars = [a for a in args if not a.shape and not a.fracs and not a.is_float]
        self.floats = any(a.is_float for a in args)
        self.loop_vars: list = []          # (name, exclusive upper bound <= N)
        self.n_locals = 0
        self.loops: list = []              # loop names for the schedule

    def pick(self, options):
        return options[self.draw(st.integers(0, len(options) - 1))]

    # --- expressions ------------------------------------------------------------
    def leaf(self) -> str:
        kinds = ["const", "scalar"] + (["loop"] if self.loop_vars else []) + \
                (["array"] if self.loop_vars and self.arrays() else [])
        kind = self.pick(kinds)
        if kind == "const":
            return str(self.draw(st.sampled_from([0, 1, -1, 2, 3, 7, 100, -128, 255,
                                                  2**31 - 1, -2**31])))
        if kind == "scalar":
            return self.pick(self.scalars).name
        if kind == "loop":
            return self.pick(self.loop_vars)[0]
        arr = self.pick(self.arrays())
        return f"{arr.name}[{self.index(arr)}]"

    def arrays(self):
        return [a for a in self.args if a.shape and not a.fracs and not a.is_float]

    # --- float32 expressions (only when the sample has its float arguments) -----------------
    def fleaf(self) -> str:
        kinds = ["const", "y"] + (["G", "G", "cast"] if self.loop_vars else ["cast"])
        kind = self.pick(kinds)
        if kind == "const":
            return self.pick(FLOAT_CONSTS)
        if kind == "y":
            return "y"
        if kind == "G":
            return f"G[{self.pick(self.loop_vars)[0]}]"
        return f"float32({self.leaf()})"          # int -> float rounds to nearest even

    def fexpr(self, depth: int = 2) -> str:
        if depth == 0 or self.draw(st.integers(0, 3)) == 0:
            return self.fleaf()
        form = self.pick(["bin", "bin", "bin", "div", "minmax", "select"])
        a = self.fexpr(depth - 1)
        if form == "bin":
            return f"({a} {self.pick(['+', '-', '*'])} {self.fexpr(depth - 1)})"
        if form == "div":
            return f"({a} / {self.fexpr(depth - 1)})"
        if form == "minmax":
            return f"{self.pick(['min', 'max'])}({a}, {self.fexpr(depth - 1)})"
        return f"({a} if {self.fcond()} else {self.fexpr(depth - 1)})"

    def fcond(self) -> str:
        return f"{self.fleaf()} {self.pick(['<', '<=', '>', '>=', '==', '!='])} {self.fleaf()}"

    def index(self, arr) -> str:
        return ", ".join(self.pick(self.loop_vars)[0] for _ in arr.shape)

    def expr(self, depth: int = 2) -> str:
        if depth == 0 or self.draw(st.integers(0, 3)) == 0:
            return self.leaf()
        form = self.pick(["bin", "bin", "bin", "shift", "div", "cast", "bit", "slice",
                          "select", "minmax"])
        a = self.expr(depth - 1)
        if form == "bin":
            op = self.pick(["+", "-", "*", "&", "|", "^"])
            return f"({a} {op} {self.expr(depth - 1)})"
        if form == "shift":
            return f"({a} {self.pick(['<<', '>>'])} {self.draw(st.integers(0, 5))})"
        if form == "div":
            return f"({a} {self.pick(['//', '%'])} {self.expr(depth - 1)})"
        if form == "cast":
            if self.floats and self.draw(st.integers(0, 2)) == 0:   # float -> int truncates
                a = self.fexpr(1)
            return f"{self.pick(['int8', 'int16', 'int32', 'uint8', 'uint16', 'int64'])}({a})"
        if form == "bit":               # a constant bit outside the value is refused
            s = self.pick(self.scalars)
            return f"{s.name}[{self.draw(st.integers(0, min(3, s.bits - 1)))}]"
        if form == "slice":
            s = self.pick([x for x in self.scalars if x.bits >= 4] or self.scalars)
            lo = self.draw(st.integers(0, max(0, s.bits - 2)))
            hi = self.draw(st.integers(lo + 1, min(s.bits, lo + 8)))
            return f"{s.name}[{lo}:{hi}]"
        if form == "select":
            return f"({a} if {self.cond()} else {self.expr(depth - 1)})"
        return f"{self.pick(['min', 'max'])}({a}, {self.expr(depth - 1)})"

    def cond(self) -> str:
        if self.floats and self.draw(st.integers(0, 3)) == 0:
            return self.fcond()
        return f"{self.leaf()} {self.pick(['<', '<=', '>', '>=', '==', '!='])} {self.leaf()}"

    # --- statements ---------------------------------------------------------------
    def local(self, pad: str) -> str:
        name = f"t{self.n_locals}"
        self.n_locals += 1
        bits = self.pick(WIDTHS)
        signed = self.draw(st.booleans())
        self.lines.append(f"{pad}{name}: {_type(signed, bits)} = {self.expr()}")
        self.scalars.append(Arg(name, _type(signed, bits), signed, bits))
        return name

    def statements(self, pad: str, budget: int, depth: int):
        for _ in range(budget):
            kinds = ["local", "store", "acc", "loop", "if"] if depth < 2 else \
                ["local", "store", "acc", "if"]
            kind = self.pick(kinds + (["facc", "fstore"] if self.floats else []))
            if kind == "fstore" and self.loop_vars:
                self.lines.append(f"{pad}H[{self.pick(self.loop_vars)[0]}] = {self.fexpr()}")
                continue
            if kind in ("facc", "fstore"):  # a float recurrence: the adder's latency bounds II
                self.lines.append(f"{pad}fa = fa + {self.fexpr(1)}")
                continue
            if kind == "local":
                self.local(pad)
            elif kind == "store" and self.loop_vars and self.outputs():
                out = self.pick(self.outputs())
                self.lines.append(f"{pad}{out.name}[{self.index(out)}] = {self.expr()}")
            elif kind == "acc":
                self.lines.append(f"{pad}acc = acc + {self.expr(1)}")
            elif kind == "loop":
                self.loop(pad, depth)
            else:
                self.lines.append(f"{pad}if {self.cond()}:")
                kept = len(self.scalars)
                self.statements(pad + "    ", 1, depth + 1)
                del self.scalars[kept:]        # a branch's locals are out of scope after it
                # without an else, a branch over a condition the loop does not change guards
                # what it accesses (register promotion under the guard: hls/promote.py)
                if self.draw(st.booleans()):
                    self.lines.append(f"{pad}else:")
                    self.lines.append(f"{pad}    acc = acc ^ {self.expr(1)}")

    def outputs(self):
        return [a for a in self.arrays() if a.name.startswith("B")]

    def loop(self, pad: str, depth: int):
        var = "ijk"[len(self.loop_vars)] if len(self.loop_vars) < 3 else None
        if var is None:
            return
        outer = self.loop_vars[-1][0] if self.loop_vars else None
        form = self.pick(["full", "full", "tri", "offset"] if outer else ["full", "offset"])
        if form == "full":
            rng = f"range({N})"
        elif form == "tri":
            rng = f"range({outer}, {N})"
        else:
            rng = f"range(1, {N})"
        self.lines.append(f"{pad}for {var} in {rng}:")
        self.loops.append(var)
        self.loop_vars.append((var, N))
        kept = len(self.scalars)
        self.statements(pad + "    ", self.draw(st.integers(1, 3)), depth + 1)
        del self.scalars[kept:]            # locals of the body are out of scope after it
        self.loop_vars.pop()


# scalar parameter names that are ports, Verilog keywords or array port names in the hardware
# (a parameter named ``start`` once replaced the start port): drawn beside plain ``x0``...
PORT_LIKE_NAMES = ("start", "done", "idle", "stall", "stream_wait", "clk", "rst", "reg",
                   "wire", "module", "A_q0", "B_ce0", "A_address0")


@st.composite
def samples(draw) -> Sample:
    """One random kernel with its inputs and a random schedule."""
    args = []
    taken = set()
    for k in range(draw(st.integers(1, 3))):
        bits, signed = draw(st.sampled_from(WIDTHS)), draw(st.booleans())
        name = draw(st.sampled_from([f"x{k}", *(n for n in PORT_LIKE_NAMES if n not in taken)]))
        taken.add(name)
        args.append(Arg(name, _type(signed, bits), signed, bits))
    for name in ("A", "B"):
        bits, signed = draw(st.sampled_from(WIDTHS)), draw(st.booleans())
        dims = draw(st.integers(1, 2))
        # B draws two read/write ports where A draws a read and a write port (one draw each,
        # so the fixed-seed campaigns keep their kernels)
        ports = "RAM_2P" if name == "A" else "RAM_T2P"
        args.append(Arg(name, _type(signed, bits), signed, bits, shape=(N,) * dims,
                        storage=ports if draw(st.booleans()) else ""))
    w, f = draw(st.sampled_from(FIXED))
    args.append(Arg("F", f"Fixed({w}, {f})", True, w, f, shape=(N,),
                    storage="RAM_2P" if draw(st.booleans()) else ""))
    floats = draw(st.integers(0, 2)) == 0          # a third of the samples use float32
    if floats:
        args += [Arg("y", "float32", True, 32, is_float=True),
                 Arg("G", "float32", True, 32, shape=(N,), is_float=True),
                 Arg("H", "float32", True, 32, shape=(N,), is_float=True,
                     storage="RAM_T2P" if draw(st.booleans()) else "")]
    body = _Body(draw, args)
    float_loop = []
    if floats:                  # every float sample has a float recurrence and a float store
        body.loop_vars.append(("m", N))
        float_loop = [f"    for m in range({N}):", f"        fa = fa + {body.fexpr()}",
                      f"        H[m] = {body.fexpr()}"]
        body.loop_vars.pop()
    body.statements("    ", draw(st.integers(1, 4)), 0)
    use_sub = draw(st.booleans())
    acc_bits = draw(st.sampled_from((8, 16, 32, 33, 64)))
    lines = []
    if use_sub:
        lines += ["def sub(p: int32, q: int32) -> int32:",
                  "    r: int32 = p * 3 - q",
                  "    if r > q:",
                  "        r = r // (q | 1)",
                  "    return r", "", ""]
    sig = ", ".join(a.declaration() for a in args)
    results = f"Int({acc_bits}), Fixed(24, 10)" + (", float32" if floats else "")
    lines.append(f"def k({sig}) -> ({results}):")
    lines.append(f"    acc: Int({acc_bits}) = 0")
    lines.append("    fx: Fixed(24, 10) = 0.0")
    if floats:
        lines.append("    fa: float32 = 0.0")
    lines.append(f"    for m in range({N}):")
    lines.append("        fx = fx + F[m] * F[m] - F[m]")
    lines += float_loop
    lines += body.lines
    if use_sub:
        lines.append(f"    acc = acc + sub(int32(acc), int32({body.scalars[0].name}))")
    lines.append("    return acc, fx, fa" if floats else "    return acc, fx")
    source = "from allo_rtl.ir.types import Int, UInt, Fixed, int8, int16, int32, int64, " \
             "uint8, uint16, float32\nfrom allo_rtl.memory import Memory\n\n\n" + \
             "\n".join(lines) + "\n"
    schedule = draw(_schedules(body.loops, ["A", "B", "F"] + (["G", "H"] if floats else [])))
    return Sample(source, args, schedule, _inputs(draw, args))


def _schedules(loops, arrays):
    prims = [st.tuples(st.just("pipeline"), st.sampled_from(loops or ["m"])),
             st.tuples(st.just("unroll"), st.sampled_from(loops or ["m"]),
                       st.sampled_from([0, 2])),
             st.tuples(st.just("split"), st.sampled_from(loops or ["m"]),
                       st.sampled_from([2, 3])),
             st.tuples(st.just("partition"), st.sampled_from(arrays),
                       st.sampled_from(["Cyclic", "Block", "Complete"]),
                       st.sampled_from([0, 1]), st.sampled_from([2, 4])),
             st.tuples(st.just("pipeline"), st.just("m"))]
    if len(loops) >= 2:
        prims.append(st.tuples(st.just("reorder"), st.permutations(loops[:2])))
    return st.lists(st.one_of(prims), max_size=3)


def _edge_ints(a: Arg):
    lo = -(1 << (a.bits - 1)) if a.signed else 0
    hi = (1 << (a.bits - 1)) - 1 if a.signed else (1 << a.bits) - 1
    return sorted({min(max(v, lo), hi) for v in (lo, hi, 0, 1, -1, 2, lo + 1, hi - 1)})


def _float32s():
    """Edge bit patterns, any bit pattern, or an ordinary value (most arithmetic then stays
    finite, so NaN does not swallow every result)."""
    edge = st.sampled_from(FLOAT_EDGE_BITS).map(lambda b: np.uint32(b).view(np.float32))
    raw = st.integers(0, 2**32 - 1).map(lambda b: np.uint32(b).view(np.float32))
    plain = st.floats(-1e4, 1e4, width=32).map(np.float32)
    return st.one_of(edge, raw, plain, plain)


def _inputs(draw, args):
    out = []
    for a in args:
        if a.is_float:
            vals = [draw(_float32s()) for _ in range(int(np.prod(a.shape or (1,))))]
            arr = np.array(vals, dtype=np.float32).reshape(a.shape)
            out.append(arr if a.shape else np.float32(arr))
            continue
        if a.fracs:
            scale = 1 << a.fracs
            lo, hi = -(1 << (a.bits - 1)), (1 << (a.bits - 1)) - 1
            raws = [draw(st.integers(lo // 4, hi // 4)) for _ in range(int(np.prod(a.shape)))]
            out.append(np.array([r / scale for r in raws]).reshape(a.shape))
            continue
        ints = st.one_of(st.sampled_from(_edge_ints(a)),
                         st.integers(min(_edge_ints(a)), max(_edge_ints(a))))
        if a.shape:
            vals = [draw(ints) for _ in range(int(np.prod(a.shape)))]
            out.append(np.array(vals, dtype=np.int64 if a.signed or a.bits < 64
                                else np.uint64).reshape(a.shape))
        else:
            out.append(draw(ints))
    return out


# --- running one sample ----------------------------------------------------------------
_counter = itertools.count()


def load_kernel(sample: Sample, workdir: Path, name: str = "k"):
    """Write the sample to a file and import it (the frontend reads real source lines)."""
    path = workdir / f"fuzz_sample_{next(_counter)}.py"
    path.write_text(sample.source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, name), path


def apply_schedule(s, schedule, path: Path) -> list:
    """Apply what can be applied; every refusal must point into the sample's file or be a
    schedule-call error with a location. Returns the primitives that were applied."""
    applied = []
    for prim in schedule:
        name, *params = prim
        try:
            if name == "partition":
                arr, kind, dim, factor = params
                s.partition(arr if ":" in arr else getattr(s, arr),
                            getattr(allo.Partition, kind), dim=dim, factor=factor)
            elif name == "reorder":
                s.reorder(*params[0])
            else:
                getattr(s, name)(*params)
        except allo.AlloError as e:
            assert e.loc is not None and getattr(e.loc, "line", 0) > 0, \
                f"{name}{tuple(params)} refused without a location: {e}"
            continue
        applied.append(prim)
    return applied


def _copy(args):
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def same(a, b) -> bool:
    """Equal values; floats bit for bit (so -0.0 != 0.0 and NaN == the same NaN pattern:
    hardware and interpreter both give the canonical NaN)."""
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(same, a, b))
    if _is_float32(a) or _is_float32(b):
        return (_is_float32(a) and _is_float32(b) and np.shape(a) == np.shape(b)
                and np.array_equal(np.asarray(a, np.float32).view(np.uint32),
                                   np.asarray(b, np.float32).view(np.uint32)))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    return a == b


def _is_float32(x) -> bool:
    return isinstance(x, (float, np.floating)) or (isinstance(x, np.ndarray) and
                                                    x.dtype.kind == "f")


def run_sample(sample: Sample, workdir: Path, targets=(None,), top: str = "k",
               **build_options) -> dict:
    """Interpreter vs each hardware target (built with ``build_options``); raises
    AssertionError on any disagreement."""
    kernel, path = load_kernel(sample, workdir, top)
    try:
        s = allo.customize(kernel)
    except allo.AlloError as e:                 # the generator made something refused
        assert e.loc is not None and Path(e.loc.file) == path, f"refusal without location: {e}"
        return {"refused": "customize"}
    applied = apply_schedule(s, sample.schedule, path)
    ref_args = _copy(sample.inputs)
    expected = s.build(target="python")(*ref_args)
    cycles = {}
    for target in targets:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                mod = s.build(target=target, **build_options)
            except allo.AlloError as e:
                assert e.loc is not None, f"build refused without location: {e}"
                return {"refused": "build", "applied": applied}
        hw_args = _copy(sample.inputs)
        got = mod(*hw_args, max_cycles=2_000_000)
        assert same(got, expected), f"{target}: got {got}, interpreter {expected}"
        for h, r in zip(hw_args, ref_args):
            assert same(h, r) if isinstance(h, np.ndarray) else True, \
                f"{target}: in-place arrays differ"
        cycles[target] = mod.cycles
        if target is None:      # a lower bound, recurrences in, never above what ran
            bound = resource_bound(mod.design, *_copy(sample.inputs), recurrences=True)
            assert bound <= mod.cycles, f"bound {bound} above the measured {mod.cycles} cycles"
        top = next(f for f in mod.design.report_dict()["functions"]
                   if f["function"] == mod.design.module.top)
        if top["latency_estimate"] is not None:
            assert top["latency_estimate"] == mod.cycles, \
                f"{target}: report says {top['latency_estimate']} cycles, measured {mod.cycles}"
    assert len(set(cycles.values())) <= 1, f"simulators disagree on cycles: {cycles}"
    return {"applied": applied, "cycles": cycles}


# --- many samples in one design (simulator builds are slow: one build, many samples) ------
_HEADER_END = "\n\n\n"


def batch(samples: list, schedules: list) -> Sample:
    """One design holding every sample: sample n's kernel ``k`` becomes ``k<n>`` (its
    ``sub`` ``sub<n>``), a top ``top`` takes all their arguments (``A_<n>``...), calls each
    in turn and returns all their results. ``schedules[n]`` (primitives that applied to
    sample n alone) is applied to ``k<n>`` through ``"k<n>:loop"`` / ``"k<n>:array"``."""
    header = samples[0].source.split(_HEADER_END, 1)[0]
    parts, sig, calls, results, result_types, schedule, inputs = [], [], [], [], [], [], []
    for n, (sample, prims) in enumerate(zip(samples, schedules)):
        body = sample.source.split(_HEADER_END, 1)[1]
        body = re.sub(r"\bsub\(", f"sub{n}(", body)
        body = re.sub(r"\bdef k\(", f"def k{n}(", body)
        parts.append(body)
        returns = re.search(r"def k\d+\(.*\) -> \((.*)\):", body).group(1)
        result_types += [t.strip() + ("" if t.strip().endswith(")") else "")
                         for t in _split_types(returns)]
        names = []
        for a in sample.args:
            names.append(f"{a.name}_{n}")
            sig.append(a.declaration(f"{a.name}_{n}"))
        outs = [f"r{n}_{j}" for j in range(len(_split_types(returns)))]
        calls.append(f"    {', '.join(outs)} = k{n}({', '.join(names)})")
        results += outs
        inputs += sample.inputs
        for prim in prims:
            name, *params = prim
            if name == "partition":
                schedule.append((name, f"k{n}:{params[0]}", *params[1:]))
            elif name == "reorder":
                schedule.append((name, tuple(f"k{n}:{p}" for p in params[0])))
            else:
                schedule.append((name, f"k{n}:{params[0]}", *params[1:]))
    top = [f"def top({', '.join(sig)}) -> ({', '.join(result_types)}):", *calls,
           f"    return {', '.join(results)}"]
    source = header + _HEADER_END + "\n\n".join(parts) + "\n\n" + "\n".join(top) + "\n"
    args = [Arg(f"{a.name}_{n}", a.type, a.signed, a.bits, a.fracs, a.shape, a.is_float,
                a.storage) for n, s in enumerate(samples) for a in s.args]
    return Sample(source, args, schedule, inputs)


def _split_types(text: str) -> list:
    """``Int(8), Fixed(24, 10)`` -> the two type texts (commas inside parentheses kept)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return out + ([cur.strip()] if cur.strip() else [])


def run_batch(samples: list, schedules: list, workdir: Path, targets) -> dict:
    """``run_sample`` on the batched design (interpreter vs each target, cycles alike)."""
    return run_sample(batch(samples, schedules), workdir, targets, top="top")
