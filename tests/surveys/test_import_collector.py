"""The cycle collector is paused while a survey file is read and imported (a national
file keeps hundreds of thousands of objects alive), and runs again afterwards, whatever
the outcome."""

import gc

import pytest

from surveys import importing
from surveys.importing import ImportRefused, survey_file_check, survey_file_import

pytestmark = pytest.mark.django_db

HEADER = "commune_code,answered_on,satisfied,Q1,Q11"


def test_reading_and_importing_a_file_pause_the_collector(
    tmp_path, questionnaire, recompute, monkeypatch
):
    seen = []
    scan = importing._scan

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return scan(*args, **kwargs)

    monkeypatch.setattr(importing, "_scan", watched)
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\n7444,2024-03-05,1,4,5\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\n7444,2024-02-30,1,4,5\n", encoding="utf-8")

    assert survey_file_check(path=good, filename="good.csv").ok
    assert survey_file_import(path=good, filename="good.csv").written == 1
    with pytest.raises(ImportRefused):
        survey_file_import(path=bad, filename="bad.csv")

    assert seen == [False, False, False]
    assert gc.isenabled()
