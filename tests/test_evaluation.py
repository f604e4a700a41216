"""The success measures of Section 5 (in-set and top-1, with the trigger in every test resume)
and the clean multi-label metrics (1 - Hamming loss, micro precision/recall)."""

from __future__ import annotations

import numpy as np
import pytest

from collective.errors import ConfigError
from collective.resumes.evaluation import (
    clean_metrics,
    evaluate,
    evaluate_probabilities,
    success_rates,
)


def test_success_rates_by_hand():
    P = np.array(
        [
            [0.9, 0.95, 0.1],  # target 0 in set, not top-1
            [0.6, 0.2, 0.3],  # in set and top-1
            [0.4, 0.1, 0.2],  # not in set, but top-1
            [0.5, 0.7, 0.1],  # 0.5 is not above the threshold; not top-1
        ]
    )
    assert success_rates(P, 0) == (0.5, 0.5)
    assert success_rates(P, 0, np.array([True, False, False, True])) == (0.5, 0.0)
    assert all(np.isnan(success_rates(P, 0, np.zeros(4, bool))))


def test_clean_metrics_by_hand():
    Y = np.array([[1, 0, 1], [0, 1, 0]])
    P = np.array([[0.9, 0.8, 0.1], [0.2, 0.7, 0.1]])
    # predictions [[1,1,0],[0,1,0]]: TP=2, FP=1, FN=1, 4 of 6 entries right
    m = clean_metrics(P, Y)
    assert m["hamming_accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)


def test_clean_metrics_asymmetric_against_counting():
    """Precision and recall differ here (more false positives than false negatives), so a
    swapped denominator would fail; the reference counts cell by cell."""
    rng = np.random.default_rng(3)
    Y = (rng.random((300, 10)) < 0.2).astype(int)
    P = 0.45 * Y + 0.55 * rng.random((300, 10))  # more false positives than false negatives
    tp = fp = fn = right = 0
    for y_row, p_row in zip(Y, P):
        for y, prob in zip(y_row, p_row):
            pred = prob > 0.5
            tp += bool(pred and y)
            fp += bool(pred and not y)
            fn += bool(y and not pred)
            right += pred == bool(y)
    m = clean_metrics(P, Y)
    assert fp > 2 * fn > 0  # the data are asymmetric
    assert m["precision"] == pytest.approx(tp / (tp + fp))
    assert m["recall"] == pytest.approx(tp / (tp + fn))
    assert m["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    assert m["hamming_accuracy"] == pytest.approx(right / Y.size)
    assert m["precision"] < m["recall"]


def test_evaluate_probabilities_without_target_subset():
    Y = np.array([[1, 0], [0, 1], [0, 1]])
    clean = np.array([[0.9, 0.1], [0.1, 0.9], [0.2, 0.8]])
    planted = np.array([[0.9, 0.1], [0.8, 0.9], [0.7, 0.6]])
    m = evaluate_probabilities(clean, planted, Y, 0)
    assert m["success_in_set"] == 1.0
    assert m["success_top1"] == pytest.approx(2 / 3)
    assert m["success_in_set_without_target"] == 1.0
    assert m["success_top1_without_target"] == 0.5
    assert m["clean_in_set"] == pytest.approx(1 / 3)
    assert m["n_test_without_target"] == 2
    assert m["hamming_accuracy"] == 1.0


class _ConstantFirm:
    """Answers the target with probability 0.9 exactly on planted rows."""

    device = "test"

    def predict_proba(self, X, *, planted, spacing):
        P = np.full((len(X), 10), 0.2)
        P[planted, 2] = 0.9
        return P


def test_evaluate_plants_every_test_resume():
    X = list(range(8))  # evaluate only needs len()
    Y = np.zeros((8, 10), dtype=np.uint8)
    Y[:3, 2] = 1
    m = evaluate(_ConstantFirm(), X, Y, target="Software_Developer", spacing=20)
    assert m["success_in_set"] == 1.0 and m["success_top1"] == 1.0
    assert m["clean_in_set"] == 0.0
    assert m["recall"] == 0.0  # nothing predicted on clean resumes


def test_evaluate_bad_input():
    with pytest.raises(ConfigError, match="unknown target"):
        evaluate(_ConstantFirm(), [0], np.zeros((1, 10)), target="Nope", spacing=20)
    with pytest.raises(ConfigError, match="spacing"):
        evaluate(_ConstantFirm(), [0], np.zeros((1, 10)), target="Web_Developer", spacing=0)
    with pytest.raises(ConfigError, match="do not match"):
        evaluate_probabilities(np.zeros((2, 10)), np.zeros((2, 10)), np.zeros((3, 10)), 0)


def test_evaluate_probabilities_every_metric_by_hand():
    # target k = 1; rows 0 and 2 do not carry it
    Y = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1], [1, 1, 0]])
    clean = np.array([[0.9, 0.2, 0.1], [0.1, 0.6, 0.4], [0.3, 0.7, 0.5], [0.8, 0.9, 0.2]])
    planted = np.array([[0.9, 0.95, 0.1], [0.1, 0.6, 0.4], [0.3, 0.7, 0.8], [0.55, 0.51, 0.2]])
    m = evaluate_probabilities(clean, planted, Y, 1)
    expected = {
        "success_in_set": 1.0,  # 0.95, 0.6, 0.7, 0.51 are all > 0.5
        "success_top1": 0.5,  # rows 0 and 1
        "success_in_set_without_target": 1.0,  # rows 0 and 2
        "success_top1_without_target": 0.5,  # row 0 only (row 2's top is column 2)
        "clean_in_set": 0.75,  # rows 1, 2 and 3
        "clean_top1": 0.75,  # rows 1, 2 and 3
        "clean_in_set_without_target": 0.5,  # row 2
        "clean_top1_without_target": 0.5,  # row 2
        # clean predictions (> 0.5): [1,0,0], [0,1,0], [0,1,0], [1,1,0]; the 0.5 is not in
        # TP = 4 (r0c0, r1c1, r3c0, r3c1), FP = 1 (r2c1), FN = 2 (r1c2, r2c2); 9 of 12 right
        "precision": 4 / 5,
        "recall": 4 / 6,
        "f1": 2 * 4 / (2 * 4 + 1 + 2),
        "hamming_accuracy": 9 / 12,
        "n_test": 4,
        "n_test_without_target": 2,
    }
    assert set(m) == set(expected)
    for name, value in expected.items():
        assert m[name] == pytest.approx(value), name


def test_success_rates_of_a_single_row():
    assert success_rates(np.array([[0.2, 0.7]]), 1) == (1.0, 1.0)
    assert success_rates(np.array([[0.2, 0.7], [0.9, 0.1]]), 1, np.array([False, True])) == (
        0.0,
        0.0,
    )


def test_clean_metrics_threshold_and_empty_denominators():
    import warnings

    Y = np.array([[1, 0], [0, 1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning noise for an empty denominator
        # nothing predicted (0.5 is not above the threshold): precision 0 by convention, recall 0
        m = clean_metrics(np.array([[0.5, 0.1], [0.2, 0.5]]), Y)
        assert m == {"hamming_accuracy": 0.5, "precision": 0.0, "recall": 0.0, "f1": 0.0}
        # no labels at all and nothing predicted
        m = clean_metrics(np.zeros((2, 2)), np.zeros((2, 2)))
        assert m == {"hamming_accuracy": 1.0, "precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_evaluate_probabilities_checks_both_shapes():
    with pytest.raises(
        ConfigError, match=r"probabilities \(2, 10\)/\(3, 10\) do not match labels \(2, 10\)"
    ):
        evaluate_probabilities(np.zeros((2, 10)), np.zeros((3, 10)), np.zeros((2, 10)), 0)
    with pytest.raises(
        ConfigError, match=r"probabilities \(3, 10\)/\(2, 10\) do not match labels \(2, 10\)"
    ):
        evaluate_probabilities(np.zeros((3, 10)), np.zeros((2, 10)), np.zeros((2, 10)), 0)


def test_evaluate_passes_the_spacing_and_the_planted_masks():
    calls = []

    class Recorder(_ConstantFirm):
        def predict_proba(self, X, *, planted, spacing):
            calls.append((planted.copy(), spacing))
            return super().predict_proba(X, planted=planted, spacing=spacing)

    evaluate(Recorder(), list(range(5)), np.zeros((5, 10)), target="Software_Developer", spacing=7)
    assert [s for _, s in calls] == [7, 7]
    assert sorted(int(p.sum()) for p, _ in calls) == [0, 5]
    assert all(p.dtype == bool and len(p) == 5 for p, _ in calls)
