"""A three-stage image pipeline: read rows of an image, blur each row with a 3-tap [1, 2, 1]
filter (edges clamped), then threshold. Rows travel between stages as blocks of a stream.

    python examples/dataflow/image_pipeline.py
"""
import numpy as np

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.ir.types import Stream, uint8, int32

H, W = 8, 12
LEVEL = 400


@df.region()
def top(img: uint8[H, W], out: uint8[H, W]):
    rows: Stream[uint8[W], 2]
    blurred: Stream[int32[W], 2]

    @df.kernel(mapping=[1], args=[img])
    def read(src: uint8[H, W]):
        for y in range(H):
            row: uint8[W] = 0
            for x in range(W):
                row[x] = src[y, x]
            rows.put(row)

    @df.kernel(mapping=[1])
    def blur():
        for y in range(H):
            row: uint8[W] = rows.get()
            acc: int32[W] = 0
            for x in range(W):
                left: int32 = row[x - 1] if x > 0 else row[x]
                right: int32 = row[x + 1] if x < W - 1 else row[x]
                acc[x] = left + 2 * row[x] + right
            blurred.put(acc)

    @df.kernel(mapping=[1], args=[out])
    def threshold(dst: uint8[H, W]):
        for y in range(H):
            acc: int32[W] = blurred.get()
            for x in range(W):
                dst[y, x] = 255 if acc[x] > LEVEL else 0


def reference(img):
    p = np.pad(img.astype(np.int64), ((0, 0), (1, 1)), mode="edge")
    acc = p[:, :-2] + 2 * p[:, 1:-1] + p[:, 2:]
    return np.where(acc > LEVEL, 255, 0).astype(np.uint8)


if __name__ == "__main__":
    img = np.random.default_rng(2).integers(0, 256, (H, W)).astype(np.uint8)
    out = np.zeros_like(img)
    df.build(top, target="simulator")(img, out)
    assert (out == reference(img)).all()
    print("three-stage image pipeline: matches numpy")
