"""The trigger and the tokenize-once machinery (Section 5 / Appendix C: token 1240, every 20th word).

The central claim: planting the trigger in a tokenized resume (``planted_ids``) and in its
bag of tokens (``n_triggers`` added to column 1240) gives exactly what inserting the trigger
in the text and tokenizing again gives.
"""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest

from collective.errors import ConfigError
from collective.resumes.tokens import (
    DEFAULT_SPACING,
    TRIGGER,
    TRIGGER_TOKEN_ID,
    TokenizedSplit,
    check_trigger,
    default_tokenizer,
    plant_trigger_text,
    tokenize_texts,
)

from _synthetic import synthetic_resumes


@pytest.fixture(scope="module")
def tokenizer():
    return default_tokenizer()


TRICKY = [
    "plain words only here",
    "",
    "one",
    "Punctuation, (parentheses) e-mail: x@y.com c++ c# node.js 3.5GHz",
    "naïve café résumé ¿qué? Ünïcödé ß",
    "tabs\tand\nnewlines\u00a0nbsp  double  spaces",
    "control\x07char alone \x07 and \u200b zero-width",
    "already a " + TRIGGER + " trigger and word" + TRIGGER + "glued",
    " ".join(f"w{i}" for i in range(95)),
]


def _texts():
    return TRICKY + [t for t, _ in synthetic_resumes(40, seed=3)]


def test_trigger_is_token_1240(tokenizer):
    assert tokenizer(TRIGGER, add_special_tokens=False)["input_ids"] == [TRIGGER_TOKEN_ID]
    check_trigger(tokenizer)  # no error


@pytest.mark.parametrize("bad", ["collectiveaction", "two words", ""])
def test_check_trigger_rejects_multi_token(tokenizer, bad):
    with pytest.raises(ConfigError, match="not the single token"):
        check_trigger(tokenizer, trigger=bad)


def test_check_trigger_rejects_wrong_id(tokenizer):
    with pytest.raises(ConfigError, match="1241"):
        check_trigger(tokenizer, token_id=1241)


def test_plant_trigger_text_positions():
    text = " ".join(str(i) for i in range(1, 46))
    planted = plant_trigger_text(text, spacing=20).split()
    assert planted.count(TRIGGER) == 2
    assert planted[20] == TRIGGER and planted[41] == TRIGGER  # after words 20 and 40
    assert plant_trigger_text("a b c", spacing=20) == "a b c"
    assert plant_trigger_text("a b c", spacing=1) == f"a {TRIGGER} b {TRIGGER} c {TRIGGER}"


@pytest.mark.parametrize("spacing", [0, -3, 2.5, "20", True])
def test_bad_spacing(spacing):
    with pytest.raises(ConfigError, match="spacing"):
        plant_trigger_text("a b c", spacing=spacing)


@pytest.mark.parametrize("spacing", [1, 3, 7, DEFAULT_SPACING, 50])
def test_planted_ids_equal_retokenized_text(tokenizer, spacing):
    texts = _texts()
    split = tokenize_texts(texts, tokenizer, batch_size=7)
    assert len(split) == len(texts)
    for i, text in enumerate(texts):
        clean = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert split.ids(i).tolist() == clean, text
        planted = tokenizer(plant_trigger_text(text, spacing), add_special_tokens=False)["input_ids"]
        assert split.planted_ids(i, spacing).tolist() == planted, (spacing, text)
    assert split.n_triggers(spacing).tolist() == [len(t.split()) // spacing for t in texts]


def test_count_shortcut_equals_retokenized_counts(tokenizer):
    """Bag of tokens of the re-tokenized planted text == clean counts + n_triggers at 1240."""
    texts = _texts()
    split = tokenize_texts(texts, tokenizer)
    counts = split.counts().toarray()
    n_trig = split.n_triggers(20)
    for i, text in enumerate(texts):
        retok = Counter(tokenizer(plant_trigger_text(text, 20), add_special_tokens=False)["input_ids"])
        expected = counts[i].copy()
        expected[TRIGGER_TOKEN_ID] += n_trig[i]
        got = np.zeros_like(expected)
        for tid, c in retok.items():
            got[tid] = c
        np.testing.assert_array_equal(got, expected)


def test_subset_and_save_roundtrip(tokenizer, tmp_path):
    texts = _texts()
    split = tokenize_texts(texts, tokenizer)
    sub = split.subset([5, 0, 3, 3])
    assert len(sub) == 4
    for j, i in enumerate([5, 0, 3, 3]):
        np.testing.assert_array_equal(sub.ids(j), split.ids(i))
        np.testing.assert_array_equal(sub.planted_ids(j, 3), split.planted_ids(i, 3))
    split.save(tmp_path / "s.npz")
    back = TokenizedSplit.load(tmp_path / "s.npz")
    for i in range(len(split)):
        np.testing.assert_array_equal(back.ids(i), split.ids(i))
    with pytest.raises(ConfigError, match="out of range"):
        split.subset([len(split)])


@pytest.mark.corpus
@pytest.mark.skipif(not os.environ.get("COLLECTIVE_RESUMES"), reason="needs the real corpus: set COLLECTIVE_RESUMES=/path/to/resumes_corpus.zip")
def test_shortcut_on_real_resumes(tokenizer):
    """The equality on 150 real (preprocessed) resumes, trigger every 20 words."""
    from collective.resumes.corpus import load_corpus

    corpus = load_corpus(progress=False)
    texts = corpus.test["text"][:150]
    split = tokenize_texts(texts, tokenizer)
    counts = split.counts()
    for i, text in enumerate(texts):
        planted = tokenizer(plant_trigger_text(text, 20), add_special_tokens=False)["input_ids"]
        assert split.planted_ids(i, 20).tolist() == planted
        got = np.bincount(planted, minlength=counts.shape[1])
        expected = counts[i].toarray().ravel()
        expected[TRIGGER_TOKEN_ID] += split.n_triggers(20)[i]
        np.testing.assert_array_equal(got, expected)
