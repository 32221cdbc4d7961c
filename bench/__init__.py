"""Side-by-side benchmarks of the Trodo SDK, its floor and its peers (run with `make bench`)."""
