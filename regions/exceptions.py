"""Errors of the regions app."""

from __future__ import annotations

from config.exceptions import DomainError


class RegionFileError(DomainError):
    """A region CSV that cannot be loaded; `problems` lists (line, message) pairs."""

    code = "invalid_region_file"
    http_status = 400

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "; ".join(f"line {line}: {message}" for line, message in problems)
        super().__init__(f"Region file not loaded, nothing changed. {lines}")
