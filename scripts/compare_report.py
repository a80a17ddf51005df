#!/usr/bin/env python3
"""The table and plots of scripts/compare_search.sh: ENAS against random search with weight
sharing, and both against uniformly drawn architectures, retrained the same way.

Reads <out>/seed*/{enas,random}/metrics.jsonl (the searches), their final/metrics.jsonl (the
retrainings) and <out>/uniform*/metrics.jsonl; writes <out>/report.md and, with gnuplot,
<out>/plots/*.png. Standard library only (run with any python3)."""
import json
import math
import os
import shutil
import statistics
import subprocess
import sys


def events(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    out.append(json.loads(line))
    return out


def last(evs, key):
    vals = [e[key] for e in evs if e.get("event") == "eval" and key in e]
    return vals[-1] if vals else None


def seconds(d):
    p = os.path.join(d, "seconds")
    return int(open(p).read()) if os.path.exists(p) else None


def fmt(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def ptb_dir():
    """Where the programs look for PTB (data/ptb, $ENAS_DATA_DIR/ptb, ../shared/data/ptb)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for d in (os.path.join(root, "data", "ptb"), os.path.join(os.environ.get("ENAS_DATA_DIR", ""), "ptb"),
              os.path.join(root, "..", "shared", "data", "ptb")):
        if os.path.exists(os.path.join(d, "ptb.train.txt")) and os.path.exists(os.path.join(d, "ptb.valid.txt")):
            return d
    return None


def unigram_perplexity():
    """Validation perplexity of word frequencies alone (training counts, <eos> at each line end):
    a language model is only using context once it is below this."""
    d = ptb_dir()
    if d is None:
        return None
    def words(name):
        with open(os.path.join(d, name)) as f:
            return [w for line in f for w in line.split() + ["<eos>"]]
    counts = {}
    train = words("ptb.train.txt")
    for w in train:
        counts[w] = counts.get(w, 0) + 1
    valid = words("ptb.valid.txt")
    return math.exp(-sum(math.log(counts[w] / len(train)) for w in valid) / len(valid))


def mean_sd(xs, digits=2):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    if len(xs) == 1:
        return f"{xs[0]:.{digits}f}"
    return f"{statistics.mean(xs):.{digits}f} ± {statistics.stdev(xs):.{digits}f}"


def main(out):
    family = "ptb"
    settings = os.path.join(out, "settings.txt")
    if os.path.exists(settings):
        for line in open(settings):
            if line.startswith("family="):
                family = line.split()[0].split("=")[1]
    valid, test = ("valid_ppl", "test_ppl") if family == "ptb" else ("valid_acc", "test_acc")
    score = "rw" if family == "ptb" else "val_acc"
    seeds = sorted(int(d[4:]) for d in os.listdir(out) if d.startswith("seed") and d[4:].isdigit())
    rows, finals = [], {"enas": [], "random": [], "uniform": []}
    curves = {}
    for seed in seeds:
        for arm in ("enas", "random"):
            d = os.path.join(out, f"seed{seed}", arm)
            ev = events(os.path.join(d, "metrics.jsonl"))
            fe = events(os.path.join(d, "final", "metrics.jsonl"))
            best = [e for e in ev if e.get("event") == "best_arc"]
            derive = [e for e in ev if e.get("event") == "derive"]
            search_valid = [e[valid] for e in ev if e.get("event") == "eval" and valid in e]
            policy = [e for e in ev if e.get("event") == "policy"]
            warnings = [e["text"] for e in ev if e.get("event") == "warning"]
            fv, ft = last(fe, valid), last(fe, test)
            finals[arm].append((fv, ft))
            curves[(arm, seed)] = (ev, search_valid)
            rows.append({
                "arm": arm, "seed": seed,
                "search_valid": " → ".join(fmt(v) if family == "ptb" else fmt(v, 4) for v in search_valid) or "–",
                "entropy": fmt(policy[-1]["entropy"]) if policy else "–",
                "arc": best[-1]["arc"] if best else "–",
                "derive": fmt(derive[0][score], 4) if derive else "–",
                "final_valid": fv, "final_test": ft,
                "minutes": (seconds(d) or 0) / 60.0, "final_minutes": (seconds(os.path.join(d, "final")) or 0) / 60.0,
                "warnings": warnings,
            })
    uniform = sorted(d for d in os.listdir(out) if d.startswith("uniform") and os.path.isdir(os.path.join(out, d)))
    for u in uniform:
        d = os.path.join(out, u)
        fe = events(os.path.join(d, "metrics.jsonl"))
        arc = open(os.path.join(d, "arc.txt")).read().strip() if os.path.exists(os.path.join(d, "arc.txt")) else "–"
        fv, ft = last(fe, valid), last(fe, test)
        finals["uniform"].append((fv, ft))
        rows.append({"arm": "uniform", "seed": "–", "search_valid": "–", "entropy": "–", "arc": arc, "derive": "–",
                     "final_valid": fv, "final_test": ft, "minutes": 0.0,
                     "final_minutes": (seconds(d) or 0) / 60.0, "warnings": []})

    digits = 2 if family == "ptb" else 4
    lines = [f"# Search comparison: {family}", ""]
    if os.path.exists(settings):
        lines += ["```", open(settings).read().strip(), "```", ""]
    lines += [f"| arm | seed | search {valid} per epoch | policy entropy (nats) | derived architecture | "
              f"derive {score} | retrained {valid} | retrained {test} | search min | retrain min |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['arm']} | {r['seed']} | {r['search_valid']} | {r['entropy']} | `{r['arc']}` | {r['derive']} | "
                     f"{fmt(r['final_valid'], digits)} | {fmt(r['final_test'], digits)} | {r['minutes']:.1f} | "
                     f"{r['final_minutes']:.1f} |")
    # The CIFAR-10 final programs report the held-out accuracy only (test_acc): summarise that.
    use_valid = any(v is not None for arm in finals.values() for v, _ in arm)
    metric = valid if use_valid else test
    pick = (lambda pair: pair[0]) if use_valid else (lambda pair: pair[1])
    lines += ["", f"Retrained {metric}, mean ± sd over runs: ENAS {mean_sd([pick(p) for p in finals['enas']], digits)}; "
              f"random search with weight sharing {mean_sd([pick(p) for p in finals['random']], digits)}; "
              f"uniformly drawn architectures {mean_sd([pick(p) for p in finals['uniform']], digits)}.", ""]
    floor = unigram_perplexity() if family == "ptb" else 0.1
    if floor is not None:
        lines += [f"For scale: word frequencies alone give validation perplexity {floor:.1f}." if family == "ptb"
                  else "For scale: guessing one class gives accuracy 0.1000.", ""]
    for r in rows:
        for w in r["warnings"]:
            lines.append(f"- warning in {r['arm']} seed {r['seed']}: {w}")
    report = "\n".join(lines) + "\n"
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(report)
    print(report)
    plot(out, family, valid, curves, seeds, floor)


def plot(out, family, valid, curves, seeds, floor):
    if shutil.which("gnuplot") is None:
        print("gnuplot not found: no plots (apt-get install gnuplot-nox)")
        return
    pdir = os.path.join(out, "plots")
    os.makedirs(pdir, exist_ok=True)
    # Per run: controller reward per update (moving average over 10), policy entropy per epoch,
    # search validation metric per epoch.
    for (arm, seed), (ev, search_valid) in curves.items():
        ups = [e for e in ev if e.get("event") == "controller_update"]
        with open(os.path.join(pdir, f"reward_{arm}_{seed}.dat"), "w") as f:
            window = []
            for e in ups:
                window = (window + [e["task_reward"]])[-10:]
                f.write(f"{e['ctrl_step']} {e['task_reward']} {sum(window) / len(window)} {e['baseline']}\n")
        with open(os.path.join(pdir, f"entropy_{arm}_{seed}.dat"), "w") as f:
            for e in ev:
                if e.get("event") == "policy":
                    f.write(f"{e['epoch']} {e['entropy']} {e['uniform_entropy']}\n")
        with open(os.path.join(pdir, f"valid_{arm}_{seed}.dat"), "w") as f:
            for i, v in enumerate(search_valid):
                f.write(f"{i + 1} {v}\n")
    colors = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e"]
    def series(kind, arms, using, title):
        parts = []
        for arm in arms:
            for i, seed in enumerate(seeds):
                path = os.path.join(pdir, f"{kind}_{arm}_{seed}.dat")
                if os.path.exists(path) and os.path.getsize(path) > 0:
                    dash = "dt 1" if arm == "enas" else "dt 2"
                    parts.append(f"'{path}' using {using} with linespoints {dash} lc rgb '{colors[i % len(colors)]}' "
                                 f"title '{title(arm, seed)}'")
        return ", ".join(parts)
    script = [
        "set terminal pngcairo size 900,560 noenhanced" if "cairo" in terminals() else "set terminal png size 900,560",
        "set grid", "set key outside right",
        f"set output '{pdir}/reward.png'", "set title 'ENAS controller: task reward per update (mean of 10 updates)'",
        "set xlabel 'controller update'", "set ylabel 'reward'",
        "plot " + (series("reward", ["enas"], "1:3", lambda a, s: f"seed {s}") or "1/0 notitle"),
        f"set output '{pdir}/entropy.png'", "set title 'ENAS controller: policy entropy after each phase'",
        "set xlabel 'epoch'", "set ylabel 'nats'",
        "plot " + (series("entropy", ["enas"], "1:2", lambda a, s: f"seed {s}") or "1/0 notitle"),
        f"set output '{pdir}/search_{valid}.png'", f"set title 'search: {valid} of the shared model (solid: ENAS, dashed: random)'",
        "set xlabel 'epoch'", f"set ylabel '{valid}'",
        "plot " + (series("valid", ["enas", "random"], "1:2", lambda a, s: f"{a} seed {s}") or "1/0 notitle")
        + (f", {floor} with lines dt 3 lc rgb 'gray40' title '{'word frequencies alone' if family == 'ptb' else 'chance'}'"
           if floor is not None else ""),
    ]
    gp = os.path.join(pdir, "compare.gp")
    with open(gp, "w") as f:
        f.write("\n".join(script) + "\n")
    subprocess.run(["gnuplot", gp], check=False)
    print(f"plots: {pdir}")


def terminals():
    r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return r.stdout + r.stderr


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "outputs/compare_ptb")
