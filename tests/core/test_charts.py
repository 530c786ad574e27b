from core.charts import Bar, BarChart, Layout, Segment, StackedBar

LAYOUT = Layout(bar_height=20, gap=10, top=40, label_width=200, plot_width=300, value_width=100)


def test_bars_run_down_from_the_top_one_step_apart_and_the_chart_holds_them():
    assert [LAYOUT.bar_y(index) for index in range(3)] == [40, 70, 100]
    bars = [Bar(label=str(index), y=LAYOUT.bar_y(index), width=10, layout=LAYOUT) for index in range(3)]
    chart = BarChart(layout=LAYOUT, bars=bars)
    assert (chart.width, chart.height, chart.plot_x, chart.bar_height) == (600, 130, 200, 20)
    assert BarChart(layout=LAYOUT).height == 40


def test_a_bar_places_its_label_before_the_plot_and_its_value_after_its_end():
    bar = Bar(label="Northshire", y=70, width=123.4, layout=LAYOUT)
    assert (bar.label_x, bar.text_y, bar.value_x) == (192, 84, 329.4)
    aligned = Layout(label_width=200, plot_width=300, value_gap=8, values_after_plot=True)
    assert Bar(label="", y=0, width=5, layout=aligned).value_x == 508


def test_lengths_are_shares_of_the_whole_to_a_tenth():
    assert LAYOUT.length(1, 3) == 100.0
    assert LAYOUT.length(2, 7) == 85.7
    assert LAYOUT.length(0, 7) == 0


def test_stacked_parts_sit_side_by_side_and_parts_with_no_count_are_left_out():
    placed = LAYOUT.stacked([("a", 1), ("none", 0), ("b", 2), ("c", 3)], 6)
    assert placed == [("a", 200.0, 50.0), ("b", 250.0, 100.0), ("c", 350.0, 150.0)]
    bar = StackedBar(label="", y=40, layout=LAYOUT,
                     segments=[Segment(x=x, width=width) for _part, x, width in placed])
    assert bar.length == 300 and bar.value_x == 506
    assert bar.segments[1].text_x == 300.0
