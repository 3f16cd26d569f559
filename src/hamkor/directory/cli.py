"""Commands of the directory: bulk imports of institutions, rooms and people."""

from __future__ import annotations

import typer

app = typer.Typer(help="Bulk imports from CSV or XLSX (all or nothing).", no_args_is_help=True)
