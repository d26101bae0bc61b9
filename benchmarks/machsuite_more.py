"""MachSuite aes/aes, nw/nw, md/knn and viterbi/viterbi for the QoR suite, written in Allo
syntax from the algorithms MachSuite implements (benchmarks/machsuite.py has the others and
the runner; data and check data are MachSuite's own, read from MACHSUITE_DATA).

md/knn and viterbi/viterbi are float64 as in MachSuite (the float units are generated for
float64 too); knn's forces are compared as MachSuite's check does (absolute difference below
1e-6), viterbi's path exactly. aes's S-box is a ROM computed here from FIPS-197's definition.
"""
from __future__ import annotations

import numpy as np

import allo_rtl as allo
from allo_rtl.ir.types import float64, int32


# --- aes/aes: AES-256 encryption of one 16-byte block (FIPS-197) -----------------------------
def _sbox() -> np.ndarray:
    """FIPS-197's S-box computed from its definition: the inverse in GF(2^8) modulo
    x^8 + x^4 + x^3 + x + 1, then the affine map b ^ rotl(b,1..4) ^ 0x63."""
    def mul(a, b):
        p = 0
        for _ in range(8):
            if b & 1:
                p ^= a
            a = ((a << 1) ^ (0x11B if a & 0x80 else 0)) & 0x1FF
            b >>= 1
        return p & 0xFF
    inv = [0] * 256
    for a in range(1, 256):
        inv[a] = next(b for b in range(1, 256) if mul(a, b) == 1)
    rotl = lambda b, n: ((b << n) | (b >> (8 - n))) & 0xFF      # noqa: E731
    return np.array([b ^ rotl(b, 1) ^ rotl(b, 2) ^ rotl(b, 3) ^ rotl(b, 4) ^ 0x63
                     for b in inv], np.int32)


SBOX = _sbox()          # a global numpy array: a ROM in the kernel


def aes256(key: int32[32], buf: int32[16]):
    # key schedule: 60 words of 4 bytes; every 8th word rotated, substituted and XORed with
    # the round constant, every 8th + 4 substituted only
    w: int32[240] = 0
    for i in range(32):
        w[i] = key[i]
    rcon: int32 = 1
    for t in range(8, 60):
        t0: int32 = w[4 * t - 4]
        t1: int32 = w[4 * t - 3]
        t2: int32 = w[4 * t - 2]
        t3: int32 = w[4 * t - 1]
        if t % 8 == 0:
            x: int32 = t0
            t0 = SBOX[t1] ^ rcon
            t1 = SBOX[t2]
            t2 = SBOX[t3]
            t3 = SBOX[x]
            rcon = ((rcon << 1) ^ (((rcon >> 7) & 1) * 27)) & 255
        elif t % 8 == 4:
            t0 = SBOX[t0]
            t1 = SBOX[t1]
            t2 = SBOX[t2]
            t3 = SBOX[t3]
        w[4 * t] = w[4 * t - 32] ^ t0
        w[4 * t + 1] = w[4 * t - 31] ^ t1
        w[4 * t + 2] = w[4 * t - 30] ^ t2
        w[4 * t + 3] = w[4 * t - 29] ^ t3
    st: int32[16] = 0
    for i in range(16):
        st[i] = buf[i] ^ w[i]
    sh: int32[16] = 0
    for rnd in range(1, 15):
        # SubBytes and ShiftRows (the state is column-major: byte r of column c at 4c + r)
        for c in range(4):
            for r in range(4):
                sh[4 * c + r] = SBOX[st[4 * ((c + r) % 4) + r]]
        for c in range(4):
            a0: int32 = sh[4 * c]
            a1: int32 = sh[4 * c + 1]
            a2: int32 = sh[4 * c + 2]
            a3: int32 = sh[4 * c + 3]
            if rnd < 14:          # MixColumns, all rounds but the last
                x0: int32 = ((a0 << 1) ^ (((a0 >> 7) & 1) * 27)) & 255
                x1: int32 = ((a1 << 1) ^ (((a1 >> 7) & 1) * 27)) & 255
                x2: int32 = ((a2 << 1) ^ (((a2 >> 7) & 1) * 27)) & 255
                x3: int32 = ((a3 << 1) ^ (((a3 >> 7) & 1) * 27)) & 255
                st[4 * c] = x0 ^ x1 ^ a1 ^ a2 ^ a3
                st[4 * c + 1] = a0 ^ x1 ^ x2 ^ a2 ^ a3
                st[4 * c + 2] = a0 ^ a1 ^ x2 ^ x3 ^ a3
                st[4 * c + 3] = x0 ^ a0 ^ a1 ^ a2 ^ x3
            else:
                st[4 * c] = a0
                st[4 * c + 1] = a1
                st[4 * c + 2] = a2
                st[4 * c + 3] = a3
        for i in range(16):
            st[i] = st[i] ^ w[16 * rnd + i]
    for i in range(16):
        buf[i] = st[i]


def aes_inputs(data):
    key, buf = data
    return [np.array(key, np.int32), np.array(buf, np.int32)]


def aes_check(args, result, expected):
    want = np.array(expected[0], np.int32)
    bad = int(np.count_nonzero(args[1] != want))
    return None if bad == 0 else f"{bad} of 16 bytes differ"


# --- nw/nw: Needleman-Wunsch global alignment of two 128-character sequences -----------------
ALEN = BLEN = 128
MATCH, MISMATCH, GAP = 1, -1, -1
DIAG, UP, LEFT = 0, 1, 2                  # where each cell's best score came from
DASH, PAD = 45, 95                        # '-' and '_'


def needwun(seqa: int32[ALEN], seqb: int32[BLEN], aligned_a: int32[ALEN + BLEN],
            aligned_b: int32[ALEN + BLEN]):
    score: int32[BLEN + 1, ALEN + 1] = 0
    came: int32[BLEN + 1, ALEN + 1] = 0
    for a in range(ALEN + 1):
        score[0, a] = a * GAP
        came[0, a] = LEFT
    for b in range(BLEN + 1):
        score[b, 0] = b * GAP
        came[b, 0] = UP
    for b in range(1, BLEN + 1):
        for a in range(1, ALEN + 1):
            s: int32 = MISMATCH
            if seqa[a - 1] == seqb[b - 1]:
                s = MATCH
            diag: int32 = score[b - 1, a - 1] + s
            up: int32 = score[b - 1, a] + GAP
            left: int32 = score[b, a - 1] + GAP
            best: int32 = max(diag, max(up, left))
            score[b, a] = best
            # ties: a gap in b first, then a gap in a, then the diagonal (MachSuite's order)
            if best == left:
                came[b, a] = LEFT
            elif best == up:
                came[b, a] = UP
            else:
                came[b, a] = DIAG
    # trace back from the corner; the aligned strings come out reversed, as MachSuite's
    ia: int32 = ALEN
    ib: int32 = BLEN
    n: int32 = 0
    while ia > 0 or ib > 0:
        d: int32 = came[ib, ia]
        if d == DIAG:
            aligned_a[n] = seqa[ia - 1]
            aligned_b[n] = seqb[ib - 1]
            ia = ia - 1
            ib = ib - 1
        elif d == LEFT:
            aligned_a[n] = seqa[ia - 1]
            aligned_b[n] = DASH
            ia = ia - 1
        else:
            aligned_a[n] = DASH
            aligned_b[n] = seqb[ib - 1]
            ib = ib - 1
        n = n + 1
    for k in range(n, ALEN + BLEN):
        aligned_a[k] = PAD
        aligned_b[k] = PAD


def _codes(s: str):
    return np.frombuffer(s.encode("ascii"), np.uint8).astype(np.int32)


def nw_inputs(data):
    seqa, seqb = data[0][0], data[1][0]
    assert len(seqa) == ALEN and len(seqb) == BLEN, (len(seqa), len(seqb))
    return [_codes(seqa), _codes(seqb), np.zeros(ALEN + BLEN, np.int32),
            np.zeros(ALEN + BLEN, np.int32)]


def nw_check(args, result, expected):
    bad = []
    for name, got, want in (("alignedA", args[2], expected[0][0]),
                            ("alignedB", args[3], expected[1][0])):
        text = bytes(int(x) & 0xFF for x in got).decode("ascii", "replace")
        if text != want:
            k = next((i for i, (x, y) in enumerate(zip(text, want)) if x != y),
                     min(len(text), len(want)))
            bad.append(f"{name} differs from character {k}")
    return "; ".join(bad) or None


# --- md/knn: Lennard-Jones forces over a 16-neighbour list, 256 atoms, float64 --------------
ATOMS, NEIGH = 256, 16
LJ1, LJ2 = 1.5, 2.0


def md_knn(force_x: float64[ATOMS], force_y: float64[ATOMS], force_z: float64[ATOMS],
           pos_x: float64[ATOMS], pos_y: float64[ATOMS], pos_z: float64[ATOMS],
           nl: int32[ATOMS * NEIGH]):
    for i in range(ATOMS):
        ix: float64 = pos_x[i]
        iy: float64 = pos_y[i]
        iz: float64 = pos_z[i]
        fx: float64 = 0.0
        fy: float64 = 0.0
        fz: float64 = 0.0
        for j in range(NEIGH):
            jidx: int32 = nl[i * NEIGH + j]
            dx: float64 = ix - pos_x[jidx]
            dy: float64 = iy - pos_y[jidx]
            dz: float64 = iz - pos_z[jidx]
            r2inv: float64 = 1.0 / (dx * dx + dy * dy + dz * dz)
            r6inv: float64 = r2inv * r2inv * r2inv
            potential: float64 = r6inv * (LJ1 * r6inv - LJ2)
            f: float64 = r2inv * potential
            fx = fx + dx * f
            fy = fy + dy * f
            fz = fz + dz * f
        force_x[i] = fx
        force_y[i] = fy
        force_z[i] = fz


def knn_inputs(data):
    px, py, pz, nl = data
    z = np.zeros(ATOMS, np.float64)
    return [z.copy(), z.copy(), z.copy(), np.array(px, np.float64), np.array(py, np.float64),
            np.array(pz, np.float64), np.array(nl, np.int32)]


def knn_check(args, result, expected):
    # MachSuite's check: |got - want| < EPSILON (1e-6) per force, on its printed values
    worst = 0.0
    for got, want in zip(args[:3], expected):
        worst = max(worst, float(np.max(np.abs(got - np.array(want, np.float64)))))
    return None if worst < 1e-6 else f"max absolute error {worst:.2e} >= 1e-6"


# --- viterbi/viterbi: most likely path of a 64-state HMM over 140 observations, float64 -----
OBS, STATES, TOKENS = 140, 64, 64


def viterbi(obs: int32[OBS], init: float64[STATES], transition: float64[STATES * STATES],
            emission: float64[STATES * TOKENS], path: int32[OBS]):
    # probabilities are -log: sums instead of products, the smallest wins
    llike: float64[OBS, STATES] = 0.0
    for s in range(STATES):
        llike[0, s] = init[s] + emission[s * TOKENS + obs[0]]
    for t in range(1, OBS):
        for cur in range(STATES):
            em: float64 = emission[cur * TOKENS + obs[t]]
            best: float64 = llike[t - 1, 0] + transition[cur] + em
            for prev in range(1, STATES):
                p: float64 = llike[t - 1, prev] + transition[prev * STATES + cur] + em
                if p < best:
                    best = p
            llike[t, cur] = best
    last: int32 = 0
    lbest: float64 = llike[OBS - 1, 0]
    for s in range(1, STATES):
        if llike[OBS - 1, s] < lbest:
            lbest = llike[OBS - 1, s]
            last = s
    path[OBS - 1] = last
    for k in range(OBS - 1):                  # t = OBS - 2 down to 0
        tb: int32 = OBS - 2 - k
        nxt: int32 = path[tb + 1]
        sb: int32 = 0
        pb: float64 = llike[tb, 0] + transition[nxt]
        for s in range(1, STATES):
            q: float64 = llike[tb, s] + transition[s * STATES + nxt]
            if q < pb:
                pb = q
                sb = s
        path[tb] = sb


def viterbi_inputs(data):
    obs, init, trans, emis = data
    return [np.array(obs, np.int32), np.array(init, np.float64), np.array(trans, np.float64),
            np.array(emis, np.float64), np.zeros(OBS, np.int32)]


def viterbi_check(args, result, expected):
    want = np.array(expected[0], np.int32)
    bad = int(np.count_nonzero(args[4] != want))
    return None if bad == 0 else f"{bad} of {OBS} path states differ"
