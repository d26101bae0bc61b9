"""``allo.library``: Allo's library of ready-made kernels (``allo.library.nn``: neural-network
layers as template kernels; ``allo.library.systolic``: the systolic matrix multiply)."""
