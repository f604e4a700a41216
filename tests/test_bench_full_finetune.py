"""The every-layer benchmark (benchmarks/bench_full_finetune.py): its table's arithmetic on
hand-made rates, and its training process at tiny scale on the synthetic corpus."""

from __future__ import annotations

import json

import pytest
from _scripts import load_script


def _bench():
    return load_script("benchmarks/bench_full_finetune.py")


def test_table_turns_rates_into_paper_size_minutes_and_runs_per_hour():
    bench = _bench()
    rows = bench.table(
        [("today", 0.0432, 0.08, 1), ("new", 0.0216, 0.021, 1), ("pair", 0.0432, 0.04, 2)]
    )
    # 25,000 resumes x 5 epochs at 43.2 ms each: 90 minutes, 2/3 of a run per hour
    assert rows[0]["minutes"] == pytest.approx(90.0)
    assert rows[0]["runs_per_hour"] == pytest.approx(2 / 3)
    assert rows[0]["ratio"] == pytest.approx(1.0)
    assert rows[1]["minutes"] == pytest.approx(45.0) and rows[1]["ratio"] == pytest.approx(2.0)
    # two runs at once, each at today's rate: twice the runs per hour
    assert rows[2]["runs_per_hour"] == pytest.approx(4 / 3) and rows[2]["ratio"] == pytest.approx(
        2.0
    )
    assert rows[1]["wall_ms"] == pytest.approx(21.6) and rows[1]["cpu_ms"] == pytest.approx(21.0)


def test_steady_state_rate_leaves_out_the_first_steps():
    bench = _bench()
    # 3 slow warm-up steps (1 s each), then 6 steps of 0.16 s wall and 0.08 s CPU
    stamps = [(float(i), float(i)) for i in range(4)]
    stamps += [(3 + 0.16 * k, 3 + 0.08 * k) for k in range(1, 7)]
    wall, cpu = bench.per_example({"stamps": stamps}, skip=3)
    assert wall == pytest.approx(0.16 / 8) and cpu == pytest.approx(0.08 / 8)
    assert bench.per_example({"stamps": stamps}, skip=0)[0] > 2 * wall
    with pytest.raises(SystemExit, match="raise --n"):
        bench.per_example({"stamps": stamps}, skip=6)


def test_training_process_reports_the_fit_of_every_layer(monkeypatch, tmp_path, capsys):
    pytest.importorskip("torch")
    from _synthetic import make_corpus_zip

    from collective import runner

    corpus = make_corpus_zip(tmp_path / "resumes_corpus.zip", n=60)
    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COLLECTIVE_RESUMES", str(corpus))
    runner.clear_contexts()
    import transformers

    training_step = transformers.Trainer.training_step
    _bench().child(n=16, epochs=1, max_length=16, threads=1)
    assert transformers.Trainer.training_step is training_step  # the timing hook is undone
    runner.clear_contexts()
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("RESULT ")
    info = json.loads(line[len("RESULT ") :])
    assert info["n_train"] == 16 and info["n_frozen_layers"] == 0
    # the wall and CPU clocks at the start of each of the 2 steps of 8, in order
    assert len(info["stamps"]) == 2 and info["stamps"][0] <= info["stamps"][1]
    assert info["trainer_seconds"] > 0 and info["cpu_seconds"] > 0
    assert info["device"].startswith("cpu")
