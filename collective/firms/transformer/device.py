"""Where the transformer firm computes: the device, its precision, threads and autocast.

``device="auto"`` takes CUDA when there is one, else the CPU; ``precision="auto"`` takes bf16
where the hardware has it (CUDA with bf16, or a CPU with AVX-512 BF16 / AMX), fp16 on older
CUDA devices, and fp32 otherwise. The firm resolves both on first use, never in its constructor.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
from pathlib import Path

import torch

from collective.errors import ConfigError
from collective.firms.params import PRECISIONS


def cpu_supports_bf16() -> bool:
    """Whether this CPU has native bf16 arithmetic (AVX512-BF16 or AMX)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_device(device: str) -> torch.device:
    """``auto``: CUDA if available, else the CPU; a CUDA device asked for without CUDA is an error."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"device {device!r} asked for but CUDA is not available; use --device cpu"
        )
    return torch.device(device)


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto``: bf16 on CUDA where supported (else fp16), bf16 on CPUs with native bf16, else fp32."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "bf16" if cpu_supports_bf16() else "fp32"


_KEPT_FREED_MEMORY = False


def keep_freed_memory() -> bool:
    """Ask glibc to serve every allocation from its heap and to keep freed memory there
    (``mallopt(M_MMAP_MAX, 0)``, ``mallopt(M_TRIM_THRESHOLD, 1 GiB)``); once per process, on
    Linux with glibc only (returns whether it did).

    Why: fine-tuning every layer allocates the word embeddings' dense gradient (30,522 × 384
    floats, 47 MB for MiniLM) anew at every step. glibc maps an allocation that large
    afresh from the kernel and unmaps it when freed, so every step page-faults through
    47 MB: on this project's 2-core machine, in a profile of one step of 8 resumes at one
    thread, zero-filling that gradient took 147 of 626 ms, and keeping freed memory cut the
    whole step from 511 to 445 ms. Kept in the heap, the memory is reused. It
    changes no number, only where the allocator gets its memory; the process's resident
    size stays at its peak instead of shrinking between steps."""
    global _KEPT_FREED_MEMORY
    if _KEPT_FREED_MEMORY:
        return True
    if platform.system() != "Linux" or not platform.libc_ver()[0] == "glibc":
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # pragma: no cover - glibc without the usual soname
        return False
    m_trim_threshold, m_mmap_max = -1, -4  # <malloc.h>
    _KEPT_FREED_MEMORY = bool(libc.mallopt(m_mmap_max, 0)) and bool(
        libc.mallopt(m_trim_threshold, 1 << 30)
    )
    return _KEPT_FREED_MEMORY


def attention_implementation(device: torch.device) -> str:
    """The Hugging Face attention kernel for training and predicting on ``device``: PyTorch's
    fused ``sdpa`` on CUDA; on a CPU the plain ``eager`` one, because with attention dropout
    in training ``sdpa`` falls back to an unfused computation there that is slower than
    ``eager`` (48.9 against 42.5 ms per resume and step, every layer trained at 128 tokens,
    one thread, measured on this project's 2-core machine with the other speed settings on).
    Both compute the same function."""
    return "sdpa" if device.type == "cuda" else "eager"


def n_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def autocast(device: torch.device, precision: str):
    """Mixed-precision context for ``precision`` (none for fp32)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype)


def describe_device(device: torch.device, precision: str) -> str:
    """Where a fit computed, for the record's provenance."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
    else:
        name = (
            f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
        )
    return f"{device.type}: {name}, {precision}"
