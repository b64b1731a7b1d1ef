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
