"""Benchmarks (not tests): `python -m bench NAME [options]`, one module per benchmark.

Each benchmark module has `run(args)` taking the remaining command-line arguments.
"""

import importlib

# name -> module under bench/; add yours here.
BENCHMARKS = {
    "generate": "bench.generate",
    "coverage": "bench.coverage",
    "incident_coverage": "bench.incident_coverage",
    "imports": "bench.imports",
    "http": "bench.http",
}


def run(name, args):
    importlib.import_module(BENCHMARKS[name]).run(args)
