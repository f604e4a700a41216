"""``collective bundle``: an offline bundle for a machine without network or corpus."""

from __future__ import annotations

import argparse
import json

from collective.cli.options import add_data_option

#: What travels to this workplace's GPU machine with the working tree, at most (MiB).
TRANSFER_LIMIT_MIB = 64


def _bundle(args: argparse.Namespace) -> int:
    from collective.resumes.bundle import write_bundle

    manifest = write_bundle(
        args.out,
        data=args.data,
        max_length=args.max_length,
        model=args.model,
        weights_dtype=args.weights_dtype,
        progress=not args.json,
    )
    size = manifest["size_bytes"] / 2**20
    if args.json:
        print(json.dumps({k: v for k, v in manifest.items() if k != "files"}))
        return 0
    parts = ", ".join(f"{name} {_mib(args.out, name):.1f} MiB" for name in ("tokens.npz", "model"))
    print(
        f"bundle {args.out}: {size:.1f} MiB ({parts}); corpus sha256 "
        f"{manifest['data_sha256'][:12]}..., {manifest['n_train']:,} train and "
        f"{manifest['n_test']:,} test resumes cut to {manifest['max_length']} tokens, "
        f"{manifest['model']} in {manifest['weights_dtype']}"
    )
    if size >= TRANSFER_LIMIT_MIB:
        print(
            f"collective: note: the bundle is over {TRANSFER_LIMIT_MIB} MiB; a smaller "
            "--max-length or --weights-dtype float16 makes it smaller"
        )
    return 0


def _mib(out: str, name: str) -> float:
    from pathlib import Path

    path = Path(out) / name
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 2**20


def register(commands) -> None:
    from collective.firms.params import DEFAULT_MODEL
    from collective.resumes.bundle import WEIGHTS_DTYPES

    p = commands.add_parser(
        "bundle",
        help="write an offline bundle (tokenized corpus, labels, model) for GPU nodes without network",
        description="Write what transformer runs read into one folder: both splits tokenized "
        "and cut to --max-length tokens (uint16 ids, the words' token counts for planting the "
        "trigger, LZMA-compressed), the label matrices, the model's tokenizer and weights, and "
        "the corpus's sha256. `collective run/sweep --bundle DIR` then run without the corpus, "
        "network or the datasets package, and their records carry the corpus's checksum and "
        "the keys of runs from the zip. The bundle is derived from the corpus: never commit it.",
        epilog="example: collective bundle bundle/ --max-length 128   # 47 MiB for the real corpus",
    )
    p.add_argument("out", help="the bundle's folder (created; a bundle there is replaced)")
    p.add_argument(
        "--max-length",
        type=int,
        default=512,
        help="the longest inputs (tokens, special tokens included) the bundle serves (default 512)",
    )
    p.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"the model to carry (default {DEFAULT_MODEL})"
    )
    p.add_argument(
        "--weights-dtype",
        choices=WEIGHTS_DTYPES,
        default="float16",
        help="dtype of the stored weights (default float16: half the size; loaded as float32)",
    )
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    add_data_option(p)
    p.set_defaults(func=_bundle)
