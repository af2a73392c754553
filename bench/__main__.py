"""`python -m bench NAME [options]`: the benchmarks of bench/cli.py as commands of one group."""

import click

from bench.cli import COMMANDS


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(context):
    """Benchmarks (not tests), one module of bench/ each: `python -m bench COMMAND --help` for
    its options."""
    if context.invoked_subcommand is None:  # the list, as --help gives it, and exit status 0
        click.echo(context.get_help())


for command in COMMANDS:
    main.add_command(command)

if __name__ == "__main__":
    main()
