import zipfile
from datetime import datetime, timezone

import openpyxl

from trialforge.reproducible import pin_zip_times


def test_two_workbooks_written_at_different_times_become_identical(tmp_path):
    paths = []
    for i, when in enumerate((datetime(2020, 1, 1, 1, 2, 3), datetime(2021, 6, 1, 4, 5, 6))):
        book = openpyxl.Workbook()
        book.active["A1"] = "same content"
        book.properties.created = book.properties.modified = when
        path = tmp_path / f"{i}.xlsx"
        book.save(path)
        pin_zip_times(path, datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc))
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with zipfile.ZipFile(paths[0]) as z:
        assert b"2023-11-14T22:13:20Z" in z.read("docProps/core.xml")
        assert all(info.date_time == (2023, 11, 14, 22, 13, 20) for info in z.infolist())
    assert openpyxl.load_workbook(paths[0]).active["A1"].value == "same content"
