from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from regions.exceptions import RegionFileError
from regions.models import Level, Region
from regions.services import regions_load_csv

HEADER = "code,parent_code,level,name_ko,name_en\n"

# The loader's own tests start from an empty region table.
pytestmark = pytest.mark.usefixtures("empty_reference_tables")


def _snapshot():
    return list(
        Region.objects.order_by("code").values_list(
            "pk", "code", "parent_id", "level", "name_ko", "name_en", "path"
        )
    )


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "regions.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


@pytest.mark.django_db
def test_load_regions_loads_daejeon_with_official_codes():
    out = StringIO()
    call_command("load_regions", stdout=out)

    assert Region.objects.filter(level=Level.CITY).count() == 1
    assert Region.objects.filter(level=Level.DISTRICT).count() == 5
    assert Region.objects.filter(level=Level.DONG).count() == 82
    assert "88 created" in out.getvalue()
    city = Region.objects.get(level=Level.CITY)
    assert (city.code, city.name_ko, city.name_en) == ("3000000000", "대전광역시", "Daejeon")
    seo = Region.objects.get(code="3017000000")
    assert (seo.name_ko, seo.name_en, seo.parent) == ("서구", "Seo-gu", city)
    gwanjeo2 = Region.objects.get(name_ko="관저2동")
    assert gwanjeo2.code == "3017059700"
    assert gwanjeo2.parent == seo
    assert gwanjeo2.path == "3000000000/3017000000/3017059700/"
    districts = set(Region.objects.filter(level=Level.DISTRICT).values_list("name_ko", flat=True))
    assert districts == {"동구", "중구", "서구", "유성구", "대덕구"}
    # Every dong lies directly under a district.
    assert (
        not Region.objects.filter(level=Level.DONG).exclude(parent__level=Level.DISTRICT).exists()
    )


@pytest.mark.django_db
def test_load_regions_twice_is_the_same_as_once():
    call_command("load_regions", stdout=StringIO())
    before = _snapshot()
    out = StringIO()
    call_command("load_regions", stdout=out)

    assert _snapshot() == before
    assert "0 created, 0 updated, 88 unchanged" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        ("301705970,3017000000,dong,관저2동,Gwanjeo 2-dong", "not ten digits"),
        ("3017059700,3017000000,village,관저2동,Gwanjeo 2-dong", "level 'village'"),
        ("3017059700,3099000000,dong,관저2동,Gwanjeo 2-dong", "neither in the file nor loaded"),
        ("3017059700,3017000000,dong,,Gwanjeo 2-dong", "name_ko is empty"),
        ("3017059700,3017000000,dong,관저2동,Gwanjeo 2-dong,extra", "more fields"),
        ("3100000000,3000000000,city,가짜시,Fake city", "a city has no parent_code"),
        ("3017000000,3000000000,district,서구,Seo-gu", "already appears on line 3"),
        ("3017059800,3017059600,district,가짜동,Fake", "cannot lie under a dong"),
    ],
)
def test_broken_csv_loads_nothing_and_names_the_line(tmp_path, bad_row, message):
    path = _write(
        tmp_path,
        "3000000000,,city,대전광역시,Daejeon\n"
        "3017000000,3000000000,district,서구,Seo-gu\n"
        "3017059600,3017000000,dong,관저1동,Gwanjeo 1-dong\n"
        f"{bad_row}\n",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("load_regions", str(path), stdout=StringIO(), stderr=err)

    assert f"{path}: line 5: " in err.getvalue()
    assert message in err.getvalue()
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_broken_csv_changes_nothing_already_loaded(tmp_path):
    regions_load_csv()
    before = _snapshot()
    path = _write(
        tmp_path,
        "3017000000,3000000000,district,서구(개명),Seo-gu renamed\n"
        "3017059700,3017000000,dong,관저2동,\n",
    )
    with pytest.raises(RegionFileError) as caught:
        regions_load_csv(path=path)

    assert caught.value.problems == [(3, "name_en is empty")]
    assert _snapshot() == before


@pytest.mark.django_db
def test_another_city_loads_beside_daejeon(tmp_path):
    regions_load_csv()
    path = _write(
        tmp_path,
        "3600000000,,city,세종특별자치시,Sejong\n"
        "3611000000,3600000000,district,세종시,Sejong-si\n"
        "3611051000,3611000000,dong,조치원읍,Jochiwon-eup\n",
    )
    result = regions_load_csv(path=path)

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert Region.objects.filter(level=Level.CITY).count() == 2
    assert Region.objects.get(code="3611051000").path == "3600000000/3611000000/3611051000/"


@pytest.mark.django_db
def test_renamed_and_moved_region_updates_its_subtree(tmp_path):
    path = _write(
        tmp_path,
        "3000000000,,city,대전광역시,Daejeon\n"
        "3017000000,3000000000,district,서구,Seo-gu\n"
        "3017100000,3017000000,zone,서남권,Southwest zone\n"
        "3017059700,3017000000,dong,관저2동,Gwanjeo 2-dong\n",
    )
    regions_load_csv(path=path)
    moved = _write(
        tmp_path,
        "3000000000,,city,대전광역시,Daejeon\n"
        "3017000000,3000000000,district,서구,Seo-gu\n"
        "3017100000,3017000000,zone,서남권,Southwest zone\n"
        "3017059700,3017100000,dong,관저2동,Gwanjeo 2-dong\n",
    )
    result = regions_load_csv(path=moved)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    dong = Region.objects.get(code="3017059700")
    assert dong.path == "3000000000/3017000000/3017100000/3017059700/"


@pytest.mark.django_db
def test_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "cp949.csv"
    path.write_bytes((HEADER + "3000000000,,city,대전광역시,Daejeon\n").encode("cp949"))
    with pytest.raises(RegionFileError, match="not UTF-8"):
        regions_load_csv(path=path)
    assert Region.objects.count() == 0


@pytest.mark.django_db
def test_missing_column_is_refused(tmp_path):
    path = tmp_path / "regions.csv"
    path.write_text("code,level,name_ko,name_en\n3000000000,city,대전광역시,Daejeon\n")
    with pytest.raises(RegionFileError, match="missing column"):
        regions_load_csv(path=path)


# --- what the checks above let through before ---------------------------------------------------

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        # Digits of other scripts pass str.isdigit(); a code is ten ASCII digits.
        ("3017059700".translate(ARABIC_INDIC) + ",3017000000,dong,관저2동,G", "not ten digits"),
        ("3017059700".translate(FULL_WIDTH) + ",3017000000,dong,관저2동,G", "not ten digits"),
        ("3017059700," + "3017000000".translate(FULL_WIDTH) + ",dong,관저2동,G", "not ten digits"),
        ("3017059700,3017000000,dong," + "가" * 101 + ",Gwanjeo 2-dong", "longer than 100"),
        ("3017059700,3017000000,dong,관저2동," + "G" * 101, "longer than 100"),
        ("3017059700,3017000000,dong,관저\x002동,Gwanjeo 2-dong", "control character"),
        ("3017059700,3017000000,dong,관저2동,Gwanjeo\x002-dong", "control character"),
        ("3017059700\x00,3017000000,dong,관저2동,Gwanjeo 2-dong", "control character"),
        ("3017059700,3017000000,dong," + "가" * 200_000 + ",G", "not readable as CSV"),
    ],
)
def test_odd_codes_long_names_and_nul_bytes_load_nothing_and_name_the_line(
    tmp_path, bad_row, message
):
    path = tmp_path / "regions.csv"
    path.write_text(
        HEADER
        + "3000000000,,city,대전광역시,Daejeon\n"
        + "3017000000,3000000000,district,서구,Seo-gu\n"
        + "3017059600,3017000000,dong,관저1동,Gwanjeo 1-dong\n"
        + f"{bad_row}\n",
        encoding="utf-8",
    )
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was changed"):
        call_command("load_regions", str(path), stdout=StringIO(), stderr=err)

    assert f"{path}: line 5: " in err.getvalue()
    assert message in err.getvalue()
    assert Region.objects.count() == 0


def _districts_as(level: str) -> str:
    return "3000000000,,city,대전광역시,Daejeon\n" + f"3017000000,3000000000,{level},서구,Seo-gu\n"


@pytest.mark.django_db
def test_a_region_with_regions_under_it_keeps_its_level(tmp_path):
    regions_load_csv()
    before = _snapshot()
    for level, message in (
        ("dong", "3017000000 cannot change its level: the dong 3017051000 lies under it"),
        ("zone", "3017000000 cannot change its level: the dong 3017051000 lies under it"),
    ):
        path = _write(tmp_path, _districts_as(level))
        err = StringIO()
        with pytest.raises(CommandError):
            call_command("load_regions", str(path), stdout=StringIO(), stderr=err)
        assert f"{path}: line 3: {message}" in err.getvalue()
        assert _snapshot() == before
    assert not Region.objects.filter(level=Level.DONG, parent__level=Level.DONG).exists()


@pytest.mark.django_db
def test_a_region_with_a_wallet_keeps_its_level(tmp_path):
    from ledger.models import Purpose
    from ledger.services import account_for

    path = _write(
        tmp_path,
        "3000000000,,city,대전광역시,Daejeon\n3017000000,3000000000,district,서구,Seo-gu\n",
    )
    regions_load_csv(path=path)
    account_for(Region.objects.get(code="3017000000"), Purpose.WALLET)
    before = _snapshot()
    with pytest.raises(RegionFileError) as caught:
        regions_load_csv(text=HEADER + _districts_as("zone"))
    assert caught.value.problems == [
        (3, "3017000000 cannot change its level: it has point accounts")
    ]
    assert _snapshot() == before


@pytest.mark.django_db
def test_a_region_without_children_or_accounts_may_change_level(tmp_path):
    regions_load_csv(text=HEADER + _districts_as("district"))
    result = regions_load_csv(text=HEADER + _districts_as("zone"))
    assert result.updated == 1
    assert Region.objects.get(code="3017000000").level == Level.ZONE
