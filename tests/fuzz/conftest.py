"""The API fuzz counts the requests it sends and reports them after the run."""

from __future__ import annotations

import time
from collections import Counter

import pytest

#: Requests sent by the fuzz, by (role, operation).
FUZZ_CASES: Counter[tuple[str, str]] = Counter()
#: CPU seconds spent in the fuzz (set up of its data included).
FUZZ_CPU = {"seconds": 0.0}


@pytest.fixture(scope="session")
def fuzz_cases() -> Counter[tuple[str, str]]:
    return FUZZ_CASES


@pytest.fixture(scope="session")
def fuzz_cpu() -> dict[str, float]:
    return FUZZ_CPU


def pytest_terminal_summary(terminalreporter) -> None:
    if not FUZZ_CASES:
        return
    roles = sorted({role for role, _operation in FUZZ_CASES})
    for role in roles:
        ran = {op: n for (r, op), n in FUZZ_CASES.items() if r == role}
        terminalreporter.write_line(
            f"API fuzz as {role}: {sum(ran.values())} requests over {len(ran)} operations"
        )
    terminalreporter.write_line(f"API fuzz CPU time: {FUZZ_CPU['seconds']:.1f} s")


__all__ = ["time"]
