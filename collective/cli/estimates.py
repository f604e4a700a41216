"""``collective estimates``: ξ, Δ and p of Section 3 estimated on the corpus (for the book)."""

from __future__ import annotations

import argparse
import json

from collective.cli.options import add_data_option, add_results_option


def _estimates(args: argparse.Namespace) -> int:
    from collective.runner.estimates import compute_theory_estimates, save_theory_estimates

    estimates = compute_theory_estimates(args.data, confidence=args.confidence)
    if args.json:
        print(json.dumps(estimates, indent=2, sort_keys=True))
    elif args.dry_run:  # what would have been written, in words
        print(_summary(estimates))
    if not args.dry_run:
        path = save_theory_estimates(estimates, args.results)
        if not args.json:
            print(f"wrote {path}")
    return 0


def _summary(estimates: dict) -> str:
    xi = estimates["xi"]
    lines = [
        f"xi = {xi['xi_hat']:.3g} ({xi['n_with_trigger']} of {xi['n']} resumes carry the trigger; "
        f"{xi['confidence']:.0%} upper bound {xi['xi_upper']:.3g})",
        f"calibration error of the clean firm: {estimates['calibration_error']:.3g}",
    ]
    for name, q in estimates["classes"].items():
        lines.append(
            f"  {name:<24} Delta max {q['delta_in_set_max']:.3g} (top-1 {q['delta_top1_max']:.3g}), "
            f"p min {q['p_in_set_min']:.3g} (top-1 {q['p_top1_min']:.3g})"
        )
    lines.append("not written (--dry-run)")
    return "\n".join(lines)


def register(commands) -> None:
    p = commands.add_parser(
        "estimates",
        help="estimate xi, Delta and p on the corpus (the theory-over-data chapter)",
        description="Fit the clean linear firm on the whole training set and estimate the "
        "quantities of Theorems 3.3 and 3.5: the trigger's frequency xi (with an exact upper "
        "confidence bound), and per paper class the gap Delta and the positivity constant p. "
        "Writes theory_estimates.json beside the results cache.",
    )
    p.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        help="confidence of xi's upper bound (default 0.95)",
    )
    p.add_argument("--json", action="store_true", help="print the estimates as JSON")
    p.add_argument(
        "--dry-run", action="store_true", help="compute and print, but do not write the file"
    )
    add_results_option(p)
    add_data_option(p)
    p.set_defaults(func=_estimates)
