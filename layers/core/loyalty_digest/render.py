"""Render a ``Digest`` as an email: subject, HTML and plain text, in the account's language.

Numbers, money, percents and dates are formatted with Babel for the account's locale (``de``,
``de-DE``, ``pt-BR``...); fixed strings come from ``messages.CATALOGUE`` (en, de, fr, es, pt).
Any other language falls back to English. The Jinja2 environment is built on first use and kept
for the life of the process; HTML output is autoescaped, so nothing from a profile or a program
document can inject markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, get_date_format, get_datetime_format, get_time_format
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from loyalty.digest import CartHint, Digest, EventHint, Hints, Reason, TierStatus
from loyalty_digest.messages import CATALOGUE, FALLBACK, Message

TEMPLATES = Path(__file__).resolve().parent / "templates"
_HUNDRED = Decimal(100)
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str
    sender_name: str
    """The display name for the From header (the address is the sender's business)."""


def render(digest: Digest, *, locale: str, unsubscribe_url: str, sender_name: str) -> RenderedEmail:
    """The email for ``digest`` in ``locale`` (``"en"``, ``"de-DE"``...; unknown languages fall back to English)."""
    _check_url(unsubscribe_url)
    words = Words.for_locale(locale, currency=digest.currency)
    subject = _one_line(words.t("subject", program=digest.program_name))
    context = {
        "digest": digest,
        "t": words.t,
        "f": words,
        "subject": subject,
        "lang": words.language,
        "unsubscribe_url": unsubscribe_url,
        "sender_name": sender_name,
    }
    html = _environment().get_template("digest.html.j2").render(context)
    text = _environment().get_template("digest.txt.j2").render(context)
    return RenderedEmail(subject=subject, html=html, text=_tidy_text(text), sender_name=_one_line(sender_name))


@dataclass(frozen=True)
class Words:
    """Everything locale-specific the templates need: translated strings and Babel formatting."""

    locale: Locale
    language: str
    currency: str

    @classmethod
    def for_locale(cls, tag: str, *, currency: str) -> Words:
        locale = resolve_locale(tag)
        language = locale.language if locale.language in CATALOGUE else FALLBACK
        return cls(locale=locale, language=language, currency=currency)

    # ------------------------------------------------------------------ strings

    def t(self, key: str, /, **values: object) -> str:
        """The message ``key`` in this language, its ``{placeholders}`` filled with ``values``."""
        return _pick(CATALOGUE[self.language][key], "other").format(**values)

    def plural(self, key: str, count: int, /, **values: object) -> str:
        """A plural message: the form this language uses for ``count``, ``{n}`` the formatted count."""
        form = self.locale.plural_form(abs(count))
        return _pick(CATALOGUE[self.language][key], form).format(n=self.number(count), **values)

    def points(self, count: int) -> str:
        return self.plural("points", count)

    def change(self, points: int) -> str:
        """A signed number of points: ``+3,087 points``, ``-600 points``."""
        return f"+{self.points(points)}" if points > 0 else self.points(points)

    def benefits(self, tier: TierStatus) -> list[str]:
        """What the tier gives, in words; the defaults (no discount, multiplier 1) are left out."""
        given = []
        if tier.discount_percent > 0:
            given.append(self.t("benefit_discount", percent=self.percent(tier.discount_percent)))
        if tier.points_multiplier > 1:
            given.append(self.t("benefit_multiplier", multiplier=self.number(tier.points_multiplier)))
        if tier.free_shipping:
            given.append(self.t("benefit_free_shipping"))
        if tier.bonus_points_per_order > 0:
            given.append(self.t("benefit_bonus", points=self.points(tier.bonus_points_per_order)))
        return given

    def reason(self, reason: Reason) -> str:
        """A points line's reason, in words of this language, as a line starts (capitalised)."""
        values: dict[str, object] = {"rule": reason.rule or "", "tier": reason.tier or ""}
        if reason.category is not None:
            values["category"] = reason.category
        if reason.multiplier is not None:
            values["multiplier"] = self.number(reason.multiplier)
        if reason.amount is not None:
            values["amount"] = self.money(reason.amount)
        if reason.items is not None:
            values["items"] = self.number(reason.items)
        key = f"reason_{reason.kind}"
        if reason.kind in ("tier_multiplier", "tier_bonus") and not reason.tier:
            key += "_any"
        text = self.t(key, **values)
        return text[:1].upper() + text[1:]

    def hint_groups(self, hints: Hints) -> list[tuple[str, list[str]]]:
        """The hints to earn more, in words, under their headings: events, order sizes, the next milestone."""
        groups = [
            (self.t("hints_events"), [self.event(event) for event in hints.events]),
            (self.t("hints_carts"), [self.cart(cart) for cart in hints.carts]),
        ]
        milestone = hints.milestone
        if milestone is not None:
            line = self.t(
                "hint_milestone",
                remaining=self.money(milestone.remaining),
                amount=self.money(milestone.lifetime_spend),
                points=self.points(milestone.points),
            )
            groups.append((self.t("hints_milestone"), [line]))
        return [(heading, lines) for heading, lines in groups if lines]

    def event(self, event: EventHint) -> str:
        """An event's offer and its dates; the end is excluded, so the last day shown is the one before it."""
        key = f"hint_{event.kind}_{'active' if event.active else 'upcoming'}"
        # A date kept on one line: "7." at a line's end and "Dezember 2026" on the next reads as two things.
        start, end = (self.date(moment).replace(" ", "\xa0") for moment in (event.starts_at, event.ends_at - _INSTANT))
        offer: dict[str, object] = {"start": start, "end": end}
        if event.multiplier is not None:
            offer["multiplier"] = self.number(event.multiplier)
        if event.percent is not None:
            offer["percent"] = self.percent(event.percent)
        return self.t(key, **offer)

    def cart(self, cart: CartHint) -> str:
        values: dict[str, object] = {"sku": cart.sku or ""}
        if cart.amount is not None:
            values["amount"] = self.money(cart.amount)
        if cart.items is not None:
            values["items"] = self.number(cart.items)
        if cart.points is not None:
            values["points"] = self.points(cart.points)
        return self.t(f"hint_{cart.kind}", **values)

    # ------------------------------------------------------------------ numbers and dates

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.locale, decimal_quantization=False)

    def signed(self, value: int) -> str:
        """``+427``, ``-400``, ``0``: a change of points."""
        return f"+{self.number(value)}" if value > 0 else self.number(value)

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def percent(self, percent: Decimal) -> str:
        """A percent as the program writes it (``5`` is 5 %), with its decimals if any."""
        return format_percent(percent / _HUNDRED, locale=self.locale, decimal_quantization=False)

    def volume(self, value: Decimal, basis: str) -> str:
        """Tier volume: items or orders (a count) for a quantity or orders basis, money for a spend basis."""
        return self.money(value) if basis == "spend" else self.number(value)

    def date(self, moment: datetime) -> str:
        """``November 21, 2026`` / ``21. November 2026`` (UTC day)."""
        return format_date(moment.astimezone(UTC).date(), format="long", locale=self.locale)

    def short_date(self, moment: datetime) -> str:
        """``Nov 21, 2026`` / ``21.11.2026`` (UTC day)."""
        return format_date(moment.astimezone(UTC).date(), format="medium", locale=self.locale)

    def date_time(self, moment: datetime) -> str:
        """Date and time to the minute, joined the locale's way, in UTC: ``Nov 20, 2026, 10:15 AM UTC``."""
        date_pattern = get_date_format("medium", locale=self.locale).pattern
        time_pattern = get_time_format("short", locale=self.locale).pattern
        pattern = str(get_datetime_format("medium", locale=self.locale)).format(time_pattern, date_pattern)
        return f"{format_datetime(moment, format=pattern, tzinfo=UTC, locale=self.locale)} UTC"


@cache
def resolve_locale(tag: str) -> Locale:
    """``de-DE`` -> de_DE; an unknown region falls back to its language, an unknown language to English."""
    cleaned = tag.strip().replace("-", "_")
    for candidate in (cleaned, cleaned.split("_", 1)[0]):
        try:
            locale = Locale.parse(candidate)
        except (UnknownLocaleError, ValueError, TypeError):
            continue
        if locale.language in CATALOGUE:
            return locale
    return Locale.parse(FALLBACK)


@cache
def _environment() -> Environment:
    """The template environment: created on the first render, then shared (templates are compiled once)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), disabled_extensions=("txt.j2",), default_for_string=True, default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def _pick(message: Message, form: str) -> str:
    if isinstance(message, str):
        return message
    return message.get(form) or message["other"]


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or any(char.isspace() for char in url):
        raise ValueError(f"the unsubscribe URL must be an absolute http(s) URL, not {url!r}")


def _one_line(text: str) -> str:
    return " ".join(text.split())


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    """At most one blank line in a row, no trailing spaces: templates stay readable, the email tidy."""
    lines = "\n".join(line.rstrip() for line in text.splitlines())
    return _BLANK_RUNS.sub("\n\n", lines).strip() + "\n"
