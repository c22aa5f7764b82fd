"""``loyalty digest-preview``: see a digest email before it goes out, as HTML (and plain text next to it).

``--demo`` needs no AWS: it plays a realistic month of the SPEC example program
(``docs/examples/program.json``) through the rules core itself (commits, a cancel, a referral,
an expiry) and renders the digest the job would send on 2026-11-21 at 06:00 UTC.

``--customer ID --time ISO`` reads the account, its ledger since its previous digest, its codes and
the active program from DynamoDB through the adapters, exactly what the digest job reads, tier
changes included: AWS credentials and the table names of template.yaml in the environment
(``ACCOUNTS_TABLE``, ``LEDGER_TABLE``, ...). Against the local stack only ``AWS_ENDPOINT_URL`` is
needed: the region, dummy credentials and the table names are then the local stack's.

The unsubscribe link of a preview is signed with a preview-only key: it does not work in production.
``--out`` names the HTML file; the text part is written next to it with the suffix ``.txt``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from botocore.exceptions import BotoCoreError, ClientError

from loyalty.account import Account
from loyalty.codes import DiscountCode, ReferralCode
from loyalty.commit import Commit, cancel_order, commit_order
from loyalty.digest import Digest, TierChangeRecord, build_digest
from loyalty.errors import NotConfigured
from loyalty.ledger import LedgerEntry
from loyalty.order import Order
from loyalty.profile import Profile
from loyalty.program import Program
from loyalty.types import NaiveInstant, parse_instant
from loyalty_cli import aws
from loyalty_digest.render import RenderedEmail, render
from loyalty_digest.unsubscribe import sign

ROOT = Path(__file__).resolve().parents[2]
DEMO_PROGRAM = ROOT / "docs" / "examples" / "program.json"
PREVIEW_SECRET = b"preview-only-key-never-used-to-send"
DEFAULT_UNSUBSCRIBE_BASE = "https://rewards.example.com/unsubscribe"
REFERRAL_CODE = "R9QK2M7TX"
NEXT_PURCHASE_CODES = ("NP-4H7Q2W9K", "NP-6B2X9D4M", "NP-3R8J5T1W", "NP-9T2M4R6B", "NP-7F3K2Q9X", "NP-2C6V8X4Z")


def command(
    out: Annotated[Path, typer.Option("--out", help="the HTML file to write; the text part goes next to it (.txt)")],
    demo: Annotated[bool, typer.Option("--demo", help="the SPEC example program's demo account, no AWS")] = False,
    customer: Annotated[
        str | None, typer.Option("--customer", metavar="ID", help="an account stored in DynamoDB (needs --time)")
    ] = None,
    moment: Annotated[
        str | None,
        typer.Option("--time", metavar="ISO", help="the job's time T, e.g. 2026-11-21T06:00:00Z (with --customer)"),
    ] = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="render in this locale (default: the profile's)")
    ] = None,
    sender_name: Annotated[
        str | None, typer.Option("--sender-name", help="the sender shown in the footer (default: the program's name)")
    ] = None,
    unsubscribe_base: Annotated[
        str, typer.Option("--unsubscribe-base", help="the unsubscribe endpoint the link points to")
    ] = DEFAULT_UNSUBSCRIBE_BASE,
) -> None:
    """Render the digest email an account would receive (HTML, and its text part next to it).

    --demo plays the SPEC example through the rules core, no AWS needed; --customer ID --time ISO
    reads a stored account as the digest job would (against the local stack, set only AWS_ENDPOINT_URL).
    """
    if demo == (customer is not None):
        raise typer.BadParameter("give either --demo or --customer ID", param_hint="'--demo' / '--customer'")
    if customer is None:
        digest = demo_digest()
    elif moment is None:
        raise typer.BadParameter("--customer needs --time (the job's time T)", param_hint="'--time'")
    else:
        aws.use_endpoint_defaults()
        aws.use_local_tables("DigestFunction")
        try:
            aws.require_tables()
            digest = stored_digest(customer, _instant(moment))
        except (BotoCoreError, ClientError, aws.StoredDataUnavailable) as error:
            typer.echo(f"error: reading the account: {error}", err=True)
            raise typer.Exit(1) from error
    locale = locale or digest.locale
    token = sign(digest.customer_id, PREVIEW_SECRET, issued_at=digest.at)
    email = render(
        digest,
        locale=locale,
        unsubscribe_url=f"{unsubscribe_base}?token={token}",
        sender_name=sender_name or digest.program_name,
    )
    write(email, out)
    typer.echo(f"{out}: {email.subject!r} ({locale}; activity: {'yes' if digest.has_activity else 'none'})")


def write(email: RenderedEmail, html_path: Path) -> None:
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(email.html, encoding="utf-8")
    html_path.with_suffix(".txt").write_text(f"Subject: {email.subject}\n\n{email.text}", encoding="utf-8")


# ---------------------------------------------------------------------------------------------- the demo


def demo_digest() -> Digest:
    """ACME's digest of 2026-11-21 06:00 UTC, its previous one sent on 2026-11-18 06:00 UTC.

    Before that digest: three orders over the past year (one redeeming 400 points). Since then:
    the 600 points left of the oldest order expired, an order was placed and cancelled, the SPEC's
    1,000-fastener order lifted ACME from Bronze to Silver, a Silver order issued a next-purchase
    code, and BETA's first order with ACME's referral code earned ACME a 5 % reward code.
    """
    program = Program.parse(json.loads(DEMO_PROGRAM.read_text(encoding="utf-8")))
    since, moment = parse_instant("2026-11-18T06:00:00Z"), parse_instant("2026-11-21T06:00:00Z")
    demo = _DemoAccount(program)

    demo.place(_order("SO-0901", "2025-11-19T08:30:00Z", ("GLOVES-NITRILE", 200, "5.00", "safety")))
    demo.place(_order("SO-0950", "2025-12-12T13:05:00Z", ("CABLE-TIES-300", 400, "2.50", "electrical")))
    demo.place(_order("SO-0980", "2026-06-10T09:40:00Z", ("DRILL-BIT-SET", 350, "4.00", "tools"), redeem=400))
    demo.expire(parse_instant("2026-11-19T08:30:00Z"))
    demo.cancel(demo.place(_order("SO-1000", "2026-11-19T09:00:00Z", ("SAFETY-GLASSES", 50, "12.00", "safety"))))
    demo.place(_order("SO-1001", "2026-11-20T10:15:00Z", ("BOLT-M8", 1000, "0.45", "fasteners")))
    demo.refer(_order("BT-0001", "2026-11-20T11:02:00Z", ("ANCHOR-M10", 100, "3.20", "fasteners"), customer_id="BETA"))
    demo.place(_order("SO-1002", "2026-11-20T15:40:00Z", ("TORQUE-WRENCH", 40, "25.00", "tools")))

    profile = Profile(email="purchasing@acme.example", name="Acme Industrial Supply", locale="en", email_opt_in=True)
    entries = [entry for entry in demo.ledger if since < entry.at <= moment]
    changes = [change for change in demo.tier_changes if since < change.at <= moment]
    return build_digest(
        program, demo.account, profile, entries, list(demo.codes.values()), (REFERRAL_CODE, 3), changes, since, moment
    )


class _DemoAccount:
    """ACME as the engine would store it, moved on by the core's own commit, cancel and expiry."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.account = Account(customer_id="ACME")
        self.ledger: list[LedgerEntry] = []
        self.codes: dict[str, DiscountCode] = {}
        self.tier_changes: list[TierChangeRecord] = []
        minted = {"next_purchase": iter(NEXT_PURCHASE_CODES), "referral_reward": iter(["RR-5J8D3N2P"])}
        self._mint = lambda kind: next(minted[kind])

    def place(self, order: Order) -> Commit:
        done = commit_order(self.program, self.account, order, {}, mint=self._mint)
        self.account = done.account
        self.ledger.extend(done.ledger)
        if done.issued_code is not None:
            self.codes[done.issued_code.code] = done.issued_code
        tier = done.decision.tier
        if tier is not None and tier.before != tier.after:
            change = TierChangeRecord(before=tier.before, after=tier.after, at=order.placed_at, why="upgrade on order")
            self.tier_changes.append(change)
        return done

    def cancel(self, done: Commit) -> None:
        issued = self.codes.get(done.record.issued_code or "")
        cancellation = cancel_order(self.account, done.record, issued)
        self.account = cancellation.account
        self.ledger.extend(cancellation.ledger)
        if cancellation.revoked_code is not None:
            self.codes[cancellation.revoked_code] = self.codes[cancellation.revoked_code].model_copy(
                update={"status": "revoked"}
            )

    def refer(self, referee_order: Order) -> None:
        """Another company's first order carrying ACME's referral code."""
        code = ReferralCode(code=REFERRAL_CODE, customer_id="ACME", referrals=2)
        order = referee_order.model_copy(update={"codes": [REFERRAL_CODE]})
        referee = Account(customer_id=order.customer_id)
        done = commit_order(self.program, referee, order, {REFERRAL_CODE: code}, mint=self._mint, referrer=self.account)
        if done.referral is not None:
            self.account = done.referral.referrer
            self.ledger.extend(done.referral.ledger)
            if done.referral.reward_code is not None:
                self.codes[done.referral.reward_code.code] = done.referral.reward_code

    def expire(self, moment: datetime) -> None:
        """What the nightly expiry job does to the account at ``moment``."""
        wallet, expired = self.account.wallet.expire(moment)
        self.account = self.account.model_copy(update={"wallet": wallet})
        self.ledger.extend(
            LedgerEntry(
                customer_id=self.account.customer_id,
                at=item.lot.expires_at or moment,
                kind="expire",
                points=-item.points,
                rule="expiry",
                order_id=item.lot.order_id,
                lot_id=item.lot.lot_id,
            )
            for item in expired
        )


def _order(
    order_id: str,
    placed_at: str,
    *lines: tuple[str, int, str, str],
    redeem: int = 0,
    customer_id: str = "ACME",
    codes: tuple[str, ...] = (),
) -> Order:
    return Order.parse(
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "placed_at": placed_at,
            "currency": "EUR",
            "lines": [
                {"sku": sku, "quantity": quantity, "unit_price": price, "category": category}
                for sku, quantity, price, category in lines
            ],
            "redeem_points": redeem,
            "codes": list(codes),
            "buyer_id": "jane.doe@acme.example",
        }
    )


# ---------------------------------------------------------------------------------------------- from DynamoDB


def stored_digest(customer_id: str, moment: datetime) -> Digest:
    """The digest the job would build for ``customer_id`` at ``moment``, read exactly as the job reads it."""
    from loyalty_aws import clients
    from loyalty_aws.digests import digest_material
    from loyalty_aws.orders import DynamoOrderStore
    from loyalty_aws.settings import settings

    try:
        active = aws.active_program()
    except NotConfigured as error:
        raise typer.BadParameter(error.message, param_hint="'--customer'") from error
    record = DynamoOrderStore().load_account(customer_id)
    if not record.exists:
        raise typer.BadParameter(f"no account {customer_id!r}", param_hint="'--customer'")
    since = record.last_digest_at
    material = digest_material(clients.dynamodb(), settings(), record, since, moment)
    return build_digest(
        active.program,
        record.account,
        record.profile or Profile(),
        material.entries,
        material.codes,
        material.referral,
        material.tier_changes,
        since,
        moment,
    )


def _instant(text: str) -> datetime:
    try:
        return parse_instant(text)
    except NaiveInstant:
        raise typer.BadParameter("needs an offset, e.g. 2026-11-21T06:00:00Z", param_hint="'--time'") from None
    except ValueError as error:
        raise typer.BadParameter(f"{text!r} is not an ISO-8601 time", param_hint="'--time'") from error
