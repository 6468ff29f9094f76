"""The API fuzz counts the requests it sends and reports them after the run."""

from __future__ import annotations

from collections import Counter

import pytest

#: Requests sent by the fuzz, by (role, operation, status code of the answer).
FUZZ_CASES: Counter[tuple[str, str, int]] = Counter()
#: CPU seconds spent in the fuzz (set up of its data included).
FUZZ_CPU = {"seconds": 0.0}


@pytest.fixture(scope="session")
def fuzz_cases() -> Counter[tuple[str, str, int]]:
    return FUZZ_CASES


@pytest.fixture(scope="session")
def fuzz_cpu() -> dict[str, float]:
    return FUZZ_CPU


def pytest_terminal_summary(terminalreporter) -> None:
    if not FUZZ_CASES:
        return
    for role in sorted({role for role, _op, _status in FUZZ_CASES}):
        mine = {key: n for key, n in FUZZ_CASES.items() if key[0] == role}
        operations = {op for _role, op, _status in mine}
        statuses: Counter[int] = Counter()
        for (_role, _op, status), n in mine.items():
            statuses[status] += n
        terminalreporter.write_line(
            f"API fuzz as {role}: {sum(mine.values())} requests over {len(operations)} "
            "operations; answers "
            + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        )
    terminalreporter.write_line(f"API fuzz CPU time: {FUZZ_CPU['seconds']:.1f} s")
