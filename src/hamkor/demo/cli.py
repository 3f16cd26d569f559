"""The ``hamkor demo`` command."""

from __future__ import annotations

from hamkor.core.cli import console, session_factory


def demo() -> None:
    """Load the demo program (idempotent: a second run adds nothing)."""
    from rich.progress import Progress

    from hamkor.core.db import transaction
    from hamkor.core.demo import DEMO_PASSWORD
    from hamkor.demo.loader import STEPS, load_demo

    with Progress(console=console(), transient=True) as progress:
        task = progress.add_task("Loading the demo", total=len(STEPS))
        with transaction(session_factory()) as db:
            summary = load_demo(
                db, progress=lambda name: progress.update(task, advance=1, description=name)
            )
    if summary.total == 0:
        console().print("The demo is already loaded; nothing added.")
        return
    added = ", ".join(f"{count} {kind}" for kind, count in sorted(summary.added.items()))
    console().print(f"[green]Demo loaded:[/green] {added}.")
    console().print(
        f"Log in as admin, coordinator, registrar, ... with the password {DEMO_PASSWORD}."
    )
