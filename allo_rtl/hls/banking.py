"""Banking: replace every partitioned array by its banks, one buffer (one memory, or one port
set for a kernel argument) per bank, before synthesis.

A partition along a dimension of extent N with factor f (``schedule/partition.py``):

* cyclic: element i lives in bank ``i % f`` at ``i // f`` (ceil(N/f) words per bank),
* block: blocks of B = ceil(N/f) elements, element i in bank ``i // B`` at ``i % B``,
* complete: one bank per element (block with B = 1).

Banks have equal shapes (the last ones padded), so a bank-local index is in range for every
bank and a load may be issued to all candidate banks. An access whose bank is known at compile
time (the index is affine in loop indices whose steps keep the bank fixed, or its range stays
in one block) goes to that bank alone; otherwise a ``Select`` over the candidate banks reads and
an ``If`` chain writes. Partitions are unified across calls first (Allo propagates a partition
to callers and callees). Each changed function's caller-visible signature and bank layouts are
returned as a ``FunctionBanks`` (part of the build result), which ``sim/boundary.py`` uses to
split numpy arrays into banks and merge them back.
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
import math

import numpy as np

from ..errors import AlloScheduleError
from ..ir import nodes as ir
from ..ir.affine import Affine, GridTooLarge, affine_of, index_values, loop_grid, loop_range
from ..ir.types import UInt, index


ENUMERATION_LIMIT = 1 << 16      # iterations evaluated to prove a bank constant

# --- layout ---------------------------------------------------------------------------
@dataclasses.dataclass
class DimSplit:
    dim: int
    kind: str           # "cyclic" | "block" | "complete"
    extent: int
    banks: int
    words: int          # bank-local extent
    block: int          # B for block/complete

    def place(self, i: int) -> tuple:
        """(bank, bank-local index) of index i along this dimension."""
        if self.kind == "cyclic":
            return i % self.banks, i // self.banks
        return i // self.block, i % self.block


def view_shape(buf: ir.Buffer) -> tuple:
    return buf.view_shape or buf.shape


def dim_splits(buf: ir.Buffer) -> list:
    out = []
    for d, (kind, factor) in sorted(buf.partition.items()):
        n = view_shape(buf)[d]
        if kind == "cyclic":
            out.append(DimSplit(d, kind, n, factor, -(-n // factor), 1))
        else:
            block = 1 if kind == "complete" else -(-n // factor)
            out.append(DimSplit(d, kind, n, -(-n // block), block, block))
    return out


@dataclasses.dataclass(eq=False)
class BankedArray:
    """How one partitioned array is spread over its banks."""

    array: ir.Buffer            # the array as callers see it
    splits: list                # DimSplit per partitioned dimension
    banks: list                 # bank buffers, bank number order
    bank_of: np.ndarray         # per element of the array (row-major): bank number
    offset_of: np.ndarray       # per element: row-major index inside its bank

    def split(self, raw: np.ndarray) -> list:
        zero = self.array.dtype.from_python(0)
        out = [np.full(b.shape, zero, dtype=object) for b in self.banks]
        flat = raw.reshape(-1)
        for k in range(flat.size):
            out[self.bank_of[k]].reshape(-1)[self.offset_of[k]] = flat[k]
        return out

    def merge(self, raws: list) -> np.ndarray:
        out = np.empty(self.array.shape, dtype=object)
        flat = out.reshape(-1)
        for k in range(flat.size):
            flat[k] = raws[self.bank_of[k]].reshape(-1)[self.offset_of[k]]
        return out

    def describe(self) -> str:
        return ", ".join(f"{s.kind} dim {s.dim + 1}" + (f" factor {s.banks}" if s.kind != "complete"
                                                        else "") for s in self.splits)


def bank_layout(buf: ir.Buffer) -> BankedArray:
    splits = dim_splits(buf)
    shape = list(view_shape(buf))
    for s in splits:
        shape[s.dim] = s.words
    counts = [s.banks for s in splits]
    banks = []
    for coords in itertools.product(*(range(c) for c in counts)):
        name = f"{buf.name}_p" + "_".join(map(str, coords))
        bank = ir.Buffer(name, ir.ArrayType(buf.dtype, tuple(shape)), buf.kind, buf.loc,
                         bank_of=buf.name, memory=buf.memory)    # a bank is made as asked
        banks.append(bank)
    bank_of = np.zeros(buf.type.size, dtype=np.int64)
    offset_of = np.zeros(buf.type.size, dtype=np.int64)
    for k, idx in enumerate(itertools.product(*(range(n) for n in view_shape(buf)))):
        local, coords = list(idx), []
        for s in splits:
            b, local[s.dim] = s.place(idx[s.dim])
            coords.append(b)
        bank_of[k] = int(np.ravel_multi_index(coords, counts)) if counts else 0
        offset_of[k] = int(np.ravel_multi_index(local, shape))
    banked = BankedArray(buf, splits, banks, bank_of, offset_of)
    if buf.init is not None:
        for bank, raw in zip(banks, banked.split(buf.init)):
            bank.init = raw
    return banked


# --- index arithmetic -------------------------------------------------------------------
def _c(v: int, loc) -> ir.Const:
    return ir.Const(index, loc, index.wrap(v))


def _bin(op: str, a: ir.Expr, b: ir.Expr, loc) -> ir.Expr:
    return ir.BinOp(index, loc, op, a, b)


def floordiv(e: ir.Expr, f: int, extent: int, loc) -> ir.Expr:
    """e // f for 0 <= e < extent without a divider: a shift, or a multiply by the rounded-up
    reciprocal and a shift (exact for 0 <= e < 2**k when the shift is k + bits(f))."""
    if f == 1:
        return e
    if f & (f - 1) == 0:
        return _bin(">>", e, _c(f.bit_length() - 1, loc), loc)
    k = max(1, (extent - 1).bit_length())
    s = k + f.bit_length()
    return _bin(">>", _bin("*", e, _c(-(-(1 << s) // f), loc), loc), _c(s, loc), loc)


def modulo(e: ir.Expr, f: int, extent: int, loc) -> ir.Expr:
    if f & (f - 1) == 0:
        return _bin("&", e, _c(f - 1, loc), loc)
    return _bin("-", e, _bin("*", floordiv(e, f, extent, loc), _c(f, loc), loc), loc)


def loop_ranges(body: list) -> dict:
    """id(loop var) -> (first, last) of the loops with constant bounds and at least one trip,
    the ranges ``Affine.interval`` takes."""
    out = {}
    for lp in ir.loops(body):
        r = loop_range(lp)
        if r:
            out[id(lp.var)] = (min(r[0], r[-1]), max(r[0], r[-1]))
    return out


def _static_bank(form: Affine | None, split: DimSplit, ranges: dict, steps: dict):
    """The bank every execution of this index lands in, or None."""
    if form is None or any(id(v) not in ranges for v in form.vars):
        return None
    lo, hi = form.interval(ranges)
    if split.kind == "cyclic":
        if all((c * steps[id(v)]) % split.banks == 0 for v, c in form.terms):
            first = form.const + sum(c * ranges[id(v)][0] for v, c in form.terms)
            return first % split.banks
        return lo % split.banks if lo == hi else None
    return lo // split.block if lo // split.block == hi // split.block else None


def _rebuild(form: Affine, loc) -> ir.Expr:
    e = None
    for v, a in form.terms:
        term = ir.Ref(index, loc, v)
        term = term if a == 1 else _bin("*", term, _c(a, loc), loc)
        e = term if e is None else _bin("+", e, term, loc)
    if e is None:
        return _c(form.const, loc)
    return e if form.const == 0 else _bin("+", e, _c(form.const, loc), loc)


def _divided(form: Affine, f: int, const: int) -> Affine:
    """The scalar part of ``form`` divided by f (its coefficients are multiples of f), plus
    ``const // f``."""
    return Affine(tuple((v, a // f) for v, a in form.terms), const // f)


def _place(e: ir.Expr, split: DimSplit, ranges: dict, steps: dict, loc):
    """(static bank or None, bank expression, bank-local index expression) of index e."""
    form = affine_of(e)
    bank = _static_bank(form, split, ranges, steps)
    if split.words == 1:
        local = _c(0, loc)
    elif split.kind == "cyclic":
        f = split.banks
        exact = bank is not None and all(a % f == 0 for _, a in form.terms) \
            and (form.const - bank) % f == 0
        local = (_rebuild(_divided(form, f, form.const - bank), loc) if exact
                 else floordiv(e, f, split.extent, loc))
    elif bank is not None:
        local = _bin("-", e, _c(bank * split.block, loc), loc) if bank else e
    else:
        local = modulo(e, split.block, split.extent, loc)
    if bank is not None:
        return bank, None, local
    bank_expr = modulo(e, split.banks, split.extent, loc) if split.kind == "cyclic" else \
        floordiv(e, split.block, split.extent, loc)
    return None, bank_expr, local


def reshaped_indices(indices: list, shape: tuple, view: tuple, loc) -> list:
    """Indices into ``view`` of the element ``indices`` names in ``shape`` (same row-major
    order): the flat index, then divided by each view stride; affine where strides allow."""
    flat = None
    for i, stride in zip(indices, _strides(shape)):
        term = i if stride == 1 else _bin("*", i, _c(stride, loc), loc)
        flat = term if flat is None else _bin("+", flat, term, loc)
    size = math.prod(shape)
    form = affine_of(flat)
    out = []
    for d, (stride, extent) in enumerate(zip(_strides(view), view)):
        if form is not None and all(a % stride == 0 for _, a in form.terms):
            q = _divided(form, stride, form.const)
            if d == 0 or _fits(q, extent):
                out.append(_rebuild(q, loc))
                continue
        x = floordiv(flat, stride, size, loc)
        out.append(x if d == 0 else modulo(x, extent, size, loc))
    return out


def _strides(shape) -> list:
    return [math.prod(shape[k + 1:]) for k in range(len(shape))]


def _fits(form: Affine, extent: int) -> bool:
    """Constant forms already inside [0, extent); anything else needs the modulo."""
    return form.is_constant and 0 <= form.const < extent


# --- rewriting one function -------------------------------------------------------------
class _Rewriter:
    def __init__(self, f: ir.Function, banked: dict):
        self.f, self.banked = f, banked          # id(buffer) -> BankedArray
        self.ranges = loop_ranges(f.body)
        self.steps = {id(lp.var): lp.step for lp in ir.loops(f.body)}
        self.temps = []
        self.stack = []                          # the loops around the statement rewritten

    def _access(self, buf, indices, loc):
        """[(condition or None, bank buffer, local indices)] for one access."""
        b = self.banked[id(buf)]
        local = [self.expr(i) for i in indices]
        if buf.view_shape is not None:
            local = reshaped_indices(local, buf.shape, buf.view_shape, loc)
        choices = []
        for s in b.splits:
            bank, bank_expr, local[s.dim] = _place(local[s.dim], s, self.ranges, self.steps, loc)
            if bank is None:
                bank = self._only_value(bank_expr)
            if bank is not None and not 0 <= bank < s.banks:
                raise AlloScheduleError(
                    f"{buf.name}: this access's index along dimension {s.dim + 1} is always "
                    f"outside 0..{s.extent - 1}", loc,
                    hint="check the index (the partition needs every access inside the array)")
            choices.append([(bank, None)] if bank is not None else
                           [(k, ir.Compare(UInt(1), loc, "==", bank_expr, _c(k, loc)))
                            for k in range(s.banks)])
        counts = [s.banks for s in b.splits]
        out = []
        for combo in itertools.product(*choices):
            conds = [c for _, c in combo if c is not None]
            cond = None if not conds else conds[0] if len(conds) == 1 else \
                ir.Logic(UInt(1), loc, "and", conds)
            number = int(np.ravel_multi_index([k for k, _ in combo], counts))
            out.append((cond, b.banks[number], local))
        return out

    def _only_value(self, e: ir.Expr):
        """The value of index expression ``e`` if it is the same in every iteration of the
        loops around it (evaluated over all of them), else None."""
        refs = {id(x.var) for x in ir.walk_exprs(e) if isinstance(x, ir.Ref)}
        loops = [lp for lp in self.stack if id(lp.var) in refs]
        if len(loops) != len(refs):
            return None
        try:
            env = loop_grid(loops, ENUMERATION_LIMIT)
        except GridTooLarge:
            return None
        values = None if env is None else index_values(e, env)
        if values is None:
            return None
        distinct = np.unique(np.asarray(values))
        return int(distinct[0]) if distinct.size == 1 else None

    def expr(self, e: ir.Expr) -> ir.Expr:
        changes = {}
        for fld in dataclasses.fields(e):
            v = getattr(e, fld.name)
            if isinstance(v, ir.Expr):
                changes[fld.name] = self.expr(v)
            elif isinstance(v, list) and v and isinstance(v[0], ir.Expr):
                changes[fld.name] = [self.expr(x) for x in v]
        e = dataclasses.replace(e, **changes) if changes else e
        if not (isinstance(e, ir.Load) and id(e.buf) in self.banked):
            return e
        options = self._access(e.buf, e.indices, e.loc)
        out = ir.Load(e.type, e.loc, options[-1][1], options[-1][2])
        for cond, bank, local in reversed(options[:-1]):
            out = ir.Select(e.type, e.loc, cond, ir.Load(e.type, e.loc, bank, local), out)
        return out

    def body(self, stmts: list) -> list:
        out = []
        for s in stmts:
            out += self.stmt(s)
        return out

    def stmt(self, s: ir.Stmt) -> list:
        if isinstance(s, ir.Assign):
            return [dataclasses.replace(s, value=self.expr(s.value))]
        if isinstance(s, ir.Store):
            value = self.expr(s.value)
            if id(s.buf) not in self.banked:
                return [ir.Store(s.loc, s.buf, [self.expr(i) for i in s.indices], value)]
            options = self._access(s.buf, s.indices, s.loc)
            if len(options) == 1:
                return [ir.Store(s.loc, options[0][1], options[0][2], value)]
            # a run-time bank: compute the value once, then store it in the selected bank
            tmp = ir.Scalar(f"{s.buf.name}_wdata{len(self.temps)}", value.type, s.loc)
            self.temps.append(tmp)
            chain = [ir.Store(s.loc, options[-1][1], options[-1][2], ir.Ref(tmp.type, s.loc, tmp))]
            for cond, bank, local in reversed(options[:-1]):
                chain = [ir.If(s.loc, cond, [ir.Store(s.loc, bank, local,
                                                      ir.Ref(tmp.type, s.loc, tmp))], chain)]
            return [ir.Assign(s.loc, tmp, value), *chain]
        if isinstance(s, ir.For):
            self.stack.append(s)
            body = self.body(s.body)
            self.stack.pop()
            return [dataclasses.replace(s, lo=self.expr(s.lo), hi=self.expr(s.hi), body=body)]
        if isinstance(s, ir.While):
            return [ir.While(s.loc, self.expr(s.cond), self.body(s.body))]
        if isinstance(s, ir.If):
            return [ir.If(s.loc, self.expr(s.cond), self.body(s.then_body),
                          self.body(s.else_body))]
        if isinstance(s, ir.Call):
            return [ir.Call(s.loc, s.callee, self.expand([self.expr(a) if isinstance(a, ir.Expr)
                                                           else a for a in s.args]),
                            self.expand(s.outs))]
        if isinstance(s, ir.StreamPut):
            value = self.expr(s.value) if isinstance(s.value, ir.Expr) else s.value
            return [ir.StreamPut(s.loc, s.chan, value)]
        if isinstance(s, ir.StreamGet):
            return [s]
        if isinstance(s, ir.Dataflow):      # each stage a call: its arrays become banks
            return [ir.Dataflow(s.loc, [c for st in s.stages for c in self.stmt(st)], s.name)]
        raise TypeError(type(s).__name__)

    def expand(self, symbols: list) -> list:
        """Symbols with every partitioned array replaced by its banks, in place."""
        out = []
        for a in symbols:
            out += self.banked[id(a)].banks if id(a) in self.banked else [a]
        return out


# --- the pass ---------------------------------------------------------------------------
def unify_partitions(module: ir.Module) -> ir.Module:
    """``module``, or a copy in which an array passed to a call and the callee's parameter
    have the same partition. Done before anything reads partitions (a caller's
    ``C: int32[8, 8] = 0`` is unrolled bank by bank when C is partitioned through the
    callee's schedule: ``unroll_inner.unroll_partitioned_inits``)."""
    for f in module.functions.values():
        for s in ir.walk_stmts(f.body):
            if isinstance(s, ir.Call) and any(
                    isinstance(a, ir.Buffer) and a.partition != p.partition
                    for a, p in [*zip(s.args, s.callee.params), *zip(s.outs, s.callee.results)]):
                module = copy.deepcopy(module)
                _unify_across_calls(module)
                return module
    return module


def _unify_across_calls(module: ir.Module):
    """Give an array passed to a call and the callee's parameter the same partition."""
    changed = True
    while changed:
        changed = False
        for f in module.functions.values():
            for s in ir.walk_stmts(f.body):
                if not isinstance(s, ir.Call):
                    continue
                pairs = [*zip(s.args, s.callee.params), *zip(s.outs, s.callee.results)]
                for a, p in pairs:
                    if not isinstance(a, ir.Buffer) or a.partition == p.partition:
                        continue
                    if a.partition and p.partition:
                        raise AlloScheduleError(
                            f"{a.name} (in {f.name}) and {p.name} (in {s.callee.name}) are "
                            f"partitioned differently but one is passed as the other",
                            s.loc, hint="partition them alike (or only one of them: the "
                                        "partition propagates across the call)")
                    a.partition.update(p.partition)
                    p.partition.update(a.partition)
                    changed = True


@dataclasses.dataclass
class FunctionBanks:
    """How banking changed one function's signature: the parameters and results its caller
    sees, and how each partitioned one is spread over the banks that replaced it (a result
    of the build, read by the report and by ``sim/boundary.py``; the IR keeps only banks)."""
    user_params: list
    user_results: list
    arrays: dict                      # id(partitioned array) -> BankedArray

    def banks_of(self, buf) -> list:
        b = self.arrays.get(id(buf))
        return [buf] if b is None else b.banks


def bank_function(f: ir.Function) -> FunctionBanks | None:
    banked = {id(b): bank_layout(b) for b in f.symbols()
              if isinstance(b, ir.Buffer) and b.partition}
    if not banked:
        return None
    rw = _Rewriter(f, banked)
    f.body = rw.body(f.body)
    banks = FunctionBanks(list(f.params), list(f.results), banked)
    f.params, f.results = rw.expand(f.params), rw.expand(f.results)
    f.locals = rw.expand(f.locals) + rw.temps
    return banks


def bank_module(module: ir.Module) -> tuple:
    """(a copy of ``module`` with every partitioned array replaced by its banks, function
    name -> FunctionBanks for the functions that changed)."""
    if not any(isinstance(b, ir.Buffer) and b.partition
               for f in module.functions.values() for b in f.symbols()):
        return module, {}
    module = copy.deepcopy(module)
    _unify_across_calls(module)
    banks = {}
    for f in module.functions.values():
        fb = bank_function(f)
        if fb is not None:
            banks[f.name] = fb
    return module, banks
