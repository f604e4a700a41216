"""One validation vocabulary for the paper's symbols, used by the theory and the runner alike.

Each symbol has one domain, checked by one function, and one error type,
:class:`collective.errors.ConfigError` (a ``ValueError``, so theory code that expects
``ValueError`` still catches it):

======================  ==========================================  ==============
symbol                  meaning                                     domain
======================  ==========================================  ==============
``alpha``               the collective's fraction of the population  (0, 1]; [0, 1] for a run
``eps``                 suboptimality of the firm (Definition 3.1)   [0, 1)
``xi``                  mass of the signal set, P0(g(X))             [0, 1]
``delta``               suboptimality gap Δ (Theorem 3.3)            [0, 1]
``p``                   positivity constant (Theorem 3.5)            (0, 1]
``tau``                 sensitivity τ of the labels to g (Thm 3.7)   [0, 1]
``rho``                 fibre-to-image mass ratio ρ (erasure)        [1, ∞)
``s_star``              a success level S* (Definition 2.1)          (0, 1)
======================  ==========================================  ==============

Every check takes a scalar or an array and returns a float array (the theory broadcasts).
Nothing here imports more than numpy, so the exact engine and the runner stay light.
"""

from __future__ import annotations

import numpy as np

from collective.errors import ConfigError

#: symbol -> (description, low, high, low open, high open)
DOMAINS: dict[str, tuple[str, float, float, bool, bool]] = {
    "alpha": ("collective size", 0.0, 1.0, True, False),
    "eps": ("suboptimality of the classifier", 0.0, 1.0, False, True),
    "xi": ("mass of the signal set", 0.0, 1.0, False, False),
    "delta": ("suboptimality gap", 0.0, 1.0, False, False),
    "p": ("positivity constant", 0.0, 1.0, True, False),
    "tau": ("sensitivity of the labels to g", 0.0, 1.0, False, False),
    "rho": ("fibre-to-image mass ratio", 1.0, np.inf, False, False),
    "s_star": ("success level S*", 0.0, 1.0, True, True),
    "random_labels": ("fraction of training resumes with random labels", 0.0, 1.0, False, False),
}


def domain(name: str, value, lo: float, hi: float, *, lo_open: bool, hi_open: bool) -> np.ndarray:
    """``value`` as a float array if every entry lies in the interval, else a
    :class:`ConfigError` naming the symbol, the interval and the first bad value."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{name} must be a number, got {value!r}") from err
    if np.any(np.isnan(arr)):
        raise ConfigError(f"{name} must not be NaN")
    below = arr <= lo if lo_open else arr < lo
    above = arr >= hi if hi_open else arr > hi
    if np.any(below | above):
        bad = arr[below | above].ravel()[0]
        interval = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise ConfigError(f"{name} must lie in {interval}, got {bad:g}")
    return arr


def check(symbol: str, value) -> np.ndarray:
    """Check ``value`` against the domain of ``symbol`` (a key of :data:`DOMAINS`)."""
    description, lo, hi, lo_open, hi_open = DOMAINS[symbol]
    return domain(f"{symbol} ({description})", value, lo, hi, lo_open=lo_open, hi_open=hi_open)


def check_alpha(alpha, *, allow_zero: bool = False) -> np.ndarray:
    """alpha in (0, 1]; with ``allow_zero`` (a run with no collective) in [0, 1]."""
    if allow_zero:
        return domain("alpha (collective size)", alpha, 0.0, 1.0, lo_open=False, hi_open=False)
    return check("alpha", alpha)


def check_eps(eps) -> np.ndarray:
    """eps in [0, 1)."""
    return check("eps", eps)


def check_xi(xi) -> np.ndarray:
    """xi in [0, 1]."""
    return check("xi", xi)


def check_delta(delta) -> np.ndarray:
    """delta in [0, 1]."""
    return check("delta", delta)


def check_p(p) -> np.ndarray:
    """p in (0, 1]."""
    return check("p", p)


def check_tau(tau) -> np.ndarray:
    """tau in [0, 1]."""
    return check("tau", tau)


def check_rho(rho) -> np.ndarray:
    """rho in [1, inf)."""
    return check("rho", rho)


def check_s_star(s_star) -> np.ndarray:
    """S* in (0, 1)."""
    return check("s_star", s_star)


def _one_float(name: str, value, checked: np.ndarray) -> float:
    """A checked scalar as a float; -0.0 becomes 0.0 (they are the same run, so one key)."""
    if checked.ndim != 0:
        raise ConfigError(f"{name} must be one number, got {value!r}")
    return float(checked) + 0.0


def check_alpha_run(alpha) -> float:
    """The alpha of one run, a float in [0, 1] (0: no collective)."""
    return _one_float("alpha", alpha, check_alpha(alpha, allow_zero=True))


def check_fraction(name: str, value) -> float:
    """A fraction in [0, 1] (e.g. ``random_labels``), as a float."""
    checked = (
        check(name, value)
        if name in DOMAINS
        else domain(name, value, 0.0, 1.0, lo_open=False, hi_open=False)
    )
    return _one_float(name, value, checked)


def check_count(name: str, value, minimum: int) -> int:
    """An integer at least ``minimum`` (a bool is not one), as an int; else a ConfigError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_positive(name: str, value) -> float:
    """A real number > 0 (a bool is not one), as a float; else a ConfigError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise ConfigError(f"{name} must be a number > 0, got {value!r}")
    if not value > 0 or not np.isfinite(value):
        raise ConfigError(f"{name} must be a number > 0, got {value!r}")
    return float(value)


def check_choice(name: str, value: str, choices) -> str:
    """``value`` if it is one of ``choices``, else a ConfigError listing them."""
    if value not in choices:
        raise ConfigError(
            f"unknown {name} {value!r}; choose one of: {', '.join(map(str, choices))}"
        )
    return value


#: The spellings of a boolean a user may type (compared case-insensitively).
TRUE_WORDS = ("true", "1")
FALSE_WORDS = ("false", "0")


def check_bool(name: str, value) -> bool:
    """``value`` as a bool: a bool, 0 or 1, or one of :data:`TRUE_WORDS` / :data:`FALSE_WORDS`
    in any case (the string ``"False"`` is false, never truthy); anything else is a
    :class:`ConfigError`."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS or word in FALSE_WORDS:
            return word in TRUE_WORDS
    raise ConfigError(f"{name} must be true or false (or 1 or 0, in any case), got {value!r}")


def check_device(device) -> str:
    """A torch device name the transformer firm can use: ``auto``, ``cpu``, ``cuda``,
    ``cuda:i`` or ``mps`` (a :class:`ConfigError` naming the choices otherwise). Torch is
    imported only to parse names other than these."""
    if not isinstance(device, str) or not device.strip():
        raise ConfigError(f"device must be a name such as auto, cpu or cuda:0, got {device!r}")
    name = device.strip()
    kind, _, index = name.partition(":")
    if (
        kind in ("auto", "cpu", "mps")
        and not index
        or kind == "cuda"
        and (not index or index.isdigit())
    ):
        return name
    try:
        import torch

        parsed = torch.device(name)
    except (RuntimeError, ValueError, TypeError) as err:
        raise ConfigError(
            f"device {name!r} is not a device torch knows ({str(err).splitlines()[0][:160]}); "
            "use auto, cpu, cuda or cuda:N"
        ) from None
    raise ConfigError(
        f"device {name!r} (torch device type {parsed.type!r}) is not supported by the firms; use auto, cpu, cuda or cuda:N"
    )


def check_device_available(device: str) -> str:
    """``device`` if this machine has it (``auto`` and ``cpu`` always); a :class:`ConfigError`
    before any training otherwise (``mps`` on Linux once trained, then failed)."""
    kind, _, index = device.strip().partition(":")
    if kind in ("auto", "cpu"):
        return device
    import torch

    if kind == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            f"device {device!r} (an Apple GPU) is not available on this machine; use --device cpu or auto"
        )
    if kind == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ConfigError(
                f"device {device!r} asked for, but this machine has no CUDA device; use --device cpu or auto"
            )
        if index and int(index) >= count:
            raise ConfigError(
                f"device {device!r} asked for, but this machine has {count} CUDA device(s) "
                f"(cuda:0 to cuda:{count - 1})"
            )
    return device
