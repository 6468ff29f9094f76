"""`load_categories`: a bad file names its line, exits 1 and writes nothing."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from marketplace.exceptions import CategoryFileError
from marketplace.models import Category
from marketplace.services import categories_load_csv

HEADER = "code,parent_code,name_ko,name_en,usual_kind\n"
GOOD = "food,,식품,Food,goods\nfood.rice,food,쌀,Rice,goods\n"

# The loader's own tests start from an empty category table.
pytestmark = pytest.mark.usefixtures("empty_reference_tables")


def _snapshot():
    return list(
        Category.objects.order_by("code").values_list(
            "pk", "code", "parent_id", "name_ko", "name_en", "usual_kind"
        )
    )


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "categories.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _refused(path: Path) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("load_categories", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("food.rice,food,현미,Brown rice,goods", "code food.rice already appears on line 3"),
        ("food.rice.white,food.rice,백미,White rice,goods", "categories have two levels"),
        ("food.snack,food.snack,간식,Snacks,goods", "cannot be its own parent"),
        ("food.snack,food.nope,간식,Snacks,goods", "parent food.nope is neither"),
        ("food.snack,food,간식,Snacks,cars", "usual_kind 'cars' is unknown"),
        ("food.snack,food,,Snacks,goods", "code, name_ko and name_en are required"),
        ("food.snack,food,간식,Snacks,goods,extra", "more fields than the header has"),
        ("f" * 61 + ",food,간식,Snacks,goods", "code is longer than 60"),
        ("food.snack,food," + "간" * 101 + ",Snacks,goods", "name_ko is longer than 100"),
        ("food.snack,food,간식," + "S" * 101 + ",goods", "name_en is longer than 100"),
        ("food.snack,food,간\x00식,Snacks,goods", "name_ko contains a control character"),
        ("food.snack\x00,food,간식,Snacks,goods", "code contains a control character"),
        ("food.snack,food,간식," + "S" * 200_000 + ",goods", "not readable as CSV"),
    ],
)
def test_a_broken_file_loads_nothing_and_names_the_line(tmp_path, bad_row, message):
    path = _write(tmp_path, GOOD + bad_row + "\n")
    lines = _refused(path).splitlines()
    assert any(line.startswith(f"{path}: line 4: ") and message in line for line in lines), lines
    assert not Category.objects.exists()


@pytest.mark.django_db
def test_a_cycle_in_the_file_is_refused_on_both_lines(tmp_path):
    path = _write(tmp_path, "a,b,가,A,goods\nb,a,나,B,goods\n")
    err = _refused(path)
    assert f"{path}: line 2: parent b is itself under a" in err
    assert f"{path}: line 3: parent a is itself under b" in err
    assert not Category.objects.exists()


@pytest.mark.django_db
def test_a_file_cannot_make_a_cycle_or_a_third_level_with_loaded_rows(tmp_path):
    categories_load_csv(path=_write(tmp_path, GOOD))
    before = _snapshot()
    # food is above food.rice in the database: food under food.rice is a cycle.
    err = _refused(_write(tmp_path, "food,food.rice,식품,Food,goods\n"))
    assert "line 2: parent food.rice is itself under food" in err
    # A top-level category with subcategories cannot go under another one.
    err = _refused(_write(tmp_path, "other,,기타,Other,goods\nfood,other,식품,Food,goods\n"))
    assert "line 3: food has subcategories (food.rice) and cannot be under another category" in err
    # Nor can a category go under a subcategory already loaded.
    err = _refused(_write(tmp_path, "food.rice.white,food.rice,백미,White rice,goods\n"))
    assert "line 2: parent food.rice is itself under food: categories have two levels" in err
    assert _snapshot() == before


@pytest.mark.django_db
def test_a_file_may_turn_the_tree_over_when_the_result_has_two_levels(tmp_path):
    categories_load_csv(path=_write(tmp_path, GOOD))
    # food.rice becomes top-level and food goes under it: still two levels.
    path = _write(tmp_path, "food.rice,,쌀,Rice,goods\nfood,food.rice,식품,Food,goods\n")
    assert categories_load_csv(path=path) == (0, 2, 0)
    assert Category.objects.get(code="food").parent.code == "food.rice"
    assert Category.objects.get(code="food.rice").parent is None


@pytest.mark.django_db
def test_unreadable_files_are_refused_by_line(tmp_path):
    cp949 = tmp_path / "cp949.csv"
    cp949.write_bytes((HEADER + GOOD).encode("cp949"))
    assert "line 0: the file is not UTF-8 text" in _refused(cp949)
    assert "line 0: cannot read the file" in _refused(tmp_path / "missing.csv")
    no_kind = tmp_path / "no_kind.csv"
    no_kind.write_text("code,parent_code,name_ko,name_en\nfood,,식품,Food\n", encoding="utf-8")
    assert "line 1: missing column(s): usual_kind" in _refused(no_kind)
    with pytest.raises(CategoryFileError):
        categories_load_csv(path=_write(tmp_path, ""))
    assert not Category.objects.exists()
