"""The run folder around a train script's own compile and fit: opened before fit, written after it.

    run_dir = start_run(config, "ann", dataset.name, model)         # config.json, summary.txt; Ctrl-C while fit runs
    history = model.fit(...)
    result = finish_run(run_dir, model, history, evaluation, dataset, train_seconds)   # model.keras, metrics.json
    print(result["summary"])                                        # test_accuracy=0.9811 ... run_dir=runs/ann/...

A run folder (never overwritten; with --distribute multi-worker only the chief writes one) holds:
    config.json  history.csv  metrics.json  model.keras  summary.txt  plots/learning_curves.png  plots/<task's own>
    tensorboard/ (with --tensorboard)  inputs.json (what model.keras reads: common/inputs.py)
history.csv and model.keras's best epoch are written during fit by common/training.py's callbacks, the task's own
plots by its evaluator (common/evaluation.py). The first Ctrl-C during fit ends training early and the run is
scored as usual; a second aborts it (Interruption).
"""

import csv
import functools
import json
import logging
import os
import signal
import sys
import tempfile
import threading
from pathlib import Path

import keras

from common import metrics, plots
from common.config import TrainConfig, make_run_dir
from common.flags import exit_on_bad_input, script_name
from common.datasets import Dataset
from common.distribute import is_chief
from common.evaluation import Evaluation
from common.inputs import describe_inputs

log = logging.getLogger(__name__)


# ----------------------------------------------------------------------------------------------------------------
# Files: JSON, CSV, the summary line and how a path is shown


def write_json(path: Path, content: dict) -> None:
    path.write_text(json.dumps(content, indent=2) + "\n")


def write_csv(path: Path, rows: list[dict]) -> None:
    """rows (dicts with the same keys) as a CSV file with a header line: what a study writes for spreadsheets."""
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def summary_line(test: dict[str, float], params: int, train_seconds: float, run_dir: Path | str) -> str:
    """`test_accuracy=0.9811 ... params=6570 train_seconds=9.2 run_dir=runs/...`: the last line a run prints."""
    pairs = [f"test_{name}={value:.4f}" for name, value in test.items()]
    pairs += [f"params={params}", f"train_seconds={train_seconds:.1f}", f"run_dir={shown_path(run_dir)}"]
    return " ".join(pairs)


def shown_path(path: Path | str) -> str:
    """path relative to the current folder when it lies inside it (runs/ann/...), else absolute."""
    path = Path(path).absolute()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def log_tensorboard_command(run_dir: Path) -> None:
    """After a --tensorboard run: the command that shows its logs (the tensorboard package serves them)."""
    if (run_dir / "tensorboard").is_dir():
        log.info("TensorBoard logs: tensorboard --logdir %s", shown_path(run_dir / "tensorboard"))


# ----------------------------------------------------------------------------------------------------------------
# Before fit: the run folder opened, and Ctrl-C made a normal way to end training


class Interruption:
    """Ctrl-C as a normal way to end training, while the run's model.fit runs.

    The first Ctrl-C ends training after the current batch (Keras checks model.stop_training after every batch): the
    epoch is validated, early stopping restores the best weights so far, and the script scores and saves them as
    usual, with "interrupted_at_epoch" in metrics.json. A second Ctrl-C aborts at once: one line, no traceback, exit
    status 130, and a file INCOMPLETE in the run folder says that what is there is partial.

    The process is left as it was found: start_run wraps the model's fit for this run, the wrapper puts this handler
    in place as fit begins and the one from before back as fit ends, however it ends. So an error before fit, inside
    it or after it (in the scoring) leaves Ctrl-C as it was, and in a notebook the kernel's next interrupt is the
    kernel's. Ctrl-C while the script scores and saves has its usual meaning.
    """

    current: "Interruption | None" = None  # the run in progress in this process, if any

    def __init__(self, run_dir: Path, model: keras.Model):
        self.run_dir, self.model, self.interrupted = run_dir, model, False
        keras_fit = model.fit

        @functools.wraps(keras_fit)
        def fit(*args, **kwargs):
            previous_handler = signal.signal(signal.SIGINT, self.handle)
            try:
                return keras_fit(*args, **kwargs)
            except BaseException:
                if Interruption.current is self:  # the run ends here, without finish_run
                    Interruption.current = None
                raise
            finally:
                signal.signal(signal.SIGINT, previous_handler)
                vars(model).pop("fit", None)  # the model's own fit again: a second fit is not part of the run

        model.fit = fit

    def handle(self, signum, frame) -> None:
        if not self.interrupted:
            self.interrupted = True
            self.model.stop_training = True
            print(
                "Ctrl-C: training stops after this batch; the best weights so far will be scored and saved "
                "(Ctrl-C again to abort)",
                file=sys.stderr,
                flush=True,
            )
            return
        (self.run_dir / "INCOMPLETE").write_text(
            "Training was aborted by a second Ctrl-C: the files here are partial and there is no metrics.json.\n"
        )
        print(
            f"aborted by a second Ctrl-C: {shown_path(self.run_dir)} is incomplete (see INCOMPLETE there)",
            file=sys.stderr,
            flush=True,
        )
        os._exit(130)  # at once, even from inside a TensorFlow step: nothing is left worth cleaning up

    @classmethod
    def start(cls, run_dir: Path, model: keras.Model) -> None:
        cls.stop()
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            cls.current = cls(run_dir, model)

    @classmethod
    def stop(cls) -> bool:
        """End the run's hold on its model; True when Ctrl-C ended its training."""
        current, cls.current = cls.current, None
        if current is None:
            return False
        vars(current.model).pop("fit", None)  # a run whose fit never ran leaves no wrapper behind
        return current.interrupted


def start_run(config: TrainConfig, group: str, dataset_name: str, model: keras.Model) -> Path:
    """A new run folder output_dir/<group>/<dataset>-<time>/ with config.json and summary.txt; returns its path.

    group is the folder's name ("ann"), or a path under it ("attention/bahdanau"). An --output-dir that cannot be
    written to exits 2 with one line, like any bad input. While the model's next fit runs, Ctrl-C ends training early
    (see Interruption).
    """
    # Only one process writes the run folder: the other workers of --distribute multi-worker write theirs into a
    # temporary folder, removed when they exit.
    output_dir = config.output_dir
    if not is_chief(config.distribute):
        output_dir = temporary_folder()
        log.info("this worker's files go to a temporary folder: the chief writes the run folder")
    with exit_on_bad_input():
        run_dir = make_run_dir(output_dir, group, dataset_name)
    # Which script made the run, beside its flags: `python -m <folder>.train` and these settings repeat it. (A
    # folder's own --arch flag, as in cnn/, is one of the settings and keeps its key.)
    script = script_name(type(config))
    write_json(run_dir / "config.json", {"folder": script.split("/")[0], "script": script, **config.to_dict()})
    with open(run_dir / "summary.txt", "w") as summary_file:
        model.summary(print_fn=lambda line, **_: summary_file.write(line + "\n"))
    Interruption.start(run_dir, model)
    return run_dir


WORKER_FOLDERS: list[tempfile.TemporaryDirectory] = []  # removed as the process exits


def temporary_folder() -> str:
    """A folder that is removed when this process exits (a worker that is not the chief writes its files here)."""
    WORKER_FOLDERS.append(tempfile.TemporaryDirectory(prefix="worker-"))
    return WORKER_FOLDERS[-1].name


# ----------------------------------------------------------------------------------------------------------------
# After fit: the model, the curves, metrics.json and the summary line


def finish_run(
    run_dir: Path,
    model: keras.Model,
    history: keras.callbacks.History,
    evaluation: Evaluation,
    dataset: Dataset,
    train_seconds: float,
    inputs: dict | None = None,
    plot_curves=plots.plot_learning_curves,
    **fields,
) -> dict:
    """Save model.keras, inputs.json (common/inputs.py's describe_inputs: given, or found from the data set's test
    split for a model that reads its arrays) and the learning curves (plot_curves(history, path): the GAN draws its
    game's own), then write_metrics: metrics.json (fields: its task and extra keys), the scores, the summary line.

    Returns metrics.json's content plus "run_dir", "history" (per-epoch lists) and "summary" (the last line to print).
    """
    # Early stopping has restored the best epoch's weights; saving them again also covers a run that ended on NaN
    # before the checkpoint wrote anything.
    model.save(run_dir / "model.keras")
    write_json(run_dir / "inputs.json", inputs or describe_inputs(dataset, dataset.x_test))
    plot_curves(history.history, run_dir / "plots" / "learning_curves.png")
    return write_metrics(
        run_dir, evaluation, dataset, history, train_seconds, params=int(model.count_params()), **fields
    )


def write_metrics(
    run_dir: Path,
    evaluation: Evaluation,
    dataset: Dataset,
    history: keras.callbacks.History,
    train_seconds: float,
    params: int,
    task: str | None = None,
    **extra,
) -> dict:
    """Write metrics.json (task defaults to dataset.task; extra keys go last), log the test scores beside the
    baselines and the TensorBoard command, and return metrics.json's content plus run_dir, history and summary.

    finish_run calls it; so does a script that saves its own files (gan/ keeps two networks).
    """
    result = {
        "dataset": dataset.name,
        "task": task or dataset.task,
        "test": evaluation.test,
        **({"validation": evaluation.validation} if evaluation.validation else {}),
        "baselines": evaluation.baselines,
        "params": params,
        "epochs_run": len(history.epoch),
        "train_seconds": round(train_seconds, 2),
        "train_examples": len(dataset.x_train),
        **evaluation.details,
        **extra,
    }
    if Interruption.stop():
        result["interrupted_at_epoch"] = result["epochs_run"]  # the epoch Ctrl-C ended, validated as it stood
    write_json(run_dir / "metrics.json", result)
    log.info(
        "test split, model beside baselines:\n%s", metrics.format_comparison(evaluation.test, evaluation.baselines)
    )
    log_tensorboard_command(run_dir)
    line = summary_line(evaluation.test, params, train_seconds, run_dir)
    return {**result, "run_dir": str(run_dir), "history": history.history, "summary": line}
