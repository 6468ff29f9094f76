"""The apps' imports run one way (config/layering.py): exchange → marketplace →
donors → {ledger, audit} → people → regions → config."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from config import layering


def test_no_app_imports_a_higher_or_sibling_app():
    assert [str(v) for v in layering.check()] == []


def test_no_import_cycle_between_apps():
    assert layering.find_cycle(layering.app_imports()) is None


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_checker_reports_a_forbidden_import_in_a_temporary_file(tmp_path):
    root = _tree(
        tmp_path,
        {
            "marketplace/__init__.py": "",
            "marketplace/fine.py": "from donors.models import Donor\n",
            # Inside a function, and as a relative import climbing out, still counts.
            "marketplace/bad.py": "def f():\n    from exchange.models import Claim\n",
            "donors/__init__.py": "",
            "donors/sibling.py": "import audit.services\nimport ledger\n",
            "ledger/__init__.py": "",
            "ledger/up.py": "from audit import services\n",
            "ledger/migrations/0001_x.py": "from exchange.models import Claim\n",
        },
    )
    found = {(v.path, v.line, v.importer, v.imported) for v in layering.check(root)}
    assert found == {
        ("marketplace/bad.py", 2, "marketplace", "exchange"),
        ("ledger/up.py", 1, "ledger", "audit"),
    }


def test_the_checker_finds_a_cycle(tmp_path):
    root = _tree(
        tmp_path,
        {
            "ledger/a.py": "from audit import x\n",
            "audit/b.py": "from ledger import y\n",
        },
    )
    assert layering.find_cycle(layering.app_imports(root)) == ["audit", "ledger", "audit"]


def test_the_check_runs_on_its_own():
    done = subprocess.run(
        [sys.executable, "-m", "config.layering"],
        cwd=layering.ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "imports run only downwards" in done.stdout
