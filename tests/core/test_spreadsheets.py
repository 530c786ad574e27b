import csv
import io

from core.spreadsheets import csv_download, safe_cell


def test_a_download_is_an_attachment_never_kept_with_every_cell_made_safe():
    response = csv_download("figures-2026-01-01.csv", ["Name", "Count"],
                            iter([["=HYPERLINK(\"x\")", 3], ["-1 day", -1], ["Plain", ""]]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="figures-2026-01-01.csv"'
    assert response["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [["Name", "Count"], ["'=HYPERLINK(\"x\")", "3"], ["'-1 day", "-1"], ["Plain", ""]]


def test_safe_cell_leaves_numbers_and_ordinary_text_alone():
    assert [safe_cell(value) for value in (-1, 2.5, "Ann", "@home", "\tx")] == [-1, 2.5, "Ann", "'@home", "'\tx"]
