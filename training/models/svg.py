"""Small inline SVG charts, so the report needs no script and no network to render."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 420, 320
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 28, 44
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")


@dataclass(frozen=True)
class Series:
    label: str
    xs: list[float]
    ys: list[float]
    markers: bool = False


def _scale(value: float, low: float, high: float, start: float, length: float) -> float:
    span = high - low or 1.0
    return start + (value - low) / span * length


def line_chart(
    series: list[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    diagonal: bool = False,
    y_max: float | None = None,
) -> str:
    """Lines over [0, 1] x [0, y_max] (y_max defaults to the data's maximum, at least 1)."""
    top = y_max or max([1.0, *(max(s.ys, default=0.0) for s in series)])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: float) -> float:
        return _scale(x, 0.0, 1.0, LEFT, plot_w)

    def py(y: float) -> float:
        return _scale(y, 0.0, top, TOP + plot_h, -plot_h)

    parts = [
        f'<svg width="{WIDTH}" height="{HEIGHT}"'
        f' viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13"'
        f' font-weight="bold">{escape(title)}</text>',
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none"'
        ' stroke="#999"/>',
    ]
    for tick in range(6):
        fx, fy = tick / 5, top * tick / 5
        parts.append(
            f'<text x="{px(fx):.1f}" y="{TOP + plot_h + 14}" text-anchor="middle"'
            f' font-size="10">{fx:.1f}</text>'
        )
        parts.append(
            f'<text x="{LEFT - 4}" y="{py(fy) + 3:.1f}" text-anchor="end"'
            f' font-size="10">{fy:.2g}</text>'
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle"'
        f' font-size="11">{escape(x_label)}</text>'
    )
    parts.append(
        f'<text x="12" y="{TOP + plot_h / 2}" text-anchor="middle" font-size="11"'
        f' transform="rotate(-90 12 {TOP + plot_h / 2})">{escape(y_label)}</text>'
    )
    if diagonal:
        parts.append(
            f'<line x1="{px(0)}" y1="{py(0)}" x2="{px(1)}" y2="{py(min(1.0, top))}"'
            ' stroke="#bbb" stroke-dasharray="4 3"/>'
        )
    for number, line in enumerate(series):
        colour = COLOURS[number % len(COLOURS)]
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(line.xs, line.ys, strict=True))
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.6"/>'
        )
        if line.markers:
            parts.extend(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}"/>'
                for x, y in zip(line.xs, line.ys, strict=True)
            )
        legend_y = TOP + 14 + 14 * number
        parts.append(
            f'<text x="{LEFT + 8}" y="{legend_y}" font-size="10" fill="{colour}">'
            f"{escape(line.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(values: list[tuple[str, float]], *, title: str) -> str:
    """Horizontal bars, largest first, labelled with their values."""
    row, label_w, bar_w = 18, 220, 260
    height = TOP + row * len(values) + 10
    largest = max([v for _, v in values] + [1e-12])
    parts = [
        f'<svg width="{label_w + bar_w + 80}"'
        f' height="{height}" role="img" aria-label="{escape(title)}">',
        f'<text x="4" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (name, value) in enumerate(values):
        y = TOP + index * row
        width = value / largest * bar_w
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end" font-size="11">'
            f"{escape(name[:40])}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 2}" width="{width:.1f}" height="{row - 5}"'
            f' fill="{COLOURS[0]}"/>'
        )
        parts.append(
            f'<text x="{label_w + width + 4:.1f}" y="{y + 12}" font-size="10">{value:.4g}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
