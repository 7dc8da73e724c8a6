"""The benchmark: each folder's configurations over several seeds, checked against targets, as a results table.

    python -m benchmarks.run ann                  # writes benchmarks/ann.md, the table the READMEs quote
    python -m benchmarks.run ann --seeds 0,1,2,3  # other seeds for the rows that take --seeds
    python -m benchmarks.run ann --quick          # a seconds-long dry run, one seed a row (tests use it)

Each row runs a script's `main([...])` in this process, once per seed, and records the test metric's mean, spread
(standard deviation over seeds), worst seed, train seconds and parameters. The default row of each architecture
folder (ann/ to attention/) runs the ten seeds 0-9; where `python -m benchmarks.tune FOLDER` chose that default on the
validation split (tuning seeds 100-102: ann, cnn, lstm, gru, deep_rnn), the choice never saw them. Other rows run
--seeds (three by default), slow comparison rows one. The exit status is
1 when a full run misses a target. A folder adds its rows to BENCHMARKS as it lands.
"""

import argparse
import contextlib
import dataclasses
import datetime
import importlib
import io
import statistics
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python benchmarks/run.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import REPO_ROOT
from common.flags import OneLineParser, fail, require
from common.console import machine_description, quiet_tensorflow  # tune.py and others import the first from here


@dataclasses.dataclass(frozen=True)
class Row:
    """One configuration to benchmark: `python -m <module> <args>`, scored by `metric` on the test split."""

    module: str
    args: tuple[str, ...]
    metric: str
    target: float | None = None          # met when the mean over seeds reaches it
    higher_is_better: bool = True
    baseline: str | None = None           # the baseline shown beside it (default: the first with this metric)
    target_ratio: float | None = None     # a target relative to that baseline: met at ratio * baseline
    writes_run_folder: bool = True        # train scripts take --output-dir; scratch scripts write nothing
    seeds: tuple[int, ...] | None = None  # run with these seeds only (a slow comparison row), not --seeds
    # More test metrics read from the same runs, each a line of its own: (metric, target, higher_is_better).
    also: tuple[tuple[str, float | None, bool], ...] = ()
    # A script that trains several models: the prefix of the keys holding this metric's model's params and seconds.
    costs_of: str = ""

    def describe(self) -> str:
        return " ".join(["python -m", self.module, *self.args])

    def scored_rows(self) -> list["Row"]:
        """This row, then one per `also` metric: same command and runs, another metric, target and baseline."""
        return [self] + [dataclasses.replace(self, metric=metric, target=target, higher_is_better=higher,
                                             baseline=None, target_ratio=None, also=())
                         for metric, target, higher in self.also]


TEN_SEEDS = tuple(range(10))  # a folder's default row; benchmarks/tune.py chooses defaults with seeds 100-102

BENCHMARKS: dict[str, list[Row]] = {
    "ann": [
        Row("ann.train", (), "accuracy", target=0.98, seeds=TEN_SEEDS),
        # The classic first MLP (64-32-10, no dropout, batch 32): what the wider default is measured against.
        Row("ann.train", ("--hidden-units", "64,32", "--dropout", "0", "--batch-size", "32", "--patience", "10"),
            "accuracy"),
        Row("ann.train", ("--dataset", "breast_cancer"), "accuracy"),
        Row("ann.train", ("--dataset", "diabetes"), "rmse", higher_is_better=False),
        Row("ann.train", ("--dataset", "mnist5k"), "accuracy"),
        Row("ann.scratch", (), "accuracy", target=0.95, writes_run_folder=False),
    ],
    "cnn": [
        # The default as its validation search left it (dropout 0.3, benchmarks/tune_cnn.md), over the ten seeds 0-9.
        Row("cnn.train", (), "accuracy", target=0.985, seeds=TEN_SEEDS),
        # The classic first CNN as usually taught: two convolutions, no augmentation, 15 epochs at batch 128.
        Row("cnn.train", ("--arch", "basic", "--no-augment", "--epochs", "15", "--batch-size", "128",
                          "--patience", "15"), "accuracy", seeds=(0,)),
        Row("cnn.train", ("--arch", "basic"), "accuracy", seeds=(0,)),
        # The two heaviest networks get 15 epochs, to keep the whole benchmark near a quarter of an hour.
        Row("cnn.train", ("--arch", "alexnet", "--epochs", "15"), "accuracy", seeds=(0,)),
        Row("cnn.train", ("--arch", "resnet", "--epochs", "15"), "accuracy", seeds=(0,)),
    ],
    "rnn": [
        # Target: within 15% of the noise floor, the RMSE of the noise-free sine itself.
        Row("rnn.train", (), "rmse", higher_is_better=False, baseline="noise_floor", target_ratio=1.15,
            seeds=TEN_SEEDS),
        Row("rnn.train", ("--task", "many-to-many"), "rmse", higher_is_better=False, baseline="noise_floor"),
        Row("rnn.train", ("--dataset", "airline"), "rmse", higher_is_better=False, baseline="sarima"),
        Row("rnn.train", ("--dataset", "adding", "--sequence-length", "50", "--batch-size", "64"), "mse",
            higher_is_better=False, baseline="mean", seeds=(0,)),
    ],
    "lstm": [
        # Airline rows are shown beside the seasonal ARIMA airline model, the strongest baseline there.
        Row("lstm.train", (), "rmse", target=20.0, higher_is_better=False, baseline="sarima", seeds=TEN_SEEDS),
        # What the transform does: log growth on the previous month with a year of history, then the raw values.
        Row("lstm.train", ("--transform", "log-difference", "--window", "12"), "rmse", higher_is_better=False,
            baseline="sarima"),
        Row("lstm.train", ("--transform", "none", "--window", "12"), "rmse", higher_is_better=False,
            baseline="sarima"),
        # The usual first attempt: the raw (scaled) last month, LSTM(4), 100 epochs at batch 1.
        Row("lstm.train", ("--transform", "none", "--window", "1", "--units", "4", "--epochs", "100",
                           "--batch-size", "1", "--patience", "100"), "rmse", higher_is_better=False,
            baseline="sarima", seeds=(0,)),
        Row("lstm.train", ("--dataset", "stock"), "rmse", higher_is_better=False, baseline="persistence"),
        Row("lstm.train", ("--dataset", "text", "--units", "128", "--dropout", "0.2", "--batch-size", "32",
                           "--learning-rate", "0.005", "--epochs", "6"), "bits_per_char", higher_is_better=False,
            seeds=(0,)),
    ],
    "gru": [
        Row("gru.train", (), "bits_per_char", target=2.2, higher_is_better=False, seeds=TEN_SEEDS),
        Row("gru.train", ("--layers", "2", "--units", "128"), "bits_per_char", higher_is_better=False, seeds=(0,)),
        # The LSTM default's settings (no dropout), for the GRU against the LSTM on airline.
        Row("gru.train", ("--dataset", "airline", "--units", "16", "--batch-size", "8", "--epochs", "300",
                          "--patience", "30", "--learning-rate", "0.001", "--dropout", "0"), "rmse",
            higher_is_better=False, baseline="sarima"),
    ],
    "transformer": [
        # A first default (lab record in benchmarks/transformer.md), not yet tuned by benchmarks.tune: ten seeds.
        Row("transformer.train", (), "bits_per_char", target=2.0, higher_is_better=False, seeds=TEN_SEEDS),
        # The encoder-decoder on attention/'s dates, beside its Bahdanau model (benchmarks/attention.md).
        Row("transformer.train", ("--dataset", "dates"), "exact_match", target=0.99, seeds=(0, 1, 2)),
    ],
    "deep_rnn": [
        # Chosen on the validation split (benchmarks/tune_deep_rnn.md): reported over the ten seeds 0-9.
        Row("deep_rnn.train", (), "accuracy", target=0.97, seeds=TEN_SEEDS),
        # Depth: the same LSTM width with one and three layers, one seed each.
        Row("deep_rnn.train", ("--layers", "1"), "accuracy", seeds=(0,)),
        Row("deep_rnn.train", ("--layers", "3"), "accuracy", seeds=(0,)),
    ],
    "birnn": [
        Row("birnn.train", (), "accuracy", baseline="majority_class", seeds=TEN_SEEDS),
        # The same network reading forward only, on the same data, seeds and budget.
        Row("birnn.train", ("--no-bidirectional",), "accuracy", baseline="majority_class", seeds=TEN_SEEDS),
    ],
    "attention": [
        Row("attention.train", (), "exact_match", target=0.99, seeds=TEN_SEEDS),
        Row("attention.train", ("--attention", "luong-general"), "exact_match", target=0.99),
        # The same encoder-decoder without attention: one fixed context vector.
        Row("attention.train", ("--attention", "none"), "exact_match"),
        Row("attention.train", ("--attention", "luong-dot"), "exact_match", seeds=(0,)),
        Row("attention.train", ("--attention", "luong-concat"), "exact_match", seeds=(0,)),
        Row("attention.train", ("--beam-width", "4"), "exact_match", seeds=(0,)),
    ],
    "autoencoder": [
        # Target: a test mse below PCA's with as many components as the code (32), on the same split.
        Row("autoencoder.train", (), "mse", higher_is_better=False, baseline="pca", target_ratio=1.0),
        Row("autoencoder.train", ("--arch", "dense"), "mse", higher_is_better=False, baseline="pca"),
        # Target: 6 dB of PSNR above the noisy input's, that is an mse at most 10 ** -0.6 = 0.251 times its mse.
        Row("autoencoder.train", ("--arch", "denoising"), "mse", higher_is_better=False, baseline="noisy_input",
            target_ratio=0.251),
        Row("autoencoder.train", ("--arch", "vae"), "mse", higher_is_better=False, baseline="pca"),
        Row("autoencoder.train", ("--task", "anomaly"), "roc_auc", baseline="pca"),  # beside PCA, no target
        Row("autoencoder.scratch", (), "max_angle_degrees", target=1.0, higher_is_better=False,
            writes_run_folder=False),
    ],
    "gan": [
        # Targets: a classifier fid at most a third of uniform noise's, and every digit in at least 3% of the samples
        # (min_class_fraction: mode coverage), read from the same runs; the whole default run under 10 minutes.
        Row("gan.train", (), "fid", higher_is_better=False, baseline="noise", target_ratio=1 / 3,
            also=(("min_class_fraction", 0.03, True), ("confidence", None, True))),
        Row("gan.train", ("--conditional",), "fid", higher_is_better=False, baseline="noise",
            also=(("label_agreement", None, True),)),
        Row("gan.train", ("--dataset", "digits"), "fid", higher_is_better=False, baseline="noise"),
        # The one-dimensional GAN in NumPy learns N(4, 1.25^2): how close its spread and mean come.
        Row("gan.scratch", (), "generated_std", writes_run_folder=False, also=(("generated_mean", None, True),)),
    ],
    # The root README's Classic exercises whose data is embedded (the others download, or need your own images).
    "classics": [
        # Logistic regression in NumPy, learning rate 0.1, batch 100, 20 epochs (ann/scratch.py's own settings).
        Row("ann.scratch", ("--dataset", "mnist5k"), "logistic_regression_test_accuracy", writes_run_folder=False,
            costs_of="logistic_regression_"),
        Row("ann.train", ("--dataset", "mnist5k", "--hidden-units", "128,64", "--dropout", "0"), "accuracy"),
        # Truncated BPTT where the dependency is short (the sine) and where it is long (the adding problem).
        Row("rnn.train", ("--truncate", "5"), "rmse", higher_is_better=False, baseline="noise_floor"),
        Row("rnn.train", ("--dataset", "adding", "--sequence-length", "50", "--batch-size", "64", "--truncate", "10"),
            "mse", higher_is_better=False, baseline="mean", seeds=(0,)),
        Row("lstm.train", ("--dataset", "text", "--units", "128", "--dropout", "0.2", "--batch-size", "32",
                           "--learning-rate", "0.005", "--epochs", "6"), "bits_per_char", higher_is_better=False,
            seeds=(0,)),
    ],
}


@dataclasses.dataclass(frozen=True)
class Study:
    """A folder's compare.py, run once per seed: a table of one test metric, a row per model and a column per group
    (sequence length), each cell the value of one seed or mean (lowest - highest) over several."""

    module: str
    args: tuple[str, ...]
    column: str                       # the field of compare.py's rows that names the group
    column_label: str                 # its column header, for example "T = {}"
    value: str                        # the field holding the metric
    metric: str                       # the metric in words, for the heading
    seeds: tuple[int, ...] = (0,)
    baseline: str | None = None       # a field holding a baseline per group, shown as its own row
    count: str | None = None          # a field holding the test examples per group, shown as its own row

    def describe(self) -> str:
        return " ".join(["python -m", self.module, *self.args])


# The classic experiments behind two READMEs; `python -m benchmarks.run deep_rnn_compare` writes
# benchmarks/deep_rnn_compare.md. Each takes from a quarter of an hour to half an hour here.
STUDIES: dict[str, Study] = {
    "deep_rnn_compare": Study("deep_rnn.compare", (), "length", "T = {}", "test_mse", "test MSE on the adding problem "
                              "(lower is better)", baseline="baseline_mse"),
    "attention_compare": Study("attention.compare", (), "lengths", "length {}", "exact_match",
                               "test exact match against source length", seeds=(0, 1, 2), count="test_pairs"),
    "attention_feeding": Study("attention.compare", ("--models", "luong-general+feeding"), "lengths", "length {}",
                               "exact_match", "test exact match against source length", seeds=(0, 1, 2),
                               count="test_pairs"),
}


LAB_RECORD = "## Lab record"  # the heading of the hand-kept part of benchmarks/<folder>.md


def run_quietly(module: str, args: tuple[str, ...], seed: int, quick: bool, output_dir: str | None) -> dict:
    """`python -m <module> <args> --seed S [--quick] [--output-dir D]` run in this process through its main(), its
    printed lines swallowed (the table is the output; each run's own lines are not); returns what main() returns."""
    argv = [*args, "--seed", str(seed)] + (["--quick"] if quick else []) + \
        (["--output-dir", output_dir] if output_dir else [])
    main = importlib.import_module(module).main
    with contextlib.redirect_stdout(io.StringIO()):
        return main(argv)


def run_study(study: Study, seed: int, quick: bool, output_dir: str) -> dict:
    """One seed of a study: {"cells": {model: {column: value}}, "baseline", "count", "params", "seconds"}."""
    result = run_quietly(study.module, study.args, seed, quick, output_dir)
    cells, baseline, count, params, seconds = {}, {}, {}, {}, {}
    for row in result["rows"]:
        model, column = row["model"], study.column_label.format(row[study.column])
        cells.setdefault(model, {})[column] = row[study.value]
        if study.baseline:
            baseline[column] = row[study.baseline]
        if study.count:
            count[column] = row[study.count]
        params[model] = row.get("params")
        seconds[model] = seconds.get(model, 0.0) + row.get("train_seconds", 0.0)
    for model, total in result.get("totals", {}).items():  # a study that also scores each model on all groups
        cells[model]["all"] = total[study.value]
        count["all"] = sum(value for key, value in count.items() if key != "all")
        params[model], seconds[model] = total["params"], total["train_seconds"]
    return {"cells": cells, "baseline": baseline, "count": count, "params": params, "seconds": seconds}


def study_table(runs: list[dict]) -> str:
    """The study's Markdown table: a cell is one seed's value, or mean (lowest - highest) over the seeds."""
    def cell(values: list[float]) -> str:
        low, high = min(values), max(values)
        mean = statistics.mean(values)
        return f"{mean:.4f}" if high - low < 5e-5 else f"{mean:.4f} ({low:.4f} - {high:.4f})"

    first = runs[0]
    columns = list(next(iter(first["cells"].values())))
    lines = ["| model | " + " | ".join(columns) + " | train s (mean) | params |", "|" + "---|" * (len(columns) + 3)]
    for model in first["cells"]:
        values = [cell([run["cells"][model][column] for run in runs]) for column in columns]
        seconds = statistics.mean(run["seconds"][model] for run in runs)
        params = "" if first["params"][model] is None else f"{first['params'][model]:,}"
        lines.append(f"| {model} | " + " | ".join(values) + f" | {seconds:.1f} | {params} |")
    if first["baseline"]:
        lines.append("| mean baseline | " + " | ".join(cell([run["baseline"][column] for run in runs])
                                                    for column in columns) + " | | |")
    if first["count"]:
        lines.append("| test examples | " + " | ".join(f"{first['count'][column]:,}" for column in columns) + " | | |")
    return "\n".join(lines)


def score(row: Row, result: dict) -> dict:
    """{"value", "baseline", "other_baselines", "train_seconds", "params"} of row.metric in what main() returned."""
    # A train script returns {"test": {metric: ...}}; a scratch script test_<metric>, or a key the row names whole.
    if "test" in result:
        value = result["test"][row.metric]
    else:
        value = result[f"test_{row.metric}"] if f"test_{row.metric}" in result else result[row.metric]
    baselines = result.get("baselines", {})
    if row.baseline:
        baseline = baselines[row.baseline][row.metric]
    else:
        baseline = next((scores[row.metric] for scores in baselines.values() if row.metric in scores), None)
    others = {name: scores[row.metric] for name, scores in baselines.items()
              if row.metric in scores and scores[row.metric] != baseline}
    return {"value": value, "baseline": baseline, "other_baselines": others,
            "train_seconds": result[f"{row.costs_of}train_seconds"], "params": result.get(f"{row.costs_of}params")}


def summarize(row: Row, runs: list[dict], check_target: bool) -> dict:
    values = [run["value"] for run in runs]
    mean = statistics.mean(values)
    verdict = ""
    target = row.target
    if row.target_ratio is not None:
        target = row.target_ratio * runs[0]["baseline"]
    if check_target and target is not None:
        met = mean >= target if row.higher_is_better else mean <= target
        verdict = "met" if met else "MISSED"
    worst = min(values) if row.higher_is_better else max(values)
    baseline = runs[0]["baseline"]
    return {
        "command": row.describe(), "metric": row.metric, "mean": mean,
        "spread": statistics.stdev(values) if len(values) > 1 else 0.0, "worst": worst,
        "baseline": baseline, "baseline_name": row.baseline, "other_baselines": runs[0].get("other_baselines", {}),
        "target": target, "verdict": verdict,
        "train_seconds": statistics.mean(run["train_seconds"] for run in runs),
        "params": runs[0]["params"], "seeds": len(runs),
    }


def markdown_table(summaries: list[dict]) -> str:
    header = ("| command | test metric | mean | spread (sd) | worst seed | baseline | target | "
              "train s (mean) | params | seeds | other baselines |")
    lines = [header, "|" + "---|" * 11]
    for s in summaries:
        target = "" if s["target"] is None else f"{s['target']:.4g} {s['verdict']}".strip()
        baseline = "" if s["baseline"] is None else f"{s['baseline']:.4f} {s['baseline_name'] or ''}".strip()
        params = "" if s["params"] is None else f"{s['params']:,}"
        others = ", ".join(f"{value:.4f} {name}" for name, value in s.get("other_baselines", {}).items())
        lines.append(f"| `{s['command']}` | {s['metric']} | {s['mean']:.4f} | {s['spread']:.4f} | {s['worst']:.4f} "
                     f"| {baseline} | {target} | {s['train_seconds']:.1f} | {params} | {s['seeds']} | {others} |")
    return "\n".join(lines)


def lab_record(output: Path) -> str:
    """The part of an existing table file kept by hand (from its line '## Lab record' to the end), '' without one.

    A folder's lab record (how its default was chosen, long logs, study tables moved out of its README) lives below
    the measured table in benchmarks/<folder>.md (a study's, below its table); rewriting the table keeps it, so no
    figure of the record is lost."""
    if not output.is_file():
        return ""
    text = output.read_text(encoding="utf-8")
    start = text.find(f"\n{LAB_RECORD}\n")
    return "" if start < 0 else text[start:]


def write_study(name: str, study: Study, quick: bool, output: Path, command: str) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="benchmark-") as study_folders:
        runs = []
        for seed in study.seeds:
            runs.append(run_study(study, seed, quick, study_folders))
            print(f"seed {seed} done", flush=True)
    seeds = ", ".join(map(str, study.seeds))
    text = (f"# Study: {name}\n\n"
            f"Written by `{command.strip()}` on {datetime.date.today().isoformat()}, {machine_description()}: "
            f"`{study.describe()}` with seeds {seeds}{' (--quick: a dry run, not a result)' if quick else ''}.\n"
            f"Each cell is the {study.metric}; over several seeds, mean (lowest - highest). Train seconds are a "
            f"model's whole training time over all groups, averaged over the seeds.\n\n{study_table(runs)}\n")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + lab_record(output))
    print(text)
    print(f"wrote {output}")
    return runs


def main(argv: list[str] | None = None) -> list[dict]:
    parser = OneLineParser(prog="benchmarks/run.py", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", help=f"folder to benchmark: {', '.join(BENCHMARKS)} (classics: the root README's "
                                       f"Classic exercises); or a study: "
                                       f"{', '.join(STUDIES)}")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated seeds (default: 0,1,2)")
    parser.add_argument("--quick", action="store_true", help="--quick runs: check the benchmark itself works")
    parser.add_argument("--output", help="Markdown file to write (default: benchmarks/<folder>.md, or "
                                         "runs/benchmarks/<folder>-quick.md with --quick)")
    args = parser.parse_args(argv)
    if args.folder not in BENCHMARKS and args.folder not in STUDIES:
        fail(f"no benchmark for {args.folder!r}; choose one of {', '.join([*BENCHMARKS, *STUDIES])}",
             prog="benchmarks/run.py")
    try:
        seeds = [int(part) for part in args.seeds.split(",")]
        require(min(seeds) >= 0, "negative seed")
    except ValueError:
        fail(f"--seeds must be comma-separated whole numbers >= 0 (got {args.seeds!r})", prog="benchmarks/run.py")
    output = Path(args.output) if args.output else (
        REPO_ROOT / "runs" / "benchmarks" / f"{args.folder}-quick.md" if args.quick
        else REPO_ROOT / "benchmarks" / f"{args.folder}.md")

    quiet_tensorflow(verbose=False)  # imports TensorFlow once, quietly, before the first run
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.folder in STUDIES:
        return write_study(args.folder, STUDIES[args.folder], args.quick, output, command)

    summaries = []
    with tempfile.TemporaryDirectory(prefix="benchmark-") as run_folders:
        for row in BENCHMARKS[args.folder]:
            row_seeds = (row.seeds or seeds)[:1] if args.quick else row.seeds or seeds  # --quick: one seed a row
            results = [run_quietly(row.module, row.args, seed, args.quick,
                                   run_folders if row.writes_run_folder else None) for seed in row_seeds]
            for scored in row.scored_rows():
                summaries.append(summarize(scored, [score(scored, result) for result in results],
                                           check_target=not args.quick))
                print(markdown_table(summaries[-1:]).splitlines()[-1], flush=True)

    text = (f"# Benchmark: {args.folder}/\n\n"
            f"Written by `{command.strip()}` on {datetime.date.today().isoformat()}, {machine_description()}; "
            f"seeds {', '.join(map(str, seeds))}{' (--quick: a dry run, not a result)' if args.quick else ''}, "
            f"except rows with their own (the seeds column: the default row of ann/ to attention/ runs 0-9, a slow "
            f"comparison row one).\n"
            f"Mean and spread are over the row's seeds; the baseline is the row's "
            f"named baseline on the same test split (of the first seed; baselines that learn nothing are the same for "
            f"every seed), and the last column every other baseline the run reports with the same metric.\n\n"
            f"{markdown_table(summaries)}\n")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + lab_record(output))
    print(f"wrote {output}")
    if any(s["verdict"] == "MISSED" for s in summaries):
        raise SystemExit(1)
    return summaries


if __name__ == "__main__":
    main()
