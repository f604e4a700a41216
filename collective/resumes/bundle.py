"""An offline bundle: what runs of the transformer firm read, for a machine without network,
corpus or the ``datasets`` package (a cluster's GPU node).

``collective bundle OUT --max-length 128`` writes a folder:

* ``bundle.json``: the corpus's sha256 and the tokenization's key (so a run from the bundle
  carries the same ``data_sha256`` and ``tokens_key`` as one from the zip, and lands in the
  same results folder under the same key), the inputs' length, the model, the weights' dtype
  and the sha256 of every other file (checked on load);
* ``tokens.npz``: both splits tokenized (WordPiece ids as uint16) and cut to what a firm with
  that ``max_length`` reads (:func:`truncate_split`), the tokens of each word (the trigger is
  planted at word starts), and the label matrices; LZMA-compressed;
* ``model/``: the model's configuration, tokenizer files and weights (float16 by default,
  half the size; loaded as float32).

No resume text is in it, but it is derived from the corpus: it never enters git. A run
reads it with ``--bundle DIR`` (or ``--data DIR``, or ``$COLLECTIVE_RESUMES``); it serves
the transformer firm's planting runs with ``max_length`` up to the bundle's (the linear
firm and the erasure strategies read whole resumes: they need the corpus).

With float16 weights, the pretrained network a bundle run starts from is the packaged one
rounded to float16 (relative error below 5e-4, under the bf16 rounding of mixed precision);
the record says so in its provenance (``bundle``). ``--weights-dtype float32`` keeps them exact.
"""

from __future__ import annotations

import io as _io
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from collective import io
from collective.errors import ConfigError, DataError
from collective.resumes.archive import ENV_VAR
from collective.resumes.tokens import TokenizedSplit

BUNDLE_FILE = "bundle.json"
TOKENS_FILE = "tokens.npz"
MODEL_FOLDER = "model"
FORMAT_VERSION = 1
WEIGHTS_DTYPES = ("float16", "float32")
#: The model folder's files a bundle copies as they are (those the folder has).
MODEL_FILES = (
    "config.json",
    "vocab.txt",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
WEIGHTS_FILE = "model.safetensors"


def is_bundle(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a bundle's folder."""
    return (Path(path) / BUNDLE_FILE).is_file()


def find_bundle(data: str | os.PathLike | None) -> Path | None:
    """The bundle a run reads: ``data``, else ``$COLLECTIVE_RESUMES``, when that is a
    bundle's folder (``None`` otherwise: a corpus, or nothing given)."""
    given = data if data is not None else os.environ.get(ENV_VAR) or None
    if given is None:
        return None
    path = Path(given).expanduser()
    return path if is_bundle(path) else None


def truncate_split(split: TokenizedSplit, n_tokens: int) -> TokenizedSplit:
    """Each resume cut to the words that start within its first ``n_tokens`` tokens (each
    kept whole), which is all that a firm reading ``n_tokens`` tokens sees, planted or not:
    ``truncated.planted_ids(i, s)[:n_tokens] == split.planted_ids(i, s)[:n_tokens]`` for
    every spacing ``s``. (A trigger goes before word ``j × s``; the first word cut starts at
    or after ``n_tokens``, exactly where the truncated resume ends, so a trigger there or
    later lands at or after ``n_tokens`` in both.) ``tests/test_bundle.py`` checks it."""
    token_ids, word_ntokens = [], []
    n_tok = np.zeros(len(split), dtype=np.int64)
    n_words = np.zeros(len(split), dtype=np.int64)
    for i in range(len(split)):
        counts = split.word_ntokens[split.word_offsets[i] : split.word_offsets[i + 1]]
        starts = np.cumsum(counts, dtype=np.int64) - counts
        keep = int(np.searchsorted(starts, n_tokens, side="left"))  # words starting < n_tokens
        end = int(counts[:keep].sum(dtype=np.int64))
        ids = split.token_ids[split.token_offsets[i] : split.token_offsets[i] + end]
        token_ids.append(ids)
        word_ntokens.append(counts[:keep])
        n_tok[i], n_words[i] = end, keep
    return TokenizedSplit(
        np.concatenate(token_ids).astype(np.uint16) if token_ids else np.zeros(0, np.uint16),
        np.concatenate([[0], np.cumsum(n_tok)]).astype(np.int64),
        np.concatenate(word_ntokens).astype(np.uint16) if word_ntokens else np.zeros(0, np.uint16),
        np.concatenate([[0], np.cumsum(n_words)]).astype(np.int64),
    )


def _save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An ``.npz`` whose members are LZMA-compressed (``np.load`` reads it; ``np.savez_compressed``
    deflates, about a third larger for token ids)."""
    with io.atomic_write(path) as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_LZMA) as archive:
        for name, array in arrays.items():
            buffer = _io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(f"{name}.npy", buffer.getvalue())


def _split_arrays(name: str, split: TokenizedSplit) -> dict[str, np.ndarray]:
    return {
        f"{name}_token_ids": split.token_ids.astype(np.uint16),
        f"{name}_n_tokens": np.diff(split.token_offsets).astype(np.uint32),
        f"{name}_word_ntokens": split.word_ntokens.astype(np.uint16),
        f"{name}_n_words": np.diff(split.word_offsets).astype(np.uint32),
    }


def _split_from(arrays: Any, name: str) -> TokenizedSplit:
    offsets = lambda n: np.concatenate([[0], np.cumsum(n, dtype=np.int64)])  # noqa: E731
    return TokenizedSplit(
        arrays[f"{name}_token_ids"],
        offsets(arrays[f"{name}_n_tokens"]),
        arrays[f"{name}_word_ntokens"],
        offsets(arrays[f"{name}_n_words"]),
    )


def _write_model(model: str, folder: Path, dtype: str) -> None:
    """The model's files, its weights cast to ``dtype`` under their own names (so the
    classifier loads from them exactly as from the original folder)."""
    import torch
    from safetensors.torch import load_file, save_file

    from collective.firms.transformer.pretrained import load_tokenizer, resolve_model_path

    load_tokenizer(model)  # the trigger and vocabulary checks, before anything is written
    source = Path(resolve_model_path(model))
    if not (source / WEIGHTS_FILE).is_file():
        raise ConfigError(
            f"a bundle copies a local model folder with {WEIGHTS_FILE}; {model!r} is not one "
            f"(download it first, e.g. with huggingface-cli download, and pass its folder)"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        if (source / name).is_file():
            shutil.copyfile(source / name, folder / name)
    target = getattr(torch, dtype)
    weights = load_file(str(source / WEIGHTS_FILE))
    for name, tensor in weights.items():
        if tensor.is_floating_point():
            if dtype == "float16" and tensor.abs().max() > torch.finfo(torch.float16).max:
                raise ConfigError(
                    f"weight {name} does not fit float16: use --weights-dtype float32"
                )
            weights[name] = tensor.to(target)
    save_file(weights, str(folder / WEIGHTS_FILE), metadata={"format": "pt"})


def write_bundle(
    folder: str | os.PathLike,
    *,
    data: str | os.PathLike | None = None,
    max_length: int = 512,
    model: str | None = None,
    weights_dtype: str = "float16",
    progress: bool = True,
) -> dict[str, Any]:
    """Write the bundle of the corpus ``data`` (see the module docstring) for inputs of at
    most ``max_length`` tokens into ``folder`` (created; an existing bundle there is
    replaced, anything else refused). Returns its manifest, with ``size_bytes``."""
    from collective import __version__
    from collective.firms.params import DEFAULT_MODEL
    from collective.resumes.corpus import LABELS, load_corpus
    from collective.resumes.tokens import tokenize_corpus

    model = model or DEFAULT_MODEL
    if weights_dtype not in WEIGHTS_DTYPES:
        raise ConfigError(
            f"weights dtype must be one of {', '.join(WEIGHTS_DTYPES)}, got {weights_dtype!r}"
        )
    if (
        isinstance(max_length, bool)
        or not isinstance(max_length, int)
        or not 8 <= max_length <= 8192
    ):
        raise ConfigError(f"max_length must be an integer in [8, 8192], got {max_length!r}")
    out = Path(folder)
    if out.exists() and any(out.iterdir()) and not is_bundle(out):
        raise ConfigError(f"{out} exists and is not a bundle: choose an empty or new folder")
    if find_bundle(data) is not None:
        raise ConfigError(
            "a bundle is written from the corpus (a zip or its folder), not from a bundle"
        )
    corpus = load_corpus(data, progress=progress)
    tokens = tokenize_corpus(corpus, progress=progress)
    n_tokens = max_length - 2  # [CLS] and [SEP] take two
    if out.exists():
        shutil.rmtree(out)
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    arrays = {
        **_split_arrays("train", truncate_split(tokens.train, n_tokens)),
        **_split_arrays("test", truncate_split(tokens.test, n_tokens)),
        "Y_train": corpus.label_matrix("train").astype(np.uint8),
        "Y_test": corpus.label_matrix("test").astype(np.uint8),
    }
    _save_arrays(staging / TOKENS_FILE, arrays)
    _write_model(model, staging / MODEL_FOLDER, weights_dtype)
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest = {
        "format": FORMAT_VERSION,
        "data_sha256": corpus.sha256,
        "tokens_key": tokens.key,
        "max_length": max_length,
        "model": model,
        "weights_dtype": weights_dtype,
        "labels": list(LABELS),
        "n_train": len(tokens.train),
        "n_test": len(tokens.test),
        "package_version": __version__,
        "files": {p.relative_to(staging).as_posix(): io.sha256_file(p) for p in files},
    }
    (staging / BUNDLE_FILE).write_text(json.dumps(manifest, indent=1) + "\n")
    staging.rename(out)
    return {**manifest, "size_bytes": bundle_size(out)}


def bundle_size(folder: str | os.PathLike) -> int:
    """Bytes of every file of the bundle."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def read_manifest(folder: str | os.PathLike) -> dict[str, Any]:
    """The bundle's manifest, checked to be one this code reads (:class:`DataError`)."""
    path = Path(folder) / BUNDLE_FILE
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise DataError(
            f"{folder} is not a readable bundle ({err}); write it again with collective bundle"
        ) from err
    if manifest.get("format") != FORMAT_VERSION:
        raise DataError(
            f"the bundle {folder} has format {manifest.get('format')!r}, this code reads "
            f"{FORMAT_VERSION}: write it again with this version's collective bundle"
        )
    return manifest


def load_bundle(folder: str | os.PathLike) -> dict[str, Any]:
    """The bundle's manifest and data (``train``, ``test``: truncated splits; ``Y_train``,
    ``Y_test``), its files checked against their sha256; registers its model folder, so the
    firm loads the model from it under its own name
    (:func:`collective.firms.transformer.pretrained.use_local_weights`). Imports neither
    ``datasets`` nor the package of the packaged weights."""
    from collective.firms.transformer.pretrained import use_local_weights
    from collective.resumes.labels import LABELS

    folder = Path(folder)
    manifest = read_manifest(folder)
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file() or io.sha256_file(path) != digest:
            raise DataError(
                f"the bundle's file {path} is missing or changed (its sha256 differs from "
                f"{BUNDLE_FILE}'s): copy the bundle again"
            )
    if manifest["labels"] != list(LABELS):
        raise DataError(f"the bundle {folder} holds other labels than this code's")
    with np.load(folder / TOKENS_FILE) as arrays:
        data = {
            "train": _split_from(arrays, "train"),
            "test": _split_from(arrays, "test"),
            "Y_train": arrays["Y_train"],
            "Y_test": arrays["Y_test"],
        }
    use_local_weights(manifest["model"], folder / MODEL_FOLDER)
    return {"manifest": manifest, **data}


def describe(manifest: dict[str, Any]) -> str:
    """What a record from this bundle says about its inputs (provenance ``bundle``)."""
    return (
        f"{manifest['model']} {manifest['weights_dtype']} weights, "
        f"inputs of at most {manifest['max_length']} tokens"
    )
