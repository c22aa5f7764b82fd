"""The digest email: locale-aware formatting, translated strings, escaping and the unsubscribe link."""

from __future__ import annotations

import re
import string
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest

from loyalty.account import Account
from loyalty.codes import DiscountCode
from loyalty.digest import Digest, ReasonKind, TierChangeRecord, build_digest
from loyalty.ledger import EntryKind, LedgerEntry
from loyalty.profile import Profile
from loyalty.program import Program
from loyalty.tiers import VolumeBucket
from loyalty.wallet import Wallet
from loyalty_digest.messages import CATALOGUE
from loyalty_digest.render import RenderedEmail, Words, render
from tests.unit.builders import at, lot, make_account, make_program, spec_document

UNSUBSCRIBE = "https://rewards.example.com/unsubscribe?token=AQAAAABrATNgQUNNRcZq&src=digest"
CORE = Path(__file__).resolve().parents[2] / "layers" / "core"


def entry(order_id: str, rule: str, points: int, kind: EntryKind = "earn") -> LedgerEntry:
    return LedgerEntry(
        customer_id="ACME", at=at("2026-11-20T10:15:00Z"), kind=kind, points=points, rule=rule, order_id=order_id
    )


def sample(program: Program | None = None, *, name: str | None = "Acme Industrial Supply") -> Digest:
    """A Silver account with 12,345 points: an order, a code, a referral code, a tier change."""
    program = program or make_program()
    account = make_account(
        balance=12345,
        tier="Silver",
        buckets=(VolumeBucket(day=date(2026, 11, 20), items=1234, spend=Decimal("9876.5")),),
    )
    entries = (
        entry("SO-1001", "base", 1234),
        entry("SO-1001", "fasteners", 427),
        entry("SO-1001", "bulk", 1000),
        entry("SO-1001", "big-cart", 5000),
    )
    code = DiscountCode(
        code="NP-7F3K2Q9X",
        kind="next_purchase",
        customer_id="ACME",
        percent=Decimal("12.5"),
        issued_at=at("2026-11-20T10:15:00Z"),
        expires_at=at("2026-12-20T10:15:00Z"),
        issued_by_order="SO-1001",
    )
    upgrade = TierChangeRecord(before="Bronze", after="Silver", at=at("2026-11-20T10:15:00Z"), why="upgrade on order")
    return build_digest(
        program,
        account,
        Profile(name=name),
        entries,
        (code,),
        ("R9QK2M7TX", 3),
        (upgrade,),
        at("2026-11-18T06:00:00Z"),
        at("2026-11-21T06:00:00Z"),
    )


def email(locale: str, digest: Digest | None = None, *, url: str = UNSUBSCRIBE) -> RenderedEmail:
    return render(digest or sample(), locale=locale, unsubscribe_url=url, sender_name="Acme Rewards Team")


def visible(html: str) -> str:
    """The HTML's text as a reader sees it: tags dropped, entities of the template resolved."""
    return re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", "\xa0").replace("&middot;", "·")


# ---------------------------------------------------------------------------------------------- locale formatting

FORMATS = [
    # locale, 12,345 points, its value 123.45 EUR, 12.5 %, the code's expiry, a subject
    ("en", "12,345", "€123.45", "12.5%", "December 20, 2026", "Your Acme B2B Rewards summary"),
    ("de", "12.345", "123,45\xa0€", "12,5\xa0%", "20. Dezember 2026", "Ihre Zusammenfassung von Acme B2B Rewards"),
    ("fr", "12\u202f345", "123,45\xa0€", "12,5\xa0%", "20 décembre 2026", "Votre récapitulatif Acme B2B Rewards"),
    ("es", "12.345", "123,45\xa0€", "12,5\xa0%", "20 de diciembre de 2026", "Su resumen de Acme B2B Rewards"),
    ("pt", "12.345", "€\xa0123,45", "12,5%", "20 de dezembro de 2026", "Resumo da sua conta Acme B2B Rewards"),
]


@pytest.mark.parametrize(("locale", "points", "value", "percent", "expiry", "subject"), FORMATS, ids=lambda v: v)
def test_each_language_formats_numbers_money_percents_and_dates_its_own_way(
    locale: str, points: str, value: str, percent: str, expiry: str, subject: str
) -> None:
    # GIVEN a digest of 12,345 points worth 123.45 EUR with a 12.5 % code
    # WHEN it is rendered in the locale
    rendered = email(locale)

    # THEN both parts use the locale's digits, currency, percent and date formats, and the subject is translated
    for part in (rendered.text, visible(rendered.html)):
        assert points in part
        assert value in part
        assert percent in part
        assert expiry in part
    assert rendered.subject == subject


def test_a_thousand_is_grouped_with_a_dot_in_german_and_a_comma_in_english() -> None:
    # GIVEN a digest whose order earned 1,234 base points
    # WHEN it is rendered in German and in English
    german, english = email("de").text, email("en").text

    # THEN the same number reads 1.234 and 1,234
    assert "+1.234" in german
    assert "+1,234" not in german
    assert "+1,234" in english
    assert "+1.234" not in english


def test_a_locale_with_a_region_uses_its_language_and_the_regions_formats() -> None:
    # GIVEN a Portuguese reader in Portugal (Babel's plain pt is Brazil's)
    # WHEN the digest is rendered for pt-PT
    rendered = email("pt-PT")

    # THEN the words are Portuguese and the money is written the Portuguese way
    assert rendered.subject == "Resumo da sua conta Acme B2B Rewards"
    assert "123,45\xa0€" in rendered.text


@pytest.mark.parametrize("locale", ["ja", "xx", "de-XX", "", "en-GB"])
def test_any_other_language_falls_back_to_english(locale: str) -> None:
    # GIVEN a locale the digest is not translated into (or a region Babel does not know)
    # WHEN the digest is rendered
    rendered = email(locale)

    # THEN it is in English, or in German for German with an unknown region
    expected = "Ihre Zusammenfassung von Acme B2B Rewards" if locale == "de-XX" else "Your Acme B2B Rewards summary"
    assert rendered.subject == expected


def test_spend_volumes_are_money_and_quantity_volumes_are_items() -> None:
    # GIVEN a program whose tiers count spend
    program = make_program(
        tiers={
            "basis": "spend",
            "window_days": 90,
            "levels": [{"name": "Member", "threshold": 0}, {"name": "Partner", "threshold": "20000"}],
        }
    )

    # WHEN the digest is rendered in German
    text = email("de", sample(program)).text

    # THEN the distance to the next tier is an amount of money
    assert "Noch 10.123,50\xa0€ Einkaufswert bis Partner" in text
    assert "9.876,50\xa0€ Einkaufswert in den letzten 90 Tagen" in text


def test_rule_descriptions_are_translated() -> None:
    # GIVEN an order with base, category, quantity-bonus and amount-bonus lines
    # WHEN the digest is rendered in German
    text = email("de").text

    # THEN each line reads in German, with amounts in German format
    assert "Punkte für Ihren Einkauf" in text
    assert "Extrapunkte für fasteners" in text
    assert "Bonus ab 500 Artikeln" in text
    assert "Bonus für Bestellungen ab 15.000,00\xa0€" in text


def test_the_words_for_a_count_follow_the_languages_plural_rules() -> None:
    # GIVEN French, where 0 and 1 are singular, and English, where only 1 is
    french = Words.for_locale("fr", currency="EUR")
    english = Words.for_locale("en", currency="EUR")

    # WHEN counts of points are written
    # THEN each language picks its form
    assert (french.points(0), french.points(1), french.points(2)) == ("0 point", "1 point", "2 points")
    assert (english.points(0), english.points(1), english.points(2)) == ("0 points", "1 point", "2 points")


# ---------------------------------------------------------------------------------------------- content and safety


def test_html_is_escaped_so_a_name_cannot_inject_markup() -> None:
    # GIVEN a profile name carrying a script tag
    digest = sample(name='<script>alert("x")</script>')

    # WHEN the digest is rendered
    rendered = email("en", digest)

    # THEN the HTML shows the name as text and runs nothing
    assert "<script" not in rendered.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in rendered.html
    assert '<script>alert("x")</script>' in rendered.text


def test_a_program_name_with_markup_is_escaped_too() -> None:
    # GIVEN a program whose name contains markup
    digest = sample(make_program(name="Acme <b>Rewards</b>"))

    # WHEN the digest is rendered
    rendered = email("en", digest)

    # THEN the HTML escapes it and the subject keeps it as plain text
    assert "<b>" not in rendered.html
    assert "Acme &lt;b&gt;Rewards&lt;/b&gt;" in rendered.html
    assert rendered.subject == "Your Acme <b>Rewards</b> summary"


def test_the_unsubscribe_link_is_in_both_parts() -> None:
    # GIVEN an unsubscribe URL with two query parameters
    # WHEN the digest is rendered
    rendered = email("en")

    # THEN the HTML links to it (its & escaped as the attribute requires) and the text spells it out
    assert 'href="https://rewards.example.com/unsubscribe?token=AQAAAABrATNgQUNNRcZq&amp;src=digest"' in rendered.html
    assert UNSUBSCRIBE in rendered.text


@pytest.mark.parametrize("url", ["javascript:alert(1)", "/unsubscribe?token=x", "https://a.example/ x", "mailto:a@b.c"])
def test_an_unsubscribe_link_that_is_not_an_absolute_web_url_is_refused(url: str) -> None:
    # GIVEN a link that is not an absolute http(s) URL
    # WHEN the digest is rendered with it
    # THEN rendering refuses it
    with pytest.raises(ValueError, match="unsubscribe URL"):
        email("en", url=url)


@pytest.mark.parametrize("locale", ["en", "de", "fr", "es", "pt"])
def test_every_section_is_rendered_with_every_placeholder_filled(locale: str) -> None:
    # GIVEN a digest with an order, a tier change, a code and a referral code
    # WHEN it is rendered
    rendered = email(locale)

    # THEN no placeholder is left, and the code, the referral code and the order appear in both parts
    for part in (rendered.text, rendered.html):
        assert "{" not in part.replace("{{", "")
        assert "NP-7F3K2Q9X" in part
        assert "R9QK2M7TX" in part
        assert "SO-1001" in part
    assert f'<html lang="{locale}">' in rendered.html


def test_the_html_is_a_single_column_of_inline_styles_with_no_external_assets() -> None:
    # GIVEN the sample digest
    # WHEN it is rendered
    html = email("en").html

    # THEN it needs no style sheet, image, font or script from anywhere
    for forbidden in ("<style", "<link", "<img", "<script", "url(", "@import", "class="):
        assert forbidden not in html
    assert "max-width:600px" in html
    assert re.findall(r'https?://[^"\s<]+', html) == [UNSUBSCRIBE.replace("&", "&amp;")]


def test_the_text_part_is_plain_text() -> None:
    # GIVEN the sample digest
    # WHEN it is rendered
    text = email("en").text

    # THEN it has no markup and no run of blank lines
    assert "<" not in text
    assert "\n\n\n" not in text
    assert text.startswith("Acme B2B Rewards\n")


def test_a_digest_without_orders_says_so() -> None:
    # GIVEN a digest with nothing but a balance
    digest = build_digest(
        make_program(),
        make_account(balance=10),
        Profile(),
        (),
        (),
        None,
        (),
        at("2026-11-18T06:00:00Z"),
        at("2026-11-21T06:00:00Z"),
    )

    # WHEN it is rendered in Spanish
    rendered = email("es", digest)

    # THEN the orders section says there were none, and the greeting has no name
    assert "No hay pedidos nuevos desde su último resumen." in rendered.text
    assert "Hola:" in rendered.text


# ---------------------------------------------------------------------------------------------- the catalogue


def placeholders(message: object) -> set[str]:
    texts = message.values() if isinstance(message, dict) else [message]
    return {name for text in texts for _, name, _, _ in string.Formatter().parse(str(text)) if name}


@pytest.mark.parametrize("language", sorted(set(CATALOGUE) - {"en"}))
def test_every_language_has_every_message_with_the_same_placeholders(language: str) -> None:
    # GIVEN the English catalogue as the reference
    english = CATALOGUE["en"]

    # WHEN a language is compared with it
    messages = CATALOGUE[language]

    # THEN it has the same keys, each with the same placeholders
    assert set(messages) == set(english)
    for key, message in messages.items():
        assert placeholders(message) == placeholders(english[key]), key


def test_every_kind_of_reason_has_a_message() -> None:
    # GIVEN every kind of reason the core can give
    # WHEN the catalogue is searched for them
    missing = [kind for kind in get_args(ReasonKind) if f"reason_{kind}" not in CATALOGUE["en"]]

    # THEN none is missing
    assert missing == []


# ---------------------------------------------------------------------------------------------- import cost


def test_the_core_the_package_and_its_tokens_load_neither_babel_nor_jinja2() -> None:
    # GIVEN a fresh interpreter
    probe = (
        "import sys, loyalty.digest, loyalty_digest, loyalty_digest.unsubscribe\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'babel', 'jinja2'}))"
    )

    # WHEN the core's digest, the package and the token module are imported
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=CORE)

    # THEN neither Babel nor Jinja2 was loaded
    assert result.stdout.strip() == "[]"


def test_templates_are_loaded_on_the_first_render_not_at_import() -> None:
    # GIVEN a fresh interpreter
    probe = "import loyalty_digest.render as r\nprint(r._environment.cache_info().currsize)\n"

    # WHEN the render module is imported
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=CORE)

    # THEN no template environment exists yet
    assert result.stdout.strip() == "0"


# ---------------------------------------------------------------------------------------------- hints


def hinted() -> Digest:
    """At 2026-11-21 06:00 UTC: a 3x event to come (1-7 December), 2.5 % off in force until 29 November,
    the SPEC's cart rules, 95,204 EUR short of the 100k milestone and 600 points ending on 12 December."""
    document = spec_document()
    document["rules"].append(
        {
            "id": "november-deal",
            "kind": "discount_event",
            "percent": "2.5",
            "starts_at": "2026-11-16T00:00:00Z",
            "ends_at": "2026-11-30T00:00:00Z",
        }
    )
    account = Account(
        customer_id="ACME",
        lifetime_spend=Decimal("4796"),
        wallet=Wallet(lots=(lot("SO-0950", 600, "2025-12-12T13:05:00Z", "2026-12-12T13:05:00Z"),)),
    )
    return build_digest(
        Program.parse(document),
        account,
        Profile(),
        (),
        (),
        None,
        (),
        at("2026-11-18T06:00:00Z"),
        at("2026-11-21T06:00:00Z"),
    )


HINTS = [
    # locale, heading, the event to come, the event in force, a cart bonus, the milestone, the expiring points
    (
        "en",
        "Earn more next time",
        "Points \u00d7 3 on every order from December\xa01,\xa02026 to December\xa07,\xa02026",
        "2.5% off every order, now until November\xa029,\xa02026",
        "+5,000 points for an order of €15,000.00 or more",
        "+20,000 points when your purchases reach €100,000.00 in total: €95,204.00 to go",
        "600 points on December 12, 2026",
    ),
    (
        "de",
        "So sammeln Sie beim nächsten Mal mehr",
        "Punkte \u00d7 3 auf jede Bestellung vom 1.\xa0Dezember\xa02026 bis zum 7.\xa0Dezember\xa02026",
        "2,5\xa0% Rabatt auf jede Bestellung, noch bis zum 29.\xa0November\xa02026",
        "+5.000 Punkte für eine Bestellung ab 15.000,00\xa0€",
        "+20.000 Punkte, wenn Ihr Einkaufswert insgesamt 100.000,00\xa0€ erreicht: noch 95.204,00\xa0€",
        "600 Punkte am 12. Dezember 2026",
    ),
    (
        "fr",
        "Gagnez plus la prochaine fois",
        "Points \u00d7 3 sur chaque commande du 1\xa0décembre\xa02026 au 7\xa0décembre\xa02026",
        "2,5\xa0% de remise sur chaque commande, jusqu\u2019au 29\xa0novembre\xa02026",
        "+5\u202f000 points pour une commande de 15\u202f000,00\xa0€ ou plus",
        "+20\u202f000 points lorsque vos achats atteindront 100\u202f000,00\xa0€ au total : encore 95\u202f204,00\xa0€",
        "600 points le 12 décembre 2026",
    ),
    (
        "es",
        "Gane más la próxima vez",
        "Puntos \u00d7 3 en cada pedido del 1\xa0de\xa0diciembre\xa0de\xa02026 al 7\xa0de\xa0diciembre\xa0de\xa02026",
        "Un 2,5\xa0% de descuento en cada pedido, hasta el 29\xa0de\xa0noviembre\xa0de\xa02026",
        "+5.000 puntos por un pedido de 15.000,00\xa0€ o más",
        "+20.000 puntos cuando sus compras alcancen 100.000,00\xa0€ en total: faltan 95.204,00\xa0€",
        "600 puntos el 12 de diciembre de 2026",
    ),
    (
        "pt",
        "Ganhe mais na próxima vez",
        "Pontos \u00d7 3 em cada pedido de 1\xa0de\xa0dezembro\xa0de\xa02026 a 7\xa0de\xa0dezembro\xa0de\xa02026",
        "2,5% de desconto em cada pedido, até 29\xa0de\xa0novembro\xa0de\xa02026",
        "+5.000 pontos em um pedido de €\xa015.000,00 ou mais",
        "+20.000 pontos quando suas compras chegarem a €\xa0100.000,00 no total: faltam €\xa095.204,00",
        "600 pontos em 12 de dezembro de 2026",
    ),
]


@pytest.mark.parametrize("expected", HINTS, ids=lambda value: value[0])
def test_every_language_renders_the_hints_in_the_html_and_the_text(expected: tuple[str, ...]) -> None:
    locale, *lines = expected
    # GIVEN a digest with events, cart thresholds, a milestone ahead and points expiring soon
    # WHEN it is rendered in the locale
    rendered = email(locale, hinted())

    # THEN both parts say each hint in the locale's words and formats, the last day of an event the one before its end
    for line in lines:
        assert line in rendered.text
        assert line in visible(rendered.html)


def test_the_hints_show_the_expiring_points_once() -> None:
    # GIVEN a digest with 600 points ending on 12 December
    # WHEN it is rendered
    rendered = email("en", hinted())

    # THEN the expiring points appear once in each part, inside the hints
    for part in (rendered.text, visible(rendered.html)):
        assert part.count("600 points on December 12, 2026") == 1
        assert part.index("Earn more next time") < part.index("Points expiring soon")


def test_a_digest_with_nothing_to_hint_has_no_hints_section() -> None:
    # GIVEN a program without rules and an account whose points never expire
    digest = build_digest(
        make_program(rules=[]),
        make_account(balance=10),
        Profile(),
        (),
        (),
        None,
        (),
        at("2026-11-18T06:00:00Z"),
        at("2026-11-21T06:00:00Z"),
    )

    # WHEN it is rendered in every language
    for locale, heading, *_ in HINTS:
        rendered = email(locale, digest)

        # THEN neither part has the hints heading
        assert heading not in rendered.text
        assert heading not in rendered.html


@pytest.mark.parametrize(
    ("locale", "next_tier", "volume"),
    [
        ("en", "5 more orders to reach Partner", "0 orders in the last 90 days"),
        ("de", "Noch 5 Bestellungen bis Partner", "0 Bestellungen in den letzten 90 Tagen"),
        ("fr", "Encore 5 commandes pour atteindre Partner", "0 commandes au cours des 90 derniers jours"),
        ("es", "Faltan 5 pedidos para alcanzar Partner", "0 pedidos en los últimos 90 días"),
        ("pt", "Faltam 5 pedidos para chegar a Partner", "0 pedidos nos últimos 90 dias"),
    ],
)
def test_order_volumes_are_counts_of_orders_in_each_language(locale: str, next_tier: str, volume: str) -> None:
    # GIVEN a program whose tiers count orders, and an account with no order in the window yet
    program = make_program(
        tiers={
            "basis": "orders",
            "window_days": 90,
            "levels": [{"name": "Member", "threshold": 0}, {"name": "Partner", "threshold": 5}],
        }
    )

    # WHEN the digest is rendered
    text = email(locale, sample(program)).text

    # THEN the volume and the distance to the next tier are numbers of orders
    assert next_tier in text
    assert volume in text
