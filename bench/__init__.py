"""Speed benchmarks of QUALITY.md: `make bench` (data set L) and `make bench-smoke` (CI)."""
