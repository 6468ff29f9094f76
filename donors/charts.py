"""The public and private points of fulfilled claims per district as a stacked
bar chart, drawn as inline SVG on the server (the pages load no chart library),
in the style of the ledger's wallet chart."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape

from ledger.charts import PALETTE, nice_ceiling

PUBLIC_COLOUR = PALETTE[0]
PRIVATE_COLOUR = PALETTE[1]


@dataclass(frozen=True)
class Bar:
    code: str
    label: str
    public: int
    private: int


def stacked_bar_chart_svg(
    bars: list[Bar],
    *,
    title: str,
    y_label: str,
    public_label: str,
    private_label: str,
    width: int = 900,
    height: int = 360,
) -> str:
    """One bar per district, the public part at the bottom and the private part
    on top, with value axis, tick labels, a legend and a tooltip per segment.
    Every text is escaped."""
    left, right, top, bottom = 78, 230, 24, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value, step = nice_ceiling(max((b.public + b.private for b in bars), default=0))
    slot = plot_w / max(len(bars), 1)
    bar_w = min(64.0, slot * 0.6)

    def y(value: int) -> float:
        return top + plot_h - (max(value, 0) / top_value) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart matching-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="matching-chart-title">',
        f'<title id="matching-chart-title">{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff"/>',
    ]
    for tick in range(0, top_value + 1, step):
        ty = y(tick)
        parts.append(
            f'<line class="grid" x1="{left}" x2="{left + plot_w}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="#d9e2ec"/>'
            f'<text class="tick" x="{left - 8}" y="{ty + 4:.1f}" text-anchor="end">'
            f"{tick:,}</text>"
        )
    for i, bar in enumerate(bars):
        x = left + slot * i + (slot - bar_w) / 2
        base = y(0)
        public_top = y(bar.public)
        total_top = y(bar.public + bar.private)
        parts.append(
            f'<g class="bar" data-district="{escape(bar.code)}" '
            f'data-public="{bar.public}" data-private="{bar.private}">'
            f'<rect class="public" x="{x:.1f}" y="{public_top:.1f}" width="{bar_w:.1f}" '
            f'height="{base - public_top:.1f}" fill="{PUBLIC_COLOUR}">'
            f"<title>{escape(bar.label)} · {escape(public_label)}: {bar.public:,}</title></rect>"
            f'<rect class="private" x="{x:.1f}" y="{total_top:.1f}" width="{bar_w:.1f}" '
            f'height="{public_top - total_top:.1f}" fill="{PRIVATE_COLOUR}">'
            f"<title>{escape(bar.label)} · {escape(private_label)}: {bar.private:,}</title></rect>"
            f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{total_top - 6:.1f}" '
            f'text-anchor="middle">{bar.public + bar.private:,}</text>'
            f'<text class="tick" x="{x + bar_w / 2:.1f}" y="{top + plot_h + 19}" '
            f'text-anchor="middle">{escape(bar.label)}</text></g>'
        )
    parts.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#52606d"/>'
        f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="#52606d"/>'
        f'<text class="axis-label" x="16" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 16 {top + plot_h / 2:.1f})">{escape(y_label)}</text>'
    )
    lx = left + plot_w + 16
    for n, (label, colour) in enumerate(
        ((public_label, PUBLIC_COLOUR), (private_label, PRIVATE_COLOUR))
    ):
        ly = top + 8 + 22 * n
        parts.append(
            f'<g class="legend-item"><rect x="{lx}" y="{ly - 7}" width="24" height="14" '
            f'fill="{colour}"/><text x="{lx + 30}" y="{ly + 4}">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
