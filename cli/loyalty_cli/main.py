"""The ``loyalty`` command (``[project.scripts]`` in pyproject.toml; ``.venv/bin/loyalty --help``)."""

from __future__ import annotations

import typer

from loyalty_cli import backtest, digest, history, tools

app = typer.Typer(
    name="loyalty",
    help="The loyalty engine's tools: backtest a program, import past orders, preview a digest, issue API keys, "
    "the OpenAPI document.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_show_locals=False,
)
app.command("backtest")(backtest.command)
app.command("import-history")(history.command)
app.command("digest-preview")(digest.command)
app.command("create-api-key")(tools.create_api_key)
app.command("openapi")(tools.openapi)
app.command("events-doc")(tools.events_doc)

if __name__ == "__main__":
    app()
