"""The classic experiment: SimpleRNN, LSTM and GRU on the adding problem as the sequences grow longer.

    python -m deep_rnn.compare                          # lengths 10, 50, 100, 200: about a quarter of an hour
    python -m deep_rnn.compare --lengths 20,400 --models rnn,gru
    python -m deep_rnn.compare --quick                  # seconds, to check that everything works

Every model gets the same budget (sequences, units, epochs, learning rate, seed) at every length. The adding problem
(Hochreiter & Schmidhuber 1997): two of the T values are marked, one in each half, and the target is their sum, so the
network must keep the first marked value for up to T steps. Always predicting the mean sum scores an MSE of about
1/6; a model that solves the task scores near 0. Writes, in a new study folder: comparison.csv, comparison.md and
comparison.png (test MSE against length, one line per model, beside the baseline), plus each model's run folder.
"""

import dataclasses
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python deep_rnn/compare.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import TrainConfig, make_run_dir, parse_int_list
from common.flags import exit_on_bad_input, format_config, option, parse_config, require
from common.console import quiet_tensorflow, setup_logging
from common.sequences import CELL_NAMES

QUICK_LENGTHS = "5,10"


def parse_models(text: str) -> list[tuple[str, int]]:
    """'rnn,lstm,lstm-2' -> [("rnn", 1), ("lstm", 1), ("lstm", 2)]: a cell name, and "-N" for N stacked layers."""
    models = []
    for name in (part.strip() for part in text.split(",") if part.strip()):
        cell, _, depth = name.partition("-")
        require(cell in CELL_NAMES and (depth == "" or depth.isdigit() and int(depth) >= 1),
                f"--models entries are {', '.join(CELL_NAMES)}, optionally with -N for N layers (got {name!r})")
        models.append((cell, int(depth or 1)))
    require(len(models) > 0, "--models needs at least one model")
    return models


@dataclasses.dataclass
class CompareConfig(TrainConfig):
    dataset: str = option("adding", "the task compared on", choices=("adding",))
    epochs: int = option(20, "epochs per model and length (early stopping may end sooner)")
    batch_size: int = option(64, "examples per gradient step")
    learning_rate: float = option(3e-3, "optimizer step size")
    patience: int = option(5, "epochs without validation improvement before stopping early")
    lengths: str = option("10,50,100,200", "sequence lengths T, comma-separated")
    models: str = option("rnn,lstm,gru,lstm-2", "models: rnn, lstm, gru, and -N for N stacked layers (lstm-2)")
    units: int = option(32, "hidden units of each recurrent layer, the same for every model")
    num_samples: int = option(10000, "generated sequences per length (65% train, 15% validation, 20% test)")

    def validate(self) -> None:
        super().validate()
        lengths = parse_int_list(self.lengths, "--lengths")
        require(min(lengths) >= 2, f"--lengths must each be at least 2 (got {self.lengths!r})")
        parse_models(self.models)
        require(self.distribute != "multi-worker", "a study runs on one machine: --distribute none or mirrored "
                                                   "(train.py takes multi-worker)")
        require(self.units >= 1, f"--units must be at least 1 (got {self.units})")
        require(self.num_samples >= 100, f"--num-samples must be at least 100 (got {self.num_samples})")


def write_outputs(rows: list[dict], study_dir: Path) -> None:
    """comparison.csv, comparison.md and comparison.png from the rows of the study."""
    from common import plots
    from common.runs import write_csv

    write_csv(study_dir / "comparison.csv", rows)

    lengths = sorted({row["length"] for row in rows})
    models = list(dict.fromkeys(row["model"] for row in rows))
    mse = {(row["model"], row["length"]): row["test_mse"] for row in rows}
    baseline = {row["length"]: row["baseline_mse"] for row in rows}
    header = "| model | " + " | ".join(f"T = {length}" for length in lengths) + " |"
    lines = [header, "|" + "---|" * (len(lengths) + 1)]
    lines += [f"| {model} | " + " | ".join(f"{mse[model, length]:.4f}" for length in lengths) + " |"
              for model in models]
    lines.append("| mean baseline | " + " | ".join(f"{baseline[length]:.4f}" for length in lengths) + " |")
    (study_dir / "comparison.md").write_text("Test MSE on the adding problem (lower is better)\n\n" + "\n".join(lines)
                                             + "\n")

    figure, axis = plots.plt.subplots(figsize=(7, 4.5))
    for model in models:
        axis.plot(lengths, [mse[model, length] for length in lengths], marker="o", label=model)
    axis.plot(lengths, [baseline[length] for length in lengths], color="gray", linestyle="--",
              label="predict the mean (baseline)")
    axis.set_yscale("log")
    axis.set_xlabel("sequence length T")
    axis.set_ylabel("test MSE (log scale)")
    axis.set_title("adding problem: error against sequence length")
    axis.grid(alpha=0.3, which="both")
    axis.legend()
    plots.save_figure(figure, study_dir / "comparison.png")


def main(argv: list[str] | None = None) -> dict:
    config = parse_config(CompareConfig, argv, description=__doc__)
    setup_logging(config.verbose)
    print(format_config(config))
    lengths = parse_int_list(QUICK_LENGTHS if config.quick else config.lengths, "--lengths")
    models = parse_models(config.models)

    quiet_tensorflow(config.verbose)
    import keras

    from common.distribute import make_strategy
    from common.evaluation import evaluate_regression
    from common.runs import finish_run, start_run
    from common.sequences import load_adding
    from common.training import (make_callbacks, make_optimizer, mixed_precision_scope, progress_verbosity,
                                 quick_settings)
    from deep_rnn.model import build_model

    strategy = make_strategy(config.distribute)  # --distribute: made before any TensorFlow operation runs

    with exit_on_bad_input():
        study_dir = make_run_dir(config.output_dir, "deep_rnn", "compare")
    rows = []
    for length in lengths:
        dataset = load_adding(length, config.num_samples)
        for cell, depth in models:
            name = cell if depth == 1 else f"{cell}-{depth}"
            print(f"--- {name}, T = {length} ---", flush=True)
            run_config = dataclasses.replace(config, output_dir=str(study_dir))
            keras.utils.set_random_seed(config.seed)  # every model starts from the same seed
            data, epochs = quick_settings(config, dataset)
            with strategy.scope():  # --distribute: variables made here are mirrored on every replica
                with mixed_precision_scope(config.mixed_precision):
                    model = build_model("regression", cell=cell, units=config.units, num_layers=depth,
                                        input_shape=data.input_shape)
                model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                              loss=keras.losses.MeanSquaredError(),
                              metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
                              jit_compile=config.jit_compile or "auto",
                              steps_per_execution=config.steps_per_execution)
            run_dir = start_run(run_config, name, data.name, model)
            start = time.perf_counter()
            history = model.fit(data.x_train, data.y_train, validation_data=(data.x_val, data.y_val), epochs=epochs,
                                batch_size=config.batch_size, callbacks=make_callbacks(config, run_dir),
                                verbose=progress_verbosity())
            train_seconds = time.perf_counter() - start
            result = finish_run(run_dir, model, history, evaluate_regression(model, data, run_dir), data,
                                train_seconds)
            rows.append({"model": name, "length": length, "test_mse": result["test"]["mse"],
                         "baseline_mse": result["baselines"]["mean"]["mse"], "params": result["params"],
                         "epochs_run": result["epochs_run"], "train_seconds": result["train_seconds"]})
    write_outputs(rows, study_dir)
    print((study_dir / "comparison.md").read_text())
    print(f"study_dir={study_dir}")
    return {"rows": rows, "study_dir": str(study_dir)}


if __name__ == "__main__":
    main()
