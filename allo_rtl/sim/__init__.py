"""Execution of kernels: the reference interpreter (golden model) and simulation harnesses."""
