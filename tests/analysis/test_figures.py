import struct

import pandas as pd
import pytest
from dpdktune.analysis.figures import save_figure


@pytest.mark.parametrize(("width", "height", "dpi"), [(9, 5, 110), (4, 3, 96), (9, 30, 10)])
def test_save_figure_writes_a_png_of_the_asked_size_and_no_temporary(tmp_path, width, height, dpi):
    from plotnine import aes, geom_point, ggplot

    plot = ggplot(pd.DataFrame({"x": [1, 2, 3], "y": [3, 1, 2]}), aes("x", "y")) + geom_point()
    path = save_figure(plot, tmp_path / "figures" / "plot.png", width, height, dpi=dpi)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (width * dpi, height * dpi)
    assert [p.name for p in path.parent.iterdir()] == ["plot.png"]


@pytest.mark.parametrize(("workloads", "max_width_px"), [(15, 1040), (100, 1600)])
def test_penalty_heatmap_stays_near_report_width_however_many_workloads(tmp_path, workloads, max_width_px):
    """The report is about 1400 px wide: a 100-workload matrix must not be shrunk to unreadable."""
    from dpdktune.analysis.figures import penalty_heatmap

    names = [f"gen{i:03d}" for i in range(workloads)]
    frame = pd.DataFrame(
        [(a, b, 0.0 if a == b else 0.5) for a in names for b in names], columns=["workload", "config_of", "penalty"]
    )
    penalty_heatmap(frame, tmp_path / "penalty.png")
    data = (tmp_path / "penalty.png").read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert 800 <= width <= max_width_px
    assert height < width
