"""The experiment behind attention: the plain encoder-decoder against attentive ones as the inputs grow longer.

    python -m attention.compare                                  # reverse strings of 5-40 letters, three models
    python -m attention.compare --models none,bahdanau,luong-dot,luong-general,luong-concat
    python -m attention.compare --models luong-general,luong-general+feeding   # Luong's input feeding
    python -m attention.compare --dataset dates                  # the same on human-written dates
    python -m attention.compare --quick                          # seconds, to check that everything works

Every model gets the same data, units, epochs, learning rate and seed. Without attention the decoder sees the source
only through the encoder's last state, one vector of --units numbers, whatever the length; with attention it reads
all encoder states at every step. Bahdanau et al. (2015, figure 2) showed the first degrading on long sentences and
the second not. The test pairs are grouped by source length into --bins groups; writes, in a new study folder,
comparison.csv (one row per model and group), comparison.md and comparison.png (exact match against source length),
plus each model's run folder.
"""

import dataclasses
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python attention/compare.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from attention.train import ATTENTIONS, AttentionConfig, train_model
from common.config import make_run_dir
from common.flags import exit_on_bad_input, format_config, option, parse_config, require
from common.console import quiet_tensorflow, setup_logging


FEEDING = "+feeding"  # luong-general+feeding: the Luong model with input feeding


def parse_models(text: str) -> list[str]:
    """'none,bahdanau' -> ["none", "bahdanau"]; each an --attention name, a Luong one optionally with +feeding."""
    models = [part.strip() for part in text.split(",") if part.strip()]
    for name in models:
        attention, feeding = model_settings(name)
        require(attention in ATTENTIONS and (not feeding or attention.startswith("luong")),
                f"--models entries are {', '.join(ATTENTIONS)}, a luong one optionally with {FEEDING} "
                f"(got {name!r})")
    require(len(models) > 0 and len(set(models)) == len(models), f"--models needs distinct names (got {text!r})")
    return models


def model_settings(name: str) -> tuple[str, bool]:
    """'luong-general+feeding' -> ("luong-general", True): the --attention and --input-feeding of a --models entry."""
    return name.removesuffix(FEEDING), name.endswith(FEEDING)


@dataclasses.dataclass
class CompareConfig(AttentionConfig):
    dataset: str = option("reverse", "generated dataset (ignored with --pairs)", choices=("dates", "reverse"))
    epochs: int = option(20, "epochs per model (early stopping may end sooner)")
    max_length: int = option(40, "reverse: longest string")
    attention: str = option("bahdanau", "not used here: --models names the models compared", choices=ATTENTIONS)
    models: str = option("none,bahdanau,luong-general", "attention of each model compared, comma-separated; "
                                                        f"add {FEEDING} to a luong one for input feeding")
    input_feeding: bool = option(False, f"not used here: add {FEEDING} to a luong model in --models")
    bins: int = option(5, "groups of source length in the table and the plot")
    num_heatmaps: int = option(2, "attention pictures saved per model")

    def validate(self) -> None:
        super().validate()
        parse_models(self.models)
        require(self.bins >= 1, f"--bins must be at least 1 (got {self.bins})")
        require(self.distribute != "multi-worker", "a study runs on one machine: --distribute none or mirrored "
                                                   "(train.py takes multi-worker)")


def length_groups(lengths: list[int], bins: int) -> list[tuple[int, int]]:
    """Up to `bins` (low, high) source-length ranges of about equal width that cover every length given."""
    low, high = min(lengths), max(lengths)
    bins = min(bins, high - low + 1)
    edges = [low + round(i * (high - low + 1) / bins) for i in range(bins + 1)]
    return [(edges[i], edges[i + 1] - 1) for i in range(bins)]


def grouped_rows(model: str, by_length: list[dict], groups: list[tuple[int, int]]) -> list[dict]:
    """One row per length group: its test pairs, exact match and token accuracy (each length's scores weighted by
    its number of pairs)."""
    rows = []
    for low, high in groups:
        chosen = [row for row in by_length if low <= row["source_length"] <= high]
        count = sum(row["count"] for row in chosen)
        exact = sum(row["exact_match"] * row["count"] for row in chosen) / count if count else float("nan")
        tokens = sum(row["token_accuracy"] * row["count"] for row in chosen) / count if count else float("nan")
        rows.append({"model": model, "lengths": f"{low}-{high}", "low": low, "high": high, "test_pairs": count,
                     "exact_match": round(exact, 4), "token_accuracy": round(tokens, 4)})
    return rows


def write_outputs(rows: list[dict], totals: dict[str, dict], title: str, study_dir: Path) -> None:
    """comparison.csv, comparison.md and comparison.png from the rows of the study."""
    from common import plots
    from common.runs import write_csv

    write_csv(study_dir / "comparison.csv", rows)

    models = list(totals)
    groups = list(dict.fromkeys((row["low"], row["high"]) for row in rows))
    exact = {(row["model"], (row["low"], row["high"])): row["exact_match"] for row in rows}
    counts = {(row["low"], row["high"]): row["test_pairs"] for row in rows}
    header = "| model | " + " | ".join(f"length {low}-{high}" for low, high in groups) + " | all | params |"
    lines = [header, "|" + "---|" * (len(groups) + 3)]
    lines += [f"| {model} | " + " | ".join(f"{exact[model, group]:.3f}" for group in groups)
              + f" | {totals[model]['exact_match']:.3f} | {totals[model]['params']} |" for model in models]
    lines.append("| test pairs | " + " | ".join(str(counts[group]) for group in groups) + " | | |")
    (study_dir / "comparison.md").write_text(f"Test exact match against source length: {title}\n\n"
                                             + "\n".join(lines) + "\n")

    figure, axis = plots.plt.subplots(figsize=(7, 4.5))
    centres = [(low + high) / 2 for low, high in groups]
    for model in models:
        axis.plot(centres, [exact[model, group] for group in groups], marker="o", label=model)
    axis.set_xticks(centres, [f"{low}-{high}" for low, high in groups])
    axis.set_ylim(-0.02, 1.02)
    axis.set_xlabel("source length (tokens)")
    axis.set_ylabel("test exact match")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    plots.save_figure(figure, study_dir / "comparison.png")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(CompareConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))
    models = parse_models(config.models)

    quiet_tensorflow(config.verbose)
    from attention.dataset import load_dataset
    from common.distribute import make_strategy

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    with exit_on_bad_input():
        dataset = load_dataset(config)
        study_dir = make_run_dir(config.output_dir, "attention", f"compare-{dataset.name}")
    rows, totals, groups = [], {}, None
    for model in models:
        print(f"--- {model} ---", flush=True)
        attention, input_feeding = model_settings(model)
        run_config = dataclasses.replace(config, attention=attention, input_feeding=input_feeding,
                                         output_dir=str(study_dir))
        # train.py's compile and fit, one run folder each
        result = train_model(run_config, dataset, group=model, strategy=strategy)
        by_length = result["by_source_length"]
        groups = groups or length_groups([row["source_length"] for row in by_length], config.bins)
        rows += grouped_rows(model, by_length, groups)
        totals[model] = {**result["test"], "params": result["params"], "epochs_run": result["epochs_run"],
                         "train_seconds": result["train_seconds"]}
    write_outputs(rows, totals, f"{dataset.name}, {config.units} units, {config.epochs} epochs at most", study_dir)
    print((study_dir / "comparison.md").read_text())
    print(f"study_dir={study_dir}")
    return {"rows": rows, "totals": totals, "study_dir": str(study_dir)}


if __name__ == "__main__":
    main()
