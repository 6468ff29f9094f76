"""Every transaction kind posted anywhere is registered, with a name on every statement."""

import ast
import importlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

import donors.services
import exchange.services
import ledger.services
from ledger import kinds as kind_registry
from ledger.exceptions import UnknownKind
from ledger.kinds import REGISTRY
from ledger.labels import kind_label
from ledger.models import Purpose, Transaction
from ledger.services import ledger_post, system_account

ROOT = Path(settings.BASE_DIR)
#: Not scanned: bench/ registers its own funding kind when it runs.
SKIPPED_DIRS = {".venv", "bench", "node_modules", "migrations", "static", "templates"}


def _kinds() -> set[str]:
    kinds = set()
    for module in (ledger.services, exchange.services, donors.services):
        kinds |= {v for k, v in vars(module.Kind).items() if k.isupper()}
    return kinds


def test_every_posted_kind_is_named():
    kinds = _kinds()
    assert {"claim_award", "pledge_confirm", "pledge_return", "hold_settle"} <= kinds
    assert kinds <= set(REGISTRY)


@pytest.mark.parametrize(
    ("kind", "korean"),
    [
        ("claim_award", "수령된 신청의 포인트"),
        ("pledge_confirm", "후원 약정 확정"),
        ("grant", "지급"),
    ],
)
def test_kinds_are_named_in_korean(kind, korean):
    with translation.override("ko"):
        assert kind_label(kind) == korean
    assert kind_label("something_else") == "something_else"


# --- every ledger_post call in the code -------------------------------------------


def _python_files():
    for path in sorted(ROOT.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts[:-1])
        if not parts & SKIPPED_DIRS:
            yield path


def _is_ledger_post(call: ast.Call) -> bool:
    func = call.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "ledger_post"


def _values(node: ast.expr, path: Path) -> set[str]:
    """The kinds an expression can be: a literal, either branch of `a if c else b`,
    or a name or attribute evaluated in its module (application code only)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _values(node.body, path) | _values(node.orelse, path)
    relative = path.relative_to(ROOT)
    if isinstance(node, ast.Name | ast.Attribute) and relative.parts[0] != "tests":
        module = importlib.import_module(".".join(relative.with_suffix("").parts))
        value = eval(compile(ast.Expression(node), str(path), "eval"), vars(module))  # noqa: S307
        assert isinstance(value, str), f"{relative}:{node.lineno}: kind {value!r}"
        return {value}
    raise AssertionError(
        f"{relative}:{node.lineno}: cannot tell which kind `{ast.unparse(node)}` posts; "
        "pass a literal or a constant"
    )


def posted_kinds() -> dict[str, set[str]]:
    """{kind: {"file:line", …}} of every ledger_post call in the project."""
    found: dict[str, set[str]] = {}
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not _is_ledger_post(node):
                continue
            kind = [k.value for k in node.keywords if k.arg == "kind"]
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert len(kind) == 1, f"{where}: ledger_post without kind="
            for value in _values(kind[0], path):
                found.setdefault(value, set()).add(where)
    return found


def test_every_kind_any_code_posts_is_registered():
    posted = posted_kinds()
    # The scan sees the postings of every app, the ledger's own included.
    assert {"grant", "hold", "hold_settle", "hold_release", "reversal", "claim_award"} <= set(
        posted
    )
    assert {"pledge_confirm", "pledge_return", "transfer"} <= set(posted)
    unregistered = {kind: where for kind, where in posted.items() if kind not in REGISTRY}
    assert not unregistered


@pytest.mark.django_db
def test_an_unregistered_kind_is_refused_before_anything_is_written(daejeon):
    from ledger.services import account_for

    seo = account_for(daejeon["서구"], Purpose.WALLET)
    issued = system_account(Purpose.ISSUED)
    post = ledger_post  # by another name, so that the scan above leaves this mistake out
    with pytest.raises(UnknownKind, match="not registered"):
        post(entries=[(issued, -10), (seo, 10)], kind="gift_of_points")
    assert not Transaction.objects.exists()
    seo.refresh_from_db()
    assert seo.balance == 0 and seo.sequence == 0


def test_a_kind_is_registered_once_under_one_name():
    assert kind_registry.register("grant", "Grant") == "grant"  # the same again: no change
    with pytest.raises(ImproperlyConfigured):
        kind_registry.register("grant", "Something else")
    with translation.override("ko"):
        assert kind_label("grant") == "지급"  # still the ledger's own, translated
    for bad in ("", "Grant", "with space", "x" * 33, 3):
        with pytest.raises(ImproperlyConfigured):
            kind_registry.register(bad, "Bad")  # type: ignore[arg-type]
    assert not kind_registry.is_registered("")
