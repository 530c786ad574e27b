"""The comparison of two versions' content: a pure function, in words."""

from safety_plans.comparison import compare, summarise, word_segments


def content(text=None, **lists):
    return {"text": text or {}, "worries": [], "people_of_concern": [], "steps": [], "commitments": [], **lists}


def by_title(sections):
    return {section.title: section for section in sections}


def test_the_same_content_has_no_differences():
    plan = content({"school": "Year 9"}, worries=[{"id": 1, "who_is_worried": "Mum", "worry": "Park"}])
    assert compare(plan, plan) == []


def test_text_changed_from_to_with_the_words_marked():
    old = content({"warning_signs": "Comes home late with new trainers", "school": ""})
    new = content({"warning_signs": "Comes home late with a new phone", "school": "Year 9", "peer_groups": ""})
    [text] = compare(old, new)
    changes = {change.label: change for change in text.changes}
    signs = changes["Warning signs"]
    assert signs.kind == "changed"
    assert signs.word == "Changed from “Comes home late with new trainers” to “Comes home late with a new phone”"
    removed = "".join(s.text for s in signs.segments if s.kind == "removed")
    added = "".join(s.text for s in signs.segments if s.kind == "added")
    assert "trainers" in removed and "phone" in added
    assert "late" not in removed + added
    assert changes["School"].word == "Added"
    assert "Peer groups" not in changes  # empty before and after


def test_dates_and_choices_are_in_words():
    old = content({"review_on": "2026-05-01"},
                  commitments=[{"id": 4, "who": "Mum", "commitment": "Ring school", "status": "open"}])
    new = content({"review_on": None},
                  commitments=[{"id": 4, "who": "Mum", "commitment": "Ring school", "status": "done"}])
    sections = by_title(compare(old, new))
    [review] = sections["The plan's words"].changes
    assert review.before == "1 May 2026" and review.kind == "removed"
    [row] = sections["The safety network"].changes
    assert row.kind == "changed"
    [status] = row.fields
    assert (status.label, status.before, status.after) == ("Status", "To do", "Done")


def test_rows_added_removed_and_changed_are_told_apart_by_id():
    old = content(people_of_concern=[
        {"id": 1, "name_or_description": "Dan", "vehicles": ""},
        {"id": 2, "name_or_description": "Older boy called K"},
    ])
    new = content(people_of_concern=[
        {"id": 1, "name_or_description": "Dan", "vehicles": "Silver Audi"},
        {"id": 3, "name_or_description": "A woman who drives a taxi"},
    ])
    [section] = compare(old, new)
    assert section.title == "People of concern"
    kinds = {(change.kind, change.summary) for change in section.changes}
    assert kinds == {("changed", "Dan"), ("added", "A woman who drives a taxi"), ("removed", "Older boy called K")}


def test_a_row_put_back_under_a_new_id_with_the_same_words_is_no_change():
    old = content(steps=[{"id": 1, "if_this_happens": "Not home by 9", "then_we_do": "Ring", "when_missing": False}])
    new = content(steps=[{"id": 9, "if_this_happens": "Not home by 9", "then_we_do": "Ring", "when_missing": False}])
    assert compare(old, new) == []


def test_word_segments_keep_line_breaks():
    segments = word_segments("one\ntwo three", "one\ntwo four")
    assert "".join(s.text for s in segments if s.kind != "added") == "one\ntwo three"
    assert "".join(s.text for s in segments if s.kind != "removed") == "one\ntwo four"


def test_summary_of_a_save():
    old = content({"school": "a"})
    assert summarise(old, content({"school": "b"})) == "Changed school"
    both = content({"school": "b"}, worries=[{"id": 1, "who_is_worried": "Mum", "worry": "x"}])
    assert summarise(old, both) == "Changed school and what we are worried about"
