"""Allo's array builtins beyond elementwise arithmetic, lowered to loop nests over fresh
buffers: ``transpose`` / ``.T``, batched ``matmul``, ``bmm``, ``linear``, ``view``, ``tril``,
``ones`` / ``zeros``, ``softmax``, ``layernorm``, ``gelu``, ``conv2d``, ``maxpool``,
``sumpool`` (the numpy meaning of each is in ``allo_rtl/dsl.py``).

Every builtin reads its operands and writes a new array, so later stages only ever see
loads and stores of whole buffers. The loops are implicit (not bands a schedule names).
Integer results wrap to the element type as numpy's do; floating-point reductions run in
index order.
"""
from __future__ import annotations

import math

from ..ir import nodes as ir
from ..ir import types as T
from ..ir import typing_rule as rules

IDX = T.index


# --- small builders ---------------------------------------------------------------------
def _const(v: int, loc) -> ir.Const:
    return ir.Const(IDX, loc, v)


def _nest(eb, shape, node, prefix, into: list, reduction=False):
    """``for`` loops over ``shape`` appended to ``into``: (index exprs, innermost body)."""
    loc = eb.ctx.loc(node)
    indices, body = [], into
    for d, extent in enumerate(shape):
        var = ir.Scalar(eb.ctx.unique(f"{prefix}_i{d}"), IDX, loc)
        attrs = {"implicit": True, **({"reduction": True} if reduction else {})}
        loop = ir.For(loc, eb.ctx.unique_loop_name(f"{prefix}_l{d}"), var, _const(0, loc),
                      _const(extent, loc), 1, [], attrs)
        body.append(loop)
        body = loop.body
        indices.append(ir.Ref(IDX, loc, var))
    return indices, body


def _fresh(eb, base, dtype, shape, node) -> ir.Buffer:
    return eb.ctx.new_buffer(base, T.ArrayType(dtype, tuple(shape)), node, fresh=True)


def _load(buf, idx, loc) -> ir.Load:
    return ir.Load(buf.dtype, loc, buf, list(idx))


def _store(eb, buf, idx, value, loc) -> ir.Store:
    from .expressions import cast_to
    return ir.Store(loc, buf, list(idx), cast_to(value, buf.dtype, loc))


def _need_array(eb, v, what, node, rank=None):
    if not isinstance(v, ir.Buffer):
        raise eb.ctx.type_error(f"{what} needs an array here", node)
    if rank is not None and len(v.shape) != rank:
        raise eb.ctx.type_error(f"{what} needs a {rank}-D array, not {v.type!r}", node)
    return v


def _scalar_acc(eb, base, typ, init, node, body):
    """A fresh scalar set to ``init`` in ``body``: (variable, a reference to it)."""
    loc = eb.ctx.loc(node)
    var = eb.ctx.new_scalar(base, typ, node)
    from .expressions import cast_to
    body.append(ir.Assign(loc, var, cast_to(init, typ, loc)))
    return var, ir.Ref(typ, loc, var)


def _float_const(v: float, typ, loc) -> ir.Const:
    return ir.Const(typ, loc, typ.from_python(v))


# --- shape builtins ---------------------------------------------------------------------
def transpose(eb, a, axes, node):
    """``allo.transpose(a, axes)`` / ``a.T`` (axes None: all reversed), numpy's meaning."""
    a = _need_array(eb, a, "transpose", node)
    rank = len(a.shape)
    axes = tuple(reversed(range(rank))) if axes is None else tuple(axes)
    if sorted(axes) != list(range(rank)):
        raise eb.ctx.type_error(f"transpose axes {axes} are not a permutation of the "
                                f"{rank} dimensions of {a.type!r}", node)
    loc = eb.ctx.loc(node)
    out = _fresh(eb, "_T", a.dtype, [a.shape[ax] for ax in axes], node)
    idx, body = _nest(eb, out.shape, node, out.name, eb.ctx.body)
    src = [None] * rank
    for d, ax in enumerate(axes):
        src[ax] = idx[d]
    body.append(ir.Store(loc, out, idx, _load(a, src, loc)))
    return out


def view(eb, a, shape, node):
    """``allo.view(a, shape)``: the same elements in row-major order, another shape."""
    a = _need_array(eb, a, "view", node)
    shape = tuple(shape)
    if math.prod(shape) != math.prod(a.shape):
        raise eb.ctx.type_error(f"view of {a.type!r} as {shape}: the sizes differ "
                                f"({math.prod(a.shape)} and {math.prod(shape)} elements)", node)
    loc = eb.ctx.loc(node)
    out = _fresh(eb, "_view", a.dtype, shape, node)
    idx, body = _nest(eb, shape, node, out.name, eb.ctx.body)
    flat, stride = None, 1
    for d in reversed(range(len(shape))):
        term = idx[d] if stride == 1 else ir.BinOp(IDX, loc, "*", idx[d], _const(stride, loc))
        flat = term if flat is None else ir.BinOp(IDX, loc, "+", term, flat)
        stride *= shape[d]
    src, stride = [], math.prod(a.shape)
    for d, extent in enumerate(a.shape):
        stride //= extent
        digit = flat if stride == 1 else ir.BinOp(IDX, loc, "//", flat, _const(stride, loc))
        src.append(digit if d == 0 else ir.BinOp(IDX, loc, "%", digit, _const(extent, loc)))
    body.append(ir.Store(loc, out, idx, _load(a, src, loc)))
    return out


def tril(eb, a, node):
    """``allo.tril(a)``: elements above the diagonal of the last two dimensions set to 0."""
    a = _need_array(eb, a, "tril", node)
    if len(a.shape) < 2:
        raise eb.ctx.type_error(f"tril needs an array of 2 or more dimensions, not {a.type!r}",
                                node)
    loc = eb.ctx.loc(node)
    out = _fresh(eb, "_tril", a.dtype, a.shape, node)
    idx, body = _nest(eb, a.shape, node, out.name, eb.ctx.body)
    keep = ir.Compare(T.UInt(1), loc, "<=", idx[-1], idx[-2])
    zero = ir.Const(a.dtype, loc, a.dtype.from_python(0))
    body.append(ir.Store(loc, out, idx, ir.Select(a.dtype, loc, keep, _load(a, idx, loc), zero)))
    return out


def filled(eb, shape, dtype, value, node):
    """``allo.ones(shape, dtype=...)`` / ``allo.zeros``."""
    loc = eb.ctx.loc(node)
    out = _fresh(eb, "_ones" if value else "_zeros", dtype, shape, node)
    idx, body = _nest(eb, out.shape, node, out.name, eb.ctx.body)
    body.append(ir.Store(loc, out, idx, ir.Const(dtype, loc, dtype.from_python(value))))
    return out


# --- products ---------------------------------------------------------------------------
def broadcast_shape(eb, shapes, node, what):
    """numpy's broadcast of ``shapes`` (aligned at the right; 1 stretches), or a type error."""
    rank = max(len(s) for s in shapes)
    out = []
    for d in range(rank):
        sizes = {s[d - rank + len(s)] for s in shapes if d - rank + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise eb.ctx.type_error(f"{what}: shapes {' and '.join(map(str, shapes))} do not "
                                    "broadcast", node,
                                    hint="each dimension must be equal or 1 (numpy's rule)")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def broadcast_index(shape, idx, loc):
    """The index into an operand of ``shape`` for the broadcast result index ``idx``."""
    tail = idx[len(idx) - len(shape):]
    return [_const(0, loc) if extent == 1 else i for extent, i in zip(shape, tail)]


def matmul(eb, a, b, node, what="allo.matmul"):
    """numpy's matmul of arrays of rank >= 2: batch dimensions broadcast, ``[..., M, K] @
    [..., K, N] -> [..., M, N]``, each element summed over K in order."""
    if not (isinstance(a, ir.Buffer) and isinstance(b, ir.Buffer)):
        raise eb.ctx.type_error(f"{what} needs two arrays", node)
    if len(a.shape) < 2 or len(b.shape) < 2 or a.shape[-1] != b.shape[-2]:
        raise eb.ctx.type_error(f"{what} of shapes {a.shape} and {b.shape}: need "
                                "[..., M, K] and [..., K, N]", node)
    batch = broadcast_shape(eb, [a.shape[:-2], b.shape[:-2]], node, what)
    typ = a.dtype if a.dtype == b.dtype else rules.common_type(a.dtype, b.dtype)
    loc = eb.ctx.loc(node)
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    out = _fresh(eb, "_mm", typ, (*batch, m, n), node)
    idx, body = _nest(eb, out.shape, node, out.name, eb.ctx.body)
    nb = len(batch)
    body.append(ir.Store(loc, out, idx, ir.Const(typ, loc, typ.from_python(0))))
    (kk,), red = _nest(eb, (k,), node, f"{out.name}_k", body, reduction=True)
    ai = broadcast_index(a.shape[:-2], idx[:nb], loc) + [idx[nb], kk]
    bi = broadcast_index(b.shape[:-2], idx[:nb], loc) + [kk, idx[nb + 1]]
    prod = eb.binop("*", _load(a, ai, loc), _load(b, bi, loc), node)
    red.append(_store(eb, out, idx, eb.binop("+", _load(out, idx, loc), prod, node), loc))
    return out


def bmm(eb, a, b, node):
    """``allo.bmm``: ``[B, M, K] x [B, K, N] -> [B, M, N]`` (3-D only, as Allo)."""
    for v in (a, b):
        if not isinstance(v, ir.Buffer) or len(v.shape) != 3:
            raise eb.ctx.type_error("allo.bmm needs two 3-D arrays [B, M, K] and [B, K, N], "
                                    f"not {getattr(v, 'shape', 'a scalar')}", node,
                                    hint="allo.matmul takes other ranks")
    if a.shape[0] != b.shape[0]:
        raise eb.ctx.type_error(f"allo.bmm of batches {a.shape[0]} and {b.shape[0]}", node)
    return matmul(eb, a, b, node, "allo.bmm")


def linear(eb, x, w, bias, node):
    """``allo.linear(X, W, bias)``: ``X @ W.T + bias`` (W is [N, K], bias [N])."""
    from .arrays import elementwise
    _need_array(eb, w, "allo.linear's weight", node, rank=2)
    out = matmul(eb, x, transpose(eb, w, None, node), node, "allo.linear")
    if bias is None:
        return out
    return elementwise(eb, "+", out, bias, node)


# --- normalizations and activations ------------------------------------------------------
def _rows(eb, a, node, prefix):
    """Loops over every dimension but the last: (out-of-row indices, body, row length)."""
    idx, body = _nest(eb, a.shape[:-1], node, prefix, eb.ctx.body)
    return idx, body, a.shape[-1]


def _float_array(eb, a, what, node):
    a = _need_array(eb, a, what, node)
    return rules.math_type(a.dtype)


def softmax(eb, a, node):
    """``allo.softmax(a)`` over the last axis: exp(a - max) / sum(exp(a - max))."""
    typ = _float_array(eb, a, "allo.softmax", node)
    loc = eb.ctx.loc(node)
    out = _fresh(eb, "_softmax", typ, a.shape, node)
    outer, body, n = _rows(eb, a, node, out.name)
    first = _load(a, [*outer, _const(0, loc)], loc)
    mx_var, mx = _scalar_acc(eb, f"{out.name}_max", typ, first, node, body)
    (j,), b1 = _nest(eb, (n,), node, f"{out.name}_m", body, reduction=True)
    b1.append(ir.Assign(loc, mx_var, ir.MathCall(typ, loc, "max", [
        mx, _cast(_load(a, [*outer, j], loc), typ, loc)])))
    sum_var, total = _scalar_acc(eb, f"{out.name}_sum", typ, _float_const(0.0, typ, loc), node,
                                 body)
    (j,), b2 = _nest(eb, (n,), node, f"{out.name}_e", body, reduction=True)
    e = ir.MathCall(typ, loc, "exp", [eb.binop("-", _cast(_load(a, [*outer, j], loc), typ, loc),
                                               mx, node)])
    b2.append(ir.Store(loc, out, [*outer, j], e))
    b2.append(ir.Assign(loc, sum_var, eb.binop("+", total, _load(out, [*outer, j], loc), node)))
    (j,), b3 = _nest(eb, (n,), node, f"{out.name}_d", body)
    b3.append(_store(eb, out, [*outer, j], eb.binop("/", _load(out, [*outer, j], loc), total,
                                                    node), loc))
    return out


def layernorm(eb, a, gamma, beta, eps, node):
    """``allo.layernorm(x, gamma, beta, eps)`` over the last axis (biased variance)."""
    typ = _float_array(eb, a, "allo.layernorm", node)
    for v, what in ((gamma, "gamma"), (beta, "beta")):
        if not isinstance(v, ir.Buffer) or v.shape != a.shape[-1:]:
            raise eb.ctx.type_error(f"allo.layernorm's {what} must be an array of shape "
                                    f"{a.shape[-1:]}", node)
    loc = eb.ctx.loc(node)
    out = _fresh(eb, "_layernorm", typ, a.shape, node)
    outer, body, n = _rows(eb, a, node, out.name)
    x = lambda j: _cast(_load(a, [*outer, j], loc), typ, loc)       # noqa: E731
    zero, count = _float_const(0.0, typ, loc), _float_const(float(n), typ, loc)
    s_var, s = _scalar_acc(eb, f"{out.name}_sum", typ, zero, node, body)
    (j,), b1 = _nest(eb, (n,), node, f"{out.name}_s", body, reduction=True)
    b1.append(ir.Assign(loc, s_var, eb.binop("+", s, x(j), node)))
    m_var, mean = _scalar_acc(eb, f"{out.name}_mean", typ, eb.binop("/", s, count, node), node,
                              body)
    v_var, v = _scalar_acc(eb, f"{out.name}_var", typ, zero, node, body)
    (j,), b2 = _nest(eb, (n,), node, f"{out.name}_v", body, reduction=True)
    d = eb.binop("-", x(j), mean, node)
    b2.append(ir.Assign(loc, v_var, eb.binop("+", v, eb.binop("*", d, d, node), node)))
    var = eb.binop("/", v, count, node)
    root = ir.MathCall(typ, loc, "sqrt", [eb.binop("+", var, _float_const(eps, typ, loc), node)])
    r_var, r = _scalar_acc(eb, f"{out.name}_std", typ, root, node, body)
    (j,), b3 = _nest(eb, (n,), node, f"{out.name}_o", body)
    scaled = eb.binop("*", _cast(_load(gamma, [j], loc), typ, loc),
                      eb.binop("-", x(j), mean, node), node)
    b3.append(_store(eb, out, [*outer, j], eb.binop("+", eb.binop("/", scaled, r, node),
                                                    _cast(_load(beta, [j], loc), typ, loc),
                                                    node), loc))
    return out


def gelu(eb, a, node):
    """``allo.gelu(x)``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), elementwise."""
    typ = _float_array(eb, a, "allo.gelu", node)
    loc = eb.ctx.loc(node)
    out = _fresh(eb, "_gelu", typ, a.shape, node)
    idx, body = _nest(eb, a.shape, node, out.name, eb.ctx.body)
    x = _cast(_load(a, idx, loc), typ, loc)
    c = lambda v: _float_const(v, typ, loc)                         # noqa: E731
    cube = eb.binop("*", eb.binop("*", x, x, node), x, node)
    inner = eb.binop("*", c(math.sqrt(2 / math.pi)),
                     eb.binop("+", x, eb.binop("*", c(0.044715), cube, node), node), node)
    t = ir.MathCall(typ, loc, "tanh", [inner])
    value = eb.binop("*", eb.binop("*", c(0.5), x, node), eb.binop("+", c(1.0), t, node), node)
    body.append(_store(eb, out, idx, value, loc))
    return out


def _cast(e, typ, loc):
    from .expressions import cast_to
    return cast_to(e, typ, loc)


# --- windows (NCHW) ---------------------------------------------------------------------
def conv2d(eb, inp, filt, node):
    """``allo.conv2d(inp [N, C, H, W], filter [F, C, FH, FW]) -> [N, F, H-FH+1, W-FW+1]``
    (stride 1, no padding): each output sums inp * filter over C, FH, FW."""
    _need_array(eb, inp, "allo.conv2d's input", node, rank=4)
    _need_array(eb, filt, "allo.conv2d's filter", node, rank=4)
    (n, c, h, w), (f, fc, fh, fw) = inp.shape, filt.shape
    if fc != c or fh > h or fw > w:
        raise eb.ctx.type_error(f"allo.conv2d of input {inp.shape} and filter {filt.shape}: "
                                "need [N, C, H, W] and [F, C, FH, FW] with FH <= H, FW <= W",
                                node)
    typ = inp.dtype if inp.dtype == filt.dtype else rules.common_type(inp.dtype, filt.dtype)
    loc = eb.ctx.loc(node)
    out = _fresh(eb, "_conv", typ, (n, f, h - fh + 1, w - fw + 1), node)
    (i0, i1, i2, i3), body = _nest(eb, out.shape, node, out.name, eb.ctx.body)
    body.append(ir.Store(loc, out, [i0, i1, i2, i3], ir.Const(typ, loc, typ.from_python(0))))
    (kc, ky, kx), red = _nest(eb, (c, fh, fw), node, f"{out.name}_r", body, reduction=True)
    a = _load(inp, [i0, kc, ir.BinOp(IDX, loc, "+", i2, ky), ir.BinOp(IDX, loc, "+", i3, kx)],
              loc)
    prod = eb.binop("*", a, _load(filt, [i1, kc, ky, kx], loc), node)
    red.append(_store(eb, out, [i0, i1, i2, i3],
                      eb.binop("+", _load(out, [i0, i1, i2, i3], loc), prod, node), loc))
    return out


def pool(eb, inp, filt, kind, node):
    """``allo.maxpool`` / ``allo.sumpool(inp [N, C, H, W], filter [FH, FW])``: the max / sum
    of each FH x FW window (stride 1); the filter gives only the window's shape."""
    what = f"allo.{kind}pool"
    _need_array(eb, inp, f"{what}'s input", node, rank=4)
    _need_array(eb, filt, f"{what}'s window", node, rank=2)
    (n, c, h, w), (fh, fw) = inp.shape, filt.shape
    if fh > h or fw > w:
        raise eb.ctx.type_error(f"{what}: window {filt.shape} larger than the input {inp.shape}",
                                node)
    loc = eb.ctx.loc(node)
    out = _fresh(eb, f"_{kind}pool", inp.dtype, (n, c, h - fh + 1, w - fw + 1), node)
    idx, body = _nest(eb, out.shape, node, out.name, eb.ctx.body)
    i0, i1, i2, i3 = idx
    window = lambda ky, kx: _load(inp, [i0, i1, ir.BinOp(IDX, loc, "+", i2, ky),  # noqa: E731
                                        ir.BinOp(IDX, loc, "+", i3, kx)], loc)
    init = window(_const(0, loc), _const(0, loc)) if kind == "max" else \
        ir.Const(inp.dtype, loc, inp.dtype.from_python(0))
    body.append(ir.Store(loc, out, idx, init))
    (ky, kx), red = _nest(eb, (fh, fw), node, f"{out.name}_r", body, reduction=True)
    if kind == "max":
        value = ir.MathCall(inp.dtype, loc, "max", [_load(out, idx, loc), window(ky, kx)])
    else:
        value = eb.binop("+", _load(out, idx, loc), window(ky, kx), node)
    red.append(_store(eb, out, idx, value, loc))
    return out
