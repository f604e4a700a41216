"""The torch.compile benchmark (benchmarks/bench_compile.py): its summary of rounds on
hand-made results, and the opaque dropout-mask op it compiles around (eager here: the same
masks as the firm's dropout)."""

from __future__ import annotations

import pytest
from _scripts import load_script


def _bench():
    return load_script("benchmarks/bench_compile.py")


def test_summary_takes_the_median_over_rounds_and_the_first_rounds_compilation():
    rounds = [
        {"median_step_s": 0.20, "first_step_s": 40.0, "steps": 30, "loss": 0.5},
        {"median_step_s": 0.10, "first_step_s": 6.0, "steps": 30, "loss": 0.5},
        {"median_step_s": 0.12, "first_step_s": 6.0, "steps": 30, "loss": 0.5},
    ]
    out = _bench().summary(rounds)
    assert out["median_step_s"] == pytest.approx(0.12)
    assert out["first_step_s"] == 40.0 and out["steps"] == 30


def test_opaque_masks_drop_with_the_firms_masks(monkeypatch):
    torch = pytest.importorskip("torch")
    from collective.firms.transformer import fast_dropout as fd

    firms = fd.scaled_mask
    monkeypatch.setattr(fd, "scaled_mask", firms)  # restored after the test
    bench = _bench()
    bench.opaque_masks()
    bench.opaque_masks()  # a second call reuses the registered op
    assert fd.scaled_mask is not firms
    x = torch.ones(4, 7, 9, dtype=torch.bfloat16, requires_grad=True)
    torch.manual_seed(3)
    y = fd.fast_dropout(x, 0.2)
    torch.manual_seed(3)
    mask = firms((4, 7, 9), 0.2, torch.bfloat16)
    assert torch.equal(y.detach(), mask)
    y.sum().backward()
    assert torch.equal(x.grad, mask)  # the mask is a constant of the backward pass
    assert fd.fast_dropout(x, 0.2, training=False) is x
