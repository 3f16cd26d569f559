"""The command line answers ``--help`` without loading the libraries of the commands' work.

Each command imports what its own work needs when it runs, so that ``hamkor --help`` and every
``hamkor ... --help`` start in the time of Typer itself; a new top-level import of a service or
a heavy library in any ``cli.py`` fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys

# The libraries a command may load only when it does its work: the database and web layers,
# the solver, the document and data libraries, and Rich, which draws tables and progress bars
# but not the help (plain Click help). (Not pydantic: Typer itself parses with it.)
HEAVY = (
    "rich",
    "sqlalchemy",
    "fastapi",
    "hamkor.settings",
    "ortools",
    "pandas",
    "fhir",
    "openpyxl",
    "xlsxwriter",
    "reportlab",
    "weasyprint",
    "vl_convert",
    "pydicom",
    "dicognito",
    "lxml",
)

# Runs in a fresh interpreter: asks every command for its help, then names the heavy packages
# loaded by then.
PROBE = """
import json, sys
import typer
from hamkor.cli import app

root = typer.main.get_command(app)

def paths(command, path):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, [*path, name])

asked = 0
for path in paths(root, []):
    root.main(args=[*path, "--help"], prog_name="hamkor", standalone_mode=False)
    asked += 1
heavy = set(json.loads(sys.argv[1]))
loaded = sorted(name for name in heavy if name in sys.modules)
print(json.dumps({"asked": asked, "loaded": loaded}), file=sys.stderr)
"""


def test_help_of_every_command_loads_no_heavy_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        check=True,
    )
    answer = json.loads(result.stderr.strip().splitlines()[-1])
    assert answer["asked"] > 30
    assert answer["loaded"] == []
