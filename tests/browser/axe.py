"""axe-core in the browser tests: `axe_violations(page)` runs the accessibility
rules on the page as it stands and returns the serious and critical violations
as readable lines.

axe-core comes from the npm registry (`scripts/browser-deps`, run by
`make test`, pinned, into `.cache/axe/`, outside git). The pages' Content-
Security-Policy allows no inline script, so axe is not added as a `<script>`
tag: its source is evaluated through the browser's DevTools protocol
(`page.evaluate`), which the policy does not govern, and the page's own
policy stays exactly as it is served.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / ".cache" / "axe" / "node_modules" / "axe-core"
FAILING_IMPACTS = ("serious", "critical")


@cache
def _axe_source() -> str:
    script = AXE / "axe.min.js"
    if not script.exists():
        pytest.fail(
            f"axe-core not found at {script}: `make test` installs it (scripts/browser-deps)"
        )
    return script.read_text(encoding="utf-8")


def axe_violations(page: Page) -> list[str]:
    """The serious and critical axe-core violations of the page, one line per
    element: rule id, impact, target selector and axe's summary."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """async () => {
          const result = await axe.run(document, {resultTypes: ["violations"]});
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
          }));
        }"""
    )
    lines = []
    for violation in result:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(
                f"{violation['id']} ({violation['impact']}) at {node['target']}: "
                f"{violation['help']} — {summary[:300]}"
            )
    return lines
