"""The backtest as one HTML file that opens offline: the comparison's tables and plotly charts, plotly.js inlined."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from plotly.subplots import make_subplots

from loyalty.backtest import DifferenceBin
from loyalty_cli.comparison import Comparison, Line, RuleLine, accounts_phrase, direction, show

BASELINE_COLOUR = "#9aa6b2"
CANDIDATE_COLOUR = "#2f6bd8"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
CHART_HEIGHT = 340
"""The tier and the account charts, side by side."""
# A report is read, not edited: no mode bar over the legends.
CHART_CONFIG = {"displayModeBar": False, "responsive": True}


def write_report(comparison: Comparison, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(comparison), encoding="utf-8")


def render_report(comparison: Comparison) -> str:
    figures = [
        ("rules", rules_figure(comparison.rules(), comparison.currency)),
        ("tiers", tiers_figure(comparison.tiers())),
        ("accounts", accounts_figure(comparison.result.difference.distribution)),
    ]
    charts: dict[str, str | None] = {}
    bundled = False
    for name, figure in figures:
        if figure is None:
            charts[name] = None
            continue
        # plotly.js itself goes into the first chart's markup, once, so that the file opens offline.
        charts[name] = figure.to_html(
            full_html=False, include_plotlyjs=not bundled, config=CHART_CONFIG, default_width="100%"
        )
        bundled = True
    template = _environment().get_template("report.html")
    return template.render(
        comparison=comparison,
        result=comparison.result,
        summary=comparison.summary(),
        rules=comparison.rules(),
        tiers=comparison.tiers(),
        accounts=comparison.accounts(),
        charts=charts,
        font=FONT,
    )


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("loyalty_cli", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["show"] = _show
    environment.filters["trend"] = _trend
    environment.filters["accounts"] = accounts_phrase
    return environment


def _show(line: Line, side: str) -> str:
    value = getattr(line, side)
    return show(value, money=line.money, signed=side == "difference" and not line.count_only)


def _trend(line: Line) -> str:
    if line.count_only:
        return "count"
    return {1: "more", -1: "less", 0: "same"}[direction(line.difference)]


# ---------------------------------------------------------------------------------------------- charts


def _layout(figure: go.Figure, **extra: Any) -> go.Figure:
    figure.update_layout(
        font={"family": FONT, "size": 13, "color": "#1f2933"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.06, "xanchor": "right", "x": 1},
        hoverlabel={"font": {"family": FONT}},
        **extra,
    )
    figure.update_xaxes(gridcolor="#e6e9ed", zerolinecolor="#c5ccd3", automargin=True)
    figure.update_yaxes(gridcolor="#e6e9ed", zerolinecolor="#c5ccd3", automargin=True)
    return figure


def rules_figure(rules: list[RuleLine], currency: str) -> go.Figure | None:
    """Points by rule and cost by rule, side by side, baseline against candidate, one bar pair per rule."""
    if not rules:
        return None
    names = [line.rule for line in rules][::-1]  # horizontal bars read top-down: the largest rule on top
    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.06,
        subplot_titles=("Points by rule", f"Cost by rule ({currency})"),
    )
    # Plotly stacks a horizontal group upwards: the candidate goes in first so that the baseline reads first.
    for side, colour, label in (
        ("candidate", CANDIDATE_COLOUR, "candidate"),
        ("baseline", BASELINE_COLOUR, "baseline"),
    ):
        points = [getattr(line.points, side) for line in rules][::-1]
        costs = [float(getattr(line.cost, side)) for line in rules][::-1]
        figure.add_trace(
            go.Bar(
                name=label,
                y=names,
                x=points,
                orientation="h",
                marker_color=colour,
                legendgroup=side,
                hovertemplate="%{y}: %{x:,} points<extra>" + label + "</extra>",
            ),
            row=1,
            col=1,
        )
        figure.add_trace(
            go.Bar(
                name=label,
                y=names,
                x=costs,
                orientation="h",
                marker_color=colour,
                legendgroup=side,
                showlegend=False,
                hovertemplate="%{y}: %{x:,.2f} " + currency + "<extra>" + label + "</extra>",
            ),
            row=1,
            col=2,
        )
    figure.update_xaxes(tickformat=",")
    figure.update_xaxes(tickformat=",.0f", row=1, col=2)
    _layout(figure, barmode="group", bargap=0.28, height=max(300, 80 + 38 * len(rules)), legend_traceorder="reversed")
    figure.update_annotations(font={"size": 14, "family": FONT})
    return figure


def tiers_figure(tiers: list[Line]) -> go.Figure | None:
    """Accounts per tier at the end of the window, baseline against candidate."""
    if not tiers:
        return None
    names = [line.label for line in tiers]
    figure = go.Figure()
    for side, colour in (("baseline", BASELINE_COLOUR), ("candidate", CANDIDATE_COLOUR)):
        counts = [getattr(line, side) for line in tiers]
        figure.add_trace(
            go.Bar(
                name=side,
                x=names,
                y=counts,
                marker_color=colour,
                text=[f"{count:,}" for count in counts],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{x}: %{y:,} accounts<extra>" + side + "</extra>",
            )
        )
    _layout(figure, barmode="group", bargap=0.3, height=CHART_HEIGHT, yaxis_title="accounts")
    figure.update_xaxes(showgrid=False)
    figure.update_yaxes(tickformat=",", rangemode="tozero")
    return figure


def accounts_figure(bins: Sequence[DifferenceBin]) -> go.Figure | None:
    """How far every account moves: accounts per bin of candidate points minus baseline points."""
    if not any(span.accounts for span in bins) or all(span.low == span.high == 0 for span in bins):
        return None
    labels = [f"{span.low:,}" if span.low == span.high else f"{span.low:,} to {span.high:,}" for span in bins]
    figure = go.Figure(
        go.Bar(  # a histogram of the core's bins: each bar spans its bin on a numeric axis
            x=[(span.low + span.high) / 2 for span in bins],
            width=[span.high - span.low + 1 for span in bins],
            y=[span.accounts for span in bins],
            customdata=labels,
            marker_color=CANDIDATE_COLOUR,
            marker_line={"color": "white", "width": 1},
            hovertemplate="%{customdata} points: %{y:,} accounts<extra></extra>",
        )
    )
    _layout(
        figure,
        height=CHART_HEIGHT,
        bargap=0.05,
        xaxis_title="candidate points - baseline points",
        yaxis_title="accounts",
    )
    figure.update_xaxes(tickformat=",")
    figure.update_yaxes(tickformat=",", rangemode="tozero")
    return figure
