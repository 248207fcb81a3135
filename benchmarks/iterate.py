"""Notebook 08's experiments as one script, for more seeds than a notebook run can afford:
the learning curve and its labelling plan, active learning against random, and SetFit against
fine-tuning, on the course's corpora with the course's recipe (``helpers.curves.PLANS``).

Prints a line per run (stderr) and, last, one JSON object with every run's scores, the fit, the
plan, the per-seed active-learning verdicts and the few-shot means.

    python benchmarks/iterate.py --plan cpu --seeds 42,1,2          # the lesson's three seeds
    python benchmarks/iterate.py --plan cpu --parts fewshot --seeds 42,1,2
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpers import active, corpora, course, curves, env, fewshot, recipe  # noqa: E402
from helpers import brief as project_brief  # noqa: E402
from helpers.tagging import tag_strings  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", default="cpu", choices=sorted(curves.PLANS))
    parser.add_argument("--seeds", default="42,1", help="seeds for every part, e.g. 42,1,2")
    parser.add_argument("--parts", default="curve,active,fewshot", help="any of curve,active,fewshot")
    args = parser.parse_args(argv)
    seeds = tuple(int(s) for s in args.seeds.split(","))
    parts = set(args.parts.split(","))
    cfg = env.setup(args.plan if args.plan != "full" else None, quiet=True)  # full: auto (a GPU)
    plan = replace(curves.PLANS[args.plan], seeds=seeds, al_seeds=seeds, fs_seeds=seeds)
    brief, splits = project_brief.load_brief(), corpora.load_health_ner()
    out = course.BUILD / "iterate" / f"benchmark-{args.plan}"
    config = recipe.config_for(cfg, "ner", output_dir=str(out / "curve"))

    def show(row):
        print(json.dumps({k: v for k, v in row.items() if not k.endswith(("_tags", "rows", "added"))},
                         default=str), file=sys.stderr, flush=True)

    result = {"plan": args.plan, "seeds": seeds, "profile": cfg.profile.name, "model": cfg.model.short_name}
    if parts & {"curve", "active"}:
        points = curves.run_learning_curve(config, splits, plan.sizes, seeds, plan.schedule, show)
        curve = curves.curve_from_runs(points)
        rates = brief.annotation
        have = len(splits["train"])
        budget = curves.plan_labels(curve, brief.target, have, rates["seconds_per_sentence"],
                                    rates["hourly_rate"], rates["sentences"])
        result["curve"] = {"points": points[["nominal", "size", "seed", "epochs", "dev_f1", "test_f1"]]
                           .to_dict("records"), "a": curve.a, "b": curve.b, "c": curve.c,
                           "ceiling": str(curve.ceiling_interval()),
                           "at_all": str(curve.predict_interval(have)),
                           "needed": str(budget.needed), "verdict": budget.verdict}
    if "active" in parts:
        runs = active.simulate(config, splits, points, plan.al_rounds, seeds, plan.schedule, on_round=show)
        verdict = active.verdict(runs, tag_strings(splits["test"]))
        columns = ["strategy", "seed", "round", "labelled", "test_f1"]
        result["active"] = {"runs": runs[columns].to_dict("records"),
                            "verdicts": verdict.to_dict("records"),
                            "savings": runs[runs["round"] > 0].groupby("strategy")[
                                ["entities", "prelabelled_right", "seconds_saved"]].sum().to_dict("index")}
    if "fewshot" in parts:
        fs_config = recipe.config_for(cfg, "classify", output_dir=str(out / "fewshot"))
        fs = fewshot.run_few_shot(fs_config, corpora.load_app_feedback(), plan.per_class, seeds,
                                  plan.setfit_steps, plan.fs_min_steps, on_run=show)
        means = fs.groupby(["per_class", "method"])[["accuracy", "low", "high"]].mean().round(4)
        result["fewshot"] = {"means": {f"{k[0]} {k[1]}": v for k, v in means.to_dict("index").items()},
                             "crossing": fewshot.crossing(fs)}
    print(json.dumps(result, default=lambda v: None if isinstance(v, float) and math.isnan(v) else str(v)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
