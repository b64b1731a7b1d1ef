from dpdktune.config import load_config
from dpdktune.sim.best_config_table import best_configs, landscape


def test_best_config_differs_across_default_workloads():
    config = load_config("config/config.yaml")
    frame = landscape(config)
    assert len(frame) == 15 * 125
    best = best_configs(frame).set_index("workload")
    distinct = best[["rx_desc", "tx_desc", "cores", "burst"]].drop_duplicates()
    assert len(distinct) >= 4
    # physical reasons, not accidents: one flow needs one core; heavy per-packet work needs many
    assert best.loc["elephant", "cores"] == 1
    assert best.loc["reqheavy", "cores"] == 16
    assert best.loc["flood64", "cores"] > best.loc["large1500", "cores"]


def test_docs_table_is_the_scripts_current_output():
    import io
    from contextlib import redirect_stdout
    from pathlib import Path

    from dpdktune.sim.best_config_table import BEGIN_MARK, END_MARK, main

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        main(["--markdown"])
    doc = Path("docs/simulator.md").read_text()
    section = doc.split(BEGIN_MARK, 1)[1].split(END_MARK, 1)[0].strip()
    assert section == buffer.getvalue().strip(), (
        "run: python -m dpdktune.sim.best_config_table --update-doc docs/simulator.md"
    )
