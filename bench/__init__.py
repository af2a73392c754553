"""Benchmarks (not tests): `python -m bench NAME [options]`, one module per benchmark.

Each benchmark module has `main(...)` taking its options as keyword arguments; bench/cli.py
makes it a command of `python -m bench` (add yours there).
"""
