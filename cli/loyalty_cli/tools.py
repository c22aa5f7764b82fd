"""The project's own tools under ``loyalty``: API keys and the OpenAPI document, calling the scripts that do the work.

``scripts/create_api_key.py`` and ``scripts/openapi.py`` keep their logic (the integration tests
call them); these commands add the local stack's defaults and one place to find them.
"""

from __future__ import annotations

from typing import Annotated

import typer

from loyalty_cli import aws
from loyalty_service.ports import Role


def create_api_key(
    role: Annotated[Role, typer.Option("--role", help="storefront: storefront routes; admin: every route")],
    label: Annotated[str, typer.Option("--label", help="who holds the key (shown as the principal; no secrets)")],
    table: Annotated[
        str | None,
        typer.Option(
            "--table",
            help="the ApiKeysTable's physical name (default: $API_KEYS_TABLE; the local stack's with AWS_ENDPOINT_URL)",
        ),
    ] = None,
    usage_plan: Annotated[
        str | None,
        typer.Option(
            "--usage-plan",
            help="also register the key with this API Gateway usage plan (the stack's StorefrontUsagePlanId or "
            "AdminUsagePlanId output; with AWS_ENDPOINT_URL, the local stack's plan for --role)",
        ),
    ] = None,
) -> None:
    """Issue an API key: store its SHA-256 with a role and a label, and print the key once (stdout only).

    boto3 finds the region and credentials as usual; with AWS_ENDPOINT_URL (the local stack) and
    nothing configured, the local stack's region, dummy credentials and table are used.
    """
    from scripts.create_api_key import main

    aws.use_endpoint_defaults()
    aws.use_local_tables("AdminAuthorizerFunction")
    usage_plan = usage_plan or aws.local_usage_plan(role)
    arguments = ["--role", role, "--label", label, *(["--table", table] if table else [])]
    arguments += ["--usage-plan", usage_plan] if usage_plan else []
    raise typer.Exit(main(arguments))


def openapi(
    write: Annotated[bool, typer.Option("--write", help="regenerate docs/openapi.json")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="exit 1, saying what differs, when docs/openapi.json is stale")
    ] = False,
) -> None:
    """Build the OpenAPI document from the functions' resolvers and template.yaml (make openapi)."""
    if write == check:
        raise typer.BadParameter("give exactly one of --write and --check", param_hint="'--write' / '--check'")
    from scripts.openapi import main

    raise typer.Exit(main(["--write" if write else "--check"]))


def events_doc(
    write: Annotated[bool, typer.Option("--write", help="regenerate docs/events.md")] = False,
    check: Annotated[bool, typer.Option("--check", help="exit 1 when docs/events.md is stale")] = False,
) -> None:
    """docs/events.md from the event models: every type with an example and its JSON Schema."""
    from loyalty_cli.events_doc import DOCUMENT, render, stale

    if write:
        DOCUMENT.write_text(render(), encoding="utf-8")
        typer.echo(f"wrote {DOCUMENT}")
    elif check:
        if stale():
            typer.echo(f"{DOCUMENT} is stale: run `loyalty events-doc --write`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{DOCUMENT} is up to date")
    else:
        typer.echo(render(), nl=False)
