from dpdktune.runtime.phase3_section import section_spec

PATHS = {
    k: f"results/evaluate/{k}.parquet"
    for k in (
        "day",
        "static_table",
        "dynamic_table",
        "novel_table",
        "safety_table",
        "day_table",
        "ablation_table",
        "overhead_table",
        "architecture_figure",
        "timeline_figure",
        "regret_figure",
        "overhead_figure",
    )
}


def headline(**changes):
    h = {
        "adaptive_fraction_of_oracle": 0.98,
        "fast_only_fraction_of_oracle": 0.95,
        "static_fraction_of_oracle": 0.76,
        "reactive_fraction_of_oracle": 0.74,
        "within_5pct_of_oracle": True,
        "beats_static": True,
        "beats_reactive": True,
        "adaptation_median_s": 2.0,
        "adaptation_within_10s_share": 0.99,
        "below_safe_max_run_outside_restarts": 1,
        "run_wall_s": 100.0,
        "ablations": {"full": 0.97, "no novelty detection": 0.98, "no fast-tier guard": 0.95},
    }
    return {**h, **changes}


def goals_text(h):
    spec = section_spec(h, PATHS, {})
    return next(p for p in spec["paragraphs"] if p.startswith("Goals, plainly"))


def test_the_section_says_plainly_which_goals_hold():
    text = goals_text(headline())
    assert "adapts within 10 s of a shift - does NOT hold (99.0 % of the day's shifts)".replace(" %", "%") in text
    assert "below the safe default outside a port restart's charge - holds (longest run 1)" in text
    assert "within 5 % of the oracle - holds" in text
    text = goals_text(headline(adaptation_within_10s_share=1.0, below_safe_max_run_outside_restarts=2))
    assert "adapts within 10 s of a shift - holds" in text and "does NOT hold (longest run 2)" in text


def test_the_ablation_sentence_follows_the_numbers():
    spec = section_spec(headline(), PATHS, {})
    assert any(
        "costs more than the gate saves" in p and "Without the fast-tier guard: 0.950" in p for p in spec["paragraphs"]
    )
    spec = section_spec(headline(ablations={"full": 0.99, "no novelty detection": 0.98}), PATHS, {})
    assert any("earns its keep" in p for p in spec["paragraphs"])
