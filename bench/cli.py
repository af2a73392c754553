"""The commands of `python -m bench` (bench/__main__.py), one per benchmark module.

A command runs its module's `main()` with the options as keyword arguments. It imports the
module (and the service, the database drivers... that it imports) only when it runs, so that
`python -m bench NAME --help` stays quick: its help is the module's docstring, read from the
file. Options several benchmarks share are written once, below.
"""

import ast
import importlib
import os
import re

import click

# The catalogue that `coverage` generates and `incident_coverage --reuse` adds to.
COVERAGE_DB = "sqlite:///var/bench-coverage.db"


def _together(decorators):
    """One decorator applying `decorators` (click options: they list in this order)."""

    def decorate(function):
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return decorate


def catalogue_options(db=None, db_help="database URL", reuse=False):
    """--incidents, --sources and --seed: the seeded catalogue of bench/generate.py; with
    `db`, --db (`db` its default) before them; with `reuse`, --reuse after them."""
    options = []
    if db is not None:
        options.append(click.option("--db", default=db, help=db_help))
    options += [
        click.option("--incidents", type=int, default=100_000),
        click.option("--sources", type=int, default=1_000_000),
        click.option("--seed", type=int, default=2026),
    ]
    if reuse:
        options.append(
            click.option(
                "--reuse",
                is_flag=True,
                help="use the catalogue already at --db instead of generating one",
            )
        )
    return _together(options)


def docs_option(help_text=None):
    """--write-docs PATH: the file (docs/performance.md) whose section gets the figures."""
    return click.option("--write-docs", metavar="PATH", help=help_text)


def _sizes(context, parameter, value):
    try:
        return [int(n) for n in value.split(",")]
    except ValueError:
        raise click.BadParameter(f"not comma-separated numbers: {value!r}") from None


def _help(name):
    """bench/NAME.py's docstring, read without importing the module, each paragraph marked
    (\\b) for click to print as written (as argparse's RawDescriptionHelpFormatter did)."""
    with open(os.path.join(os.path.dirname(__file__), f"{name}.py")) as f:
        text = ast.get_docstring(ast.parse(f.read()))
    return "\n\n".join("\b\n" + paragraph for paragraph in re.split(r"\n\s*\n", text))


def benchmark(name, *options):
    """The command NAME: bench/NAME.py's `main(**values of options)`, `options` being click
    option decorators (listed in this order)."""

    def run(**values):
        importlib.import_module(f"bench.{name}").main(**values)

    return click.command(name, help=_help(name))(_together(options)(run))


COMMANDS = [
    benchmark(
        "generate",
        catalogue_options(
            db="sqlite:///var/bench.db", db_help="database URL (a SQLite file is replaced)"
        ),
        click.option(
            "--analyze/--no-analyze", default=True, help="run ANALYZE afterwards (default)"
        ),
    ),
    benchmark(
        "coverage",
        catalogue_options(db=COVERAGE_DB, reuse=True),
        click.option("--runs", type=int, default=5),
        docs_option("write the results into PATH's coverage section"),
    ),
    benchmark(
        "paging",
        catalogue_options(db=COVERAGE_DB, reuse=True),
        click.option("--runs", type=int, default=7),
        docs_option("write the results into PATH's paging section"),
    ),
    benchmark(
        "incident_coverage",
        catalogue_options(db=COVERAGE_DB, reuse=True),
        click.option("--runs", type=int, default=101),
        docs_option(),
    ),
    benchmark(
        "search",
        catalogue_options(db="sqlite:///var/bench-search.db", reuse=True),
        click.option("--runs", type=int, default=5),
        docs_option("write the results into PATH's search section"),
    ),
    benchmark(
        "imports",
        click.option(
            "--rows",
            "sizes",
            default="30000,300000",
            callback=_sizes,
            help="comma-separated sizes of the sources' imports (default: 30000,300000)",
        ),
        click.option(
            "--incidents",
            "incident_sizes",
            default="100000",
            callback=_sizes,
            help="comma-separated sizes of the incidents' imports (default: 100000)",
        ),
        click.option(
            "--repeat",
            type=int,
            default=1,
            help="runs of each side per size; the fastest is reported",
        ),
        click.option("--no-postgres", is_flag=True),
        docs_option("write the figures into this file's imports section (docs/performance.md)"),
    ),
    benchmark(
        "audit_writers",
        click.option(
            "--writers",
            default="1,2,4,8,16",
            callback=_sizes,
            help="comma-separated numbers of writers",
        ),
        click.option(
            "--servers",
            default="1,2",
            callback=_sizes,
            help="comma-separated numbers of `evidence serve` processes on the database",
        ),
        click.option("--seconds", type=int, default=5, help="per step"),
        click.option("--workers", type=int, default=4),
        click.option("--threads", type=int, default=4),
        docs_option("write the figures into PATH's audit_writers section"),
    ),
    benchmark(
        "http",
        click.option(
            "--backend", type=click.Choice(("sqlite", "postgresql", "both")), default="both"
        ),
        catalogue_options(),
        click.option("--workers", type=int, default=4),
        click.option("--threads", type=int, default=4),
        click.option("--connections", type=int, default=16),
        click.option("--seconds", type=int, default=8, help="per endpoint and round"),
        click.option("--rounds", type=int, default=3),
        click.option("--writers", type=int, default=32, help="clients in the writes phase"),
        click.option("--writes-each", type=int, default=50),
        click.option("--driver", type=click.Choice(("auto", "wrk", "threads")), default="auto"),
        click.option("--json", "json_path", help="also write the raw results here"),
        docs_option("replace this benchmark's section of PATH (docs/performance.md)"),
    ),
]
