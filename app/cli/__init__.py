"""The ``delphi`` command: database, studies, panel, rounds, mail, accounts, demo.

One module per command group. Each imports only typer at the top, and what a command
needs inside it, so that ``delphi survey list`` loads neither the web stack nor the
statistics (tests/app/test_cli.py checks it in a fresh process).
"""

from __future__ import annotations

import sys

import typer

from app.cli import accounts, database, mail, panel, rounds, server, studies

cli = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help=__doc__.splitlines()[0] if __doc__ else None,
    pretty_exceptions_enable=False,
)
cli.command("worker")(mail.worker)
cli.command("serve")(server.serve)
cli.command("backup")(database.backup)
cli.command("restore")(database.restore)
cli.command("demo")(server.demo)
for name, group in [
    ("db", database.db_cli),
    ("survey", studies.survey_cli),
    ("panel", panel.panel_cli),
    ("round", rounds.round_cli),
    ("mail", mail.mail_cli),
    ("facilitator", accounts.facilitator_cli),
    ("team", accounts.team_cli),
    ("apikey", accounts.apikey_cli),
]:
    cli.add_typer(group, name=name)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
