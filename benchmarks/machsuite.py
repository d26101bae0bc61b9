"""MachSuite kernels for the QoR suite, written in Allo syntax from MachSuite's descriptions
of the algorithms, run on MachSuite's own input data and checked against its check data
(``/work/shared/benchmarks/machsuite``, MachSuite's BSD license beside it; the data are read
from there, never copied into this repository). Override the place with ``MACHSUITE_DATA``.

Each kernel has ``inputs(data) -> args`` and ``check(args, result, expected) -> str | None``
(None: matches; else what differs). The float kernels (gemm/ncubed, spmv/crs, md/knn,
viterbi) are float64 as MachSuite's, on the float64 units. aes, nw, md/knn and viterbi are in machsuite_more.py.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import float64, int8, int32

from . import machsuite_more as more

DATA = Path(os.environ.get("MACHSUITE_DATA", "/work/shared/benchmarks/machsuite"))
# float64 results against check.data's printed values (16 significant digits; the sums run
# in MachSuite's order, so only the printing rounds)
REL = 1e-12


def sections(path: Path) -> list:
    """The ``%%``-separated sections of a MachSuite data file, each a list of its lines."""
    out = []
    for line in path.read_text().splitlines():
        if line.strip() == "%%":
            out.append([])
        elif out and line.strip():
            out[-1].append(line.strip())
    return out


# --- stencil/stencil2d: 3x3 filter over a 128x64 image ---------------------------------
ROWS, COLS = 128, 64


def stencil2d(orig: int32[ROWS, COLS], sol: int32[ROWS, COLS], filt: int32[3, 3]):
    for r, c in allo.grid(ROWS - 2, COLS - 2):
        acc: int32 = 0
        for k1, k2 in allo.grid(3, 3):
            acc += filt[k1, k2] * orig[r + k1, c + k2]
        sol[r, c] = acc


def stencil2d_inputs(data):
    orig, filt = data
    return [np.array(orig, np.int64).astype(np.int32).reshape(ROWS, COLS),
            np.zeros((ROWS, COLS), np.int32), np.array(filt, np.int32).reshape(3, 3)]


def stencil2d_check(args, result, expected):
    want = np.array(expected[0], np.int64).astype(np.int32).reshape(ROWS, COLS)
    bad = int(np.count_nonzero(args[1] != want))
    return None if bad == 0 else f"{bad} of {want.size} outputs differ"


# --- kmp: Knuth-Morris-Pratt count of a 4-character pattern in a 32411-character text ---
PATTERN, TEXT = 4, 32411


def kmp(pattern: int8[PATTERN], text: int8[TEXT], n_matches: int32[1]):
    # failure function: fail[q] is the length of the longest proper prefix of
    # pattern[0..q] that is also its suffix
    fail: int32[PATTERN] = 0
    k: int32 = 0
    for q in range(1, PATTERN):
        while k > 0 and pattern[k] != pattern[q]:
            k = fail[k - 1]
        if pattern[k] == pattern[q]:
            k = k + 1
        fail[q] = k
    matched: int32 = 0
    count: int32 = 0
    for i in range(TEXT):
        while matched > 0 and pattern[matched] != text[i]:
            matched = fail[matched - 1]
        if pattern[matched] == text[i]:
            matched = matched + 1
        if matched == PATTERN:
            count = count + 1
            matched = fail[matched - 1]
    n_matches[0] = count


def _chars(s: str):
    return np.frombuffer(s.encode("ascii"), np.uint8).astype(np.int8)


def kmp_inputs(data):
    pattern, text = data[0][0], data[1][0]
    # MachSuite's text array holds the string and its terminating NUL
    assert len(pattern) == PATTERN and len(text) == TEXT - 1, (len(pattern), len(text))
    return [_chars(pattern), _chars(text + "\0"), np.zeros(1, np.int32)]


def kmp_check(args, result, expected):
    want = int(expected[0][0])
    got = int(args[2][0])
    return None if got == want else f"{got} matches, check data says {want}"


# --- gemm/ncubed: 64x64 matrix product, float64 ---------------------------------------------
GN = 64


def gemm_ncubed(m1: float64[GN, GN], m2: float64[GN, GN], prod: float64[GN, GN]):
    for i, j in allo.grid(GN, GN):
        acc: float64 = 0.0
        for k in range(GN):
            acc += m1[i, k] * m2[k, j]
        prod[i, j] = acc


def gemm_inputs(data):
    m1, m2 = (np.array(d, np.float64).reshape(GN, GN) for d in data)
    return [m1, m2, np.zeros((GN, GN), np.float64)]


def gemm_check(args, result, expected):
    want = np.array(expected[0], np.float64).reshape(GN, GN)
    err = float(np.max(np.abs(args[2] - want) / np.abs(want)))
    return None if err <= REL else f"max relative error {err:.2e} > {REL}"


# --- stencil/stencil3d: 7-point stencil on 32x32x16, boundary copied ---------------------
H3, C3, R3 = 32, 32, 16


def stencil3d(C: int32[2], orig: int32[H3, C3, R3], sol: int32[H3, C3, R3]):
    for h, c, r in allo.grid(H3, C3, R3):
        inner: int32 = 0
        if h > 0 and h < H3 - 1 and c > 0 and c < C3 - 1 and r > 0 and r < R3 - 1:
            inner = 1
        if inner == 1:
            sol[h, c, r] = C[0] * orig[h, c, r] + C[1] * (
                orig[h - 1, c, r] + orig[h + 1, c, r] + orig[h, c - 1, r] + orig[h, c + 1, r]
                + orig[h, c, r - 1] + orig[h, c, r + 1])
        else:
            sol[h, c, r] = orig[h, c, r]


def stencil3d_inputs(data):
    coef, orig = data
    return [np.array(coef, np.int32), np.array(orig, np.int64).astype(np.int32)
            .reshape(H3, C3, R3), np.zeros((H3, C3, R3), np.int32)]


def stencil3d_check(args, result, expected):
    want = np.array(expected[0], np.int64).astype(np.int32).reshape(H3, C3, R3)
    bad = int(np.count_nonzero(args[2] != want))
    return None if bad == 0 else f"{bad} of {want.size} outputs differ"


# --- sort/radix and sort/merge: 2048 non-negative int32 ------------------------------------
S = 2048


def radix_sort(a: int32[S]):
    # least significant digit first, 4 bits a pass: count, exclusive prefix sum, scatter
    b: int32[S] = 0
    count: int32[16] = 0
    for p in range(8):
        for d in range(16):
            count[d] = 0
        for i in range(S):
            count[(a[i] >> (4 * p)) & 15] += 1
        run: int32 = 0
        for d in range(16):
            here: int32 = count[d]
            count[d] = run
            run = run + here
        for i in range(S):
            digit: int32 = (a[i] >> (4 * p)) & 15
            b[count[digit]] = a[i]
            count[digit] += 1
        for i in range(S):
            a[i] = b[i]


def merge_sort(a: int32[S]):
    # bottom-up: runs of width 1, 2, 4, ... merged pairwise into tmp, then copied back
    tmp: int32[S] = 0
    width: int32 = 1
    while width < S:
        lo: int32 = 0
        while lo < S:
            mid: int32 = lo + width
            if mid > S:
                mid = S
            hi: int32 = lo + 2 * width
            if hi > S:
                hi = S
            i: int32 = lo
            j: int32 = mid
            for k in range(lo, hi):
                left: int32 = 0
                if i < mid:
                    if j >= hi:
                        left = 1
                    elif a[i] <= a[j]:
                        left = 1
                if left == 1:
                    tmp[k] = a[i]
                    i = i + 1
                else:
                    tmp[k] = a[j]
                    j = j + 1
            lo = hi
        for k in range(S):
            a[k] = tmp[k]
        width = width * 2


def sort_inputs(data):
    return [np.array(data[0], np.int64).astype(np.int32)]


def sort_check(args, result, expected):
    want = np.array(expected[0], np.int64).astype(np.int32)
    bad = int(np.count_nonzero(args[0] != want))
    return None if bad == 0 else f"{bad} of {want.size} positions differ"


# --- spmv/crs: sparse matrix (compressed rows) times vector, float64 ------------------------
NNZ, ROWS_S = 1666, 494


def spmv_crs(val: float64[NNZ], cols: int32[NNZ], row_start: int32[ROWS_S + 1],
             vec: float64[ROWS_S], out: float64[ROWS_S]):
    for i in range(ROWS_S):
        acc: float64 = 0.0
        for j in range(row_start[i], row_start[i + 1]):      # run-time bounds
            acc += val[j] * vec[cols[j]]
        out[i] = acc


def spmv_inputs(data):
    val, cols, rows, vec = data
    return [np.array(val, np.float64), np.array(cols, np.int32),
            np.array(rows, np.int32), np.array(vec, np.float64), np.zeros(ROWS_S, np.float64)]


def spmv_check(args, result, expected):
    want = np.array(expected[0], np.float64)
    err = float(np.max(np.abs(args[4] - want) / np.abs(want)))
    return None if err <= REL else f"max relative error {err:.2e} > {REL}"


# --- bfs/queue: breadth-first search levels from one node, counted per level ----------------
NODES, EDGES, MAX_LEVEL, LEVELS = 256, 4096, 127, 10


def bfs_queue(start: int32, edge_begin: int32[NODES], edge_end: int32[NODES],
              edges: int32[EDGES], level_counts: int32[LEVELS]):
    level: int32[NODES] = 0
    queue: int32[NODES] = 0
    for n in range(NODES):
        level[n] = MAX_LEVEL
    for k in range(LEVELS):
        level_counts[k] = 0
    level[start] = 0
    level_counts[0] = 1
    queue[0] = start
    head: int32 = 0
    tail: int32 = 1
    while head < tail:                 # every node enters the queue once
        node: int32 = queue[head]
        head = head + 1
        for e in range(edge_begin[node], edge_end[node]):
            dst: int32 = edges[e]
            if level[dst] == MAX_LEVEL:
                level[dst] = level[node] + 1
                level_counts[level[node] + 1] += 1
                queue[tail] = dst
                tail = tail + 1


def bfs_inputs(data):
    start, nodes, edges = data
    pairs = np.array(nodes, np.int64).reshape(NODES, 2)
    return [int(start[0]), pairs[:, 0].astype(np.int32), pairs[:, 1].astype(np.int32),
            np.array(edges, np.int32), np.zeros(LEVELS, np.int32)]


def bfs_check(args, result, expected):
    want = np.array(expected[0], np.int32)
    return None if np.array_equal(args[4], want) else \
        f"level counts {args[4].tolist()}, check data {want.tolist()}"


@dataclass
class MachKernel:
    name: str              # MachSuite's kernel/variant
    kernel: object
    inputs: object
    check: object
    note: str = ""
    rtl: bool = False       # short enough to simulate as RTL (the suite also runs the model)

    def data(self):
        folder = DATA / self.name
        return sections(folder / "input.data"), sections(folder / "check.data")


KERNELS = [
    MachKernel("stencil/stencil2d", stencil2d, stencil2d_inputs, stencil2d_check),
    MachKernel("kmp/kmp", kmp, kmp_inputs, kmp_check),
    MachKernel("gemm/ncubed", gemm_ncubed, gemm_inputs, gemm_check,
               "float64; relative error <= 1e-12 against the printed check data"),
    MachKernel("stencil/stencil3d", stencil3d, stencil3d_inputs, stencil3d_check),
    MachKernel("sort/radix", radix_sort, sort_inputs, sort_check),
    MachKernel("sort/merge", merge_sort, sort_inputs, sort_check),
    MachKernel("spmv/crs", spmv_crs, spmv_inputs, spmv_check,
               "float64; relative error <= 1e-12 against the printed check data"),
    MachKernel("bfs/queue", bfs_queue, bfs_inputs, bfs_check, rtl=True),
    MachKernel("aes/aes", more.aes256, more.aes_inputs, more.aes_check,
               "AES-256; S-box a ROM computed from FIPS-197's definition", rtl=True),
    MachKernel("nw/nw", more.needwun, more.nw_inputs, more.nw_check),
    MachKernel("md/knn", more.md_knn, more.knn_inputs, more.knn_check,
               "float64; MachSuite's check: absolute error < 1e-6"),
    MachKernel("viterbi/viterbi", more.viterbi, more.viterbi_inputs, more.viterbi_check,
               "float64"),
]
