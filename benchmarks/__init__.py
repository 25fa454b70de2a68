"""ezlock benchmarks: ``python -m benchmarks [--quick]`` prints one JSON document.

Every latency is reported as p50 / p95 / p99 on loopback with simulated motor travel 0,
next to a floor measured in the same run, so each figure reads as a ratio to the cost
nobody can avoid. Timing never decides a test: these numbers go to docs/performance.md.
"""
