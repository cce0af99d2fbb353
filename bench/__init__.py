"""Runnable benchmarks; results and the commands that produced them are in docs/PERFORMANCE.md."""
