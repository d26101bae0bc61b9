"""Lowering of a scheduled, bound design to Amaranth components."""
