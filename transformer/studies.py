"""Three studies of the small GPT, one command each; each rewrites its section of benchmarks/transformer_studies.md.

    python -m transformer.studies positions --epochs 3    # learned, sinusoidal, no positions; and shuffled contexts
    python -m transformer.studies heads --epochs 3        # 1, 2, 4, 8 heads at the same d_model
    python -m transformer.studies context                 # seconds per training step against the window, and a GRU
    python -m transformer.studies heads --quick --table /tmp/studies.md   # seconds, to check that everything works

positions and heads train python -m transformer.train once per setting and seed (--seeds), with every other flag
as given here, into a new study folder under --output-dir; settings are compared on the validation split, and the
test split is shown beside it. positions also asks what a model without positions gets wrong: it reads a bag of
characters. The last position of each test window is scored twice, after the real context and after the same
characters before it in a random order (the last one kept): a model that uses order loses much, one without
positions little (with one block nothing at all: attention is a weighted sum over the earlier characters, whatever
their order). context times one training step (forward, backward, update) of the GPT against a GRU character model
at each --windows, with the same --batch-chars characters per batch, after a warm-up step; it draws
transformer/context_length.png.
"""

import dataclasses
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python transformer/studies.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import REPO_ROOT, make_run_dir, parse_int_list
from common.console import machine_description, quiet_tensorflow, setup_logging
from common.flags import exit_on_bad_input, fail, flag_name, format_config, option, parse_config, require
from transformer.train import TransformerConfig

STUDIES = ("positions", "heads", "context")
POSITIONS = ("learned", "sinusoidal", "none")


@dataclasses.dataclass
class StudyConfig(TransformerConfig):
    seed: int = option(0, "not used here: --seeds names the seeds")
    seeds: str = option("0", "positions, heads: seeds, comma-separated; every setting trains once per seed")
    head_counts: str = option("1,2,4,8", "heads: the numbers of heads compared (each must divide --d-model)")
    windows: str = option("16,32,64,128,256,512", "context: the context lengths timed, comma-separated")
    batch_chars: int = option(1024, "context: characters per training batch (batch = this / window)")
    timed_steps: int = option(5, "context: training steps timed after one warm-up step; their median is reported")
    gru_units: int = option(256, "context: units of the GRU it is timed against (gru/'s default)")
    table: str = option(str(REPO_ROOT / "benchmarks" / "transformer_studies.md"), "file of the study tables")
    picture: str = option(str(REPO_ROOT / "transformer" / "context_length.png"), "context: the plot it saves")

    def validate(self) -> None:
        super().validate()
        require(self.dataset == "text", f"the studies read text: --dataset text (got {self.dataset!r})")
        self.seed_list, self.window_list = parse_seeds(self.seeds), parse_int_list(self.windows, "--windows")
        self.head_list = parse_int_list(self.head_counts, "--head-counts")
        require(all(self.d_model % heads == 0 for heads in self.head_list),
                f"every --head-counts entry must divide --d-model {self.d_model} (got {self.head_counts})")
        require(min(self.window_list) >= 2, f"--windows must be at least 2 each (got {self.windows})")
        require(self.batch_chars >= max(self.window_list),
                f"--batch-chars {self.batch_chars} must hold at least the longest window ({max(self.window_list)})")
        require(self.timed_steps >= 1 and self.gru_units >= 1, "--timed-steps and --gru-units must be at least 1")
        for flag, path in (("--table", self.table), ("--picture", self.picture)):
            require(not Path(path).is_dir(), f"{flag} {path} is a folder, not a file")


def parse_seeds(text: str) -> list[int]:
    """'0,1,2' -> [0, 1, 2]: distinct whole numbers, 0 or more."""
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"--seeds must be comma-separated whole numbers such as 0,1,2 (got {text!r})") from None
    require(len(seeds) > 0 and min(seeds) >= 0 and len(set(seeds)) == len(seeds),
            f"--seeds needs distinct whole numbers of 0 or more (got {text!r})")
    return seeds


# ----------------------------------------------------------------------------------------------------------------
# What a model without positions gets wrong: the last character after a shuffled context


def shuffle_context(x, seed: int = 0):
    """A copy of the windows x (n, window) with each row's first window - 1 ids in a random order, the last one kept."""
    import numpy as np

    rng, shuffled = np.random.default_rng(seed), np.array(x, copy=True)
    for row in shuffled:
        row[:-1] = rng.permutation(row[:-1])
    return shuffled


def last_position_probabilities(model, x):
    """The model's next-character probabilities at the last position of each window x (n, window): (n, vocab)."""
    return model.predict(x, batch_size=64, verbose=0)[:, -1, :]


def shuffled_context_bits(model, x, y, seed: int = 0) -> dict[str, float]:
    """Bits per character of the last position of each window, after its real and after its shuffled context."""
    from common.text import bits_per_char

    return {"ordered": bits_per_char(last_position_probabilities(model, x), y[:, -1]),
            "shuffled": bits_per_char(last_position_probabilities(model, shuffle_context(x, seed)), y[:, -1])}


# ----------------------------------------------------------------------------------------------------------------
# positions and heads: transformer/train.py once per setting and seed


def train_flags(config: StudyConfig, **changes) -> list[str]:
    """transformer/train.py's flags for config with changes: only those that differ from its defaults."""
    argv, defaults = [], TransformerConfig()  # the defaults as train.py fills them in
    for field in dataclasses.fields(TransformerConfig):
        value, default = changes.get(field.name, getattr(config, field.name)), getattr(defaults, field.name)
        if value != default and field.name not in ("seed", "output_dir"):  # the study sets these two per run
            argv += [flag_name(field.name)] if value is True else [flag_name(field.name), str(value)]
    return argv


def train_settings(config: StudyConfig, settings: dict[str, dict], study_dir: Path, test_windows=None) -> list[dict]:
    """One row per setting: its flags and, over the seeds, its runs' scores (and the shuffled-context bits)."""
    import keras

    from transformer import train

    rows = []
    for label, changes in settings.items():
        flags, runs = train_flags(config, **changes), []
        for seed in config.seed_list:
            print(f"--- {label}, seed {seed}: python -m transformer.train {' '.join(flags)} ---", flush=True)
            keras.backend.clear_session()  # each run starts from a fresh graph
            result = train.main([*flags, "--output-dir", str(study_dir), "--seed", str(seed)])
            run = {"seed": seed, "validation": result["validation"]["bits_per_char"], "params": result["params"],
                   "test": result["test"]["bits_per_char"], "train_seconds": result["train_seconds"]}
            if test_windows is not None:
                model = keras.saving.load_model(Path(result["run_dir"]) / "model.keras", compile=False)
                run |= shuffled_context_bits(model, *test_windows, seed=seed)
            runs.append(run)
        rows.append({"setting": label, "flags": " ".join(flags), "runs": runs})
    return rows


def mean_text(runs: list[dict], key: str, digits: int = 4) -> str:
    """The mean over the seeds, with (lowest - highest) when there are several."""
    values = [run[key] for run in runs]
    text = f"{round(statistics.mean(values), digits) + 0.0:,.{digits}f}"  # + 0.0: -0.0000 reads as 0.0000
    return text if len(values) == 1 else f"{text} ({min(values):,.{digits}f} - {max(values):,.{digits}f})"


def positions_table(config: StudyConfig, rows: list[dict]) -> str:
    lines = ["| positions | validation bits/char | test bits/char | last char, ordered context | last char, shuffled "
             "context | loss from shuffling | params | train s |", "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        runs = [run | {"loss": run["shuffled"] - run["ordered"]} for run in row["runs"]]
        lines.append(f"| {row['setting']} | " + " | ".join(mean_text(runs, key) for key in
                     ("validation", "test", "ordered", "shuffled", "loss")) + f" | {runs[0]['params']:,} | "
                     f"{mean_text(runs, 'train_seconds', 1)} |")
    best = min(rows, key=lambda row: statistics.mean(run["validation"] for run in row["runs"]))
    return "\n".join(lines) + (
        f"\n\nBest on the validation split: {best['setting']}. The last three score columns are the bits per character "
        "of the last position of every test window, after its real context and after the same characters before it "
        "in a random order (one shuffle per window, seeded), and their difference. Without positions the model reads "
        "a bag of characters: attention is a weighted sum over the earlier characters, whatever their order, so in "
        "one block the last position cannot tell a shuffled context from the real one. "
        + ("Here, with one block, the two columns agree up to rounding." if config.layers == 1 else
           f"With {config.layers} blocks the causal mask lets a later block see which characters came before which "
           "(each earlier position attends to its own prefix), a little order."))


def heads_table(config: StudyConfig, rows: list[dict]) -> str:
    lines = ["| heads | dimensions per head | validation bits/char | test bits/char | params | train s |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        heads, runs = int(row["setting"]), row["runs"]
        lines.append(f"| {heads} | {config.d_model // heads} | {mean_text(runs, 'validation')} | "
                     f"{mean_text(runs, 'test')} | {runs[0]['params']:,} | {mean_text(runs, 'train_seconds', 1)} |")
    best = min(rows, key=lambda row: statistics.mean(run["validation"] for run in row["runs"]))
    return "\n".join(lines) + (
        f"\n\nBest on the validation split: {best['setting']} heads. The weights do not change with the number of "
        f"heads: every block projects {config.d_model} numbers to queries, keys and values of {config.d_model} in all, "
        "cut into heads of d_model / heads each; more heads means more, smaller attention patterns (and more "
        "score matrices to compute).")


# ----------------------------------------------------------------------------------------------------------------
# context: seconds per training step against the window


def build_recurrent_model(vocab_size: int, units: int = 256, embedding_dim: int = 32):
    """The recurrent pass timed beside the GPT: ids (batch, time) -> Embedding -> GRU -> softmax (batch, time, vocab).
    gru/'s character model at its default sizes, written here so that this folder reads alone."""
    import keras
    from keras import layers

    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    x = layers.Embedding(vocab_size, embedding_dim, name="embedding")(token_ids)       # (batch, time, embedding_dim)
    x = layers.GRU(units, return_sequences=True, name="gru")(x)                        # one step after the other
    outputs = layers.Dense(vocab_size, activation="softmax", name="output")(x)         # (batch, time, vocab_size)
    return keras.Model(token_ids, outputs, name="gru_text")


def training_step(model, config: StudyConfig, x, y):
    """A function that runs one training step of model on (x, y) and returns its seconds; compiled and warmed up
    here (the first step traces the step function, seconds that later steps do not pay)."""
    from common.tasks import loss_for_task
    from common.training import make_optimizer

    model.compile(optimizer=make_optimizer(config.optimizer, config.learning_rate, config.clip_norm),
                  loss=loss_for_task("generation", model.output_shape[-1]), jit_compile=config.jit_compile or "auto")
    model.train_on_batch(x, y)

    def step() -> float:
        start = time.perf_counter()
        model.train_on_batch(x, y)  # returns the loss as a number: the step has finished
        return time.perf_counter() - start

    return step


def time_windows(config: StudyConfig, datasets: dict) -> list[dict]:
    """Median seconds per training step of the GPT and the GRU at each window. The timed steps take turns (every
    model at every window once per round), so that a burst of other work on the machine is spread over all of them
    instead of landing on one window."""
    import keras

    from transformer.model import build_model

    steps, seconds = {}, {}
    for window, dataset in datasets.items():
        batch = config.batch_chars // window
        x, y = dataset.x_train[:batch], dataset.y_train[:batch]  # real text, the same characters for both models
        keras.utils.set_random_seed(config.seed_list[0])
        gpt = build_model(dataset.num_classes, window, config.d_model, config.heads, config.layers, config.ff_dim,
                          config.dropout, config.positions)
        gru = build_recurrent_model(dataset.num_classes, config.gru_units)
        steps |= {(window, "gpt"): training_step(gpt, config, x, y), (window, "gru"): training_step(gru, config, x, y)}
    for _ in range(1 if config.quick else config.timed_steps):
        for key, step in steps.items():
            seconds.setdefault(key, []).append(step())
    rows = [{"window": window, "batch": config.batch_chars // window, "gpt": statistics.median(seconds[window, "gpt"]),
             "gru": statistics.median(seconds[window, "gru"])} for window in datasets]
    for row in rows:
        print(f"window {row['window']}: batch {row['batch']}, GPT {row['gpt']:.4f} s, GRU {row['gru']:.4f} s")
    return rows


def growth(rows: list[dict], key: str) -> tuple[float, float]:
    """(times slower from the shortest to the longest window, the slope of log seconds against log window)."""
    import numpy as np

    windows, seconds = [row["window"] for row in rows], [row[key] for row in rows]
    slope = np.polyfit(np.log(windows), np.log(seconds), 1)[0] if len(rows) > 1 else float("nan")
    return seconds[-1] / seconds[0], float(slope)


def context_table(config: StudyConfig, rows: list[dict], picture: Path, table: Path) -> str:
    from common import plots

    figure, axis = plots.plt.subplots(figsize=(7, 4.5))
    windows = [row["window"] for row in rows]
    for key, label in (("gpt", "GPT (attention)"), ("gru", f"GRU ({config.gru_units} units)")):
        axis.loglog(windows, [row[key] for row in rows], marker="o", label=label)
    axis.set_xticks(windows, [str(window) for window in windows])
    seconds = [row[key] for row in rows for key in ("gpt", "gru")]
    marks = [mark for mark in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)
             if min(seconds) / 1.5 <= mark <= 1.5 * max(seconds)]  # plain numbers on the log axis
    axis.set_yticks(marks, [f"{mark:g}" for mark in marks])
    axis.minorticks_off()
    axis.set_xlabel("context length (characters)")
    axis.set_ylabel("seconds per training step")
    axis.set_title(f"one training step of {config.batch_chars} characters")
    axis.grid(alpha=0.3, which="both")
    axis.legend()
    plots.save_figure(figure, picture)
    lines = ["| window | batch | GPT s/step | GRU s/step | GPT / GRU |", "|---|---|---|---|---|"]
    lines += [f"| {row['window']} | {row['batch']} | {row['gpt']:.4f} | {row['gru']:.4f} | "
              f"{row['gpt'] / row['gru']:.2f} |" for row in rows]
    (gpt_ratio, gpt_slope), (gru_ratio, gru_slope) = growth(rows, "gpt"), growth(rows, "gru")
    span = f"From window {rows[0]['window']} to {rows[-1]['window']}"
    last = (f" Between the last two, windows {rows[-2]['window']} and {rows[-1]['window']}, the GPT's step grew "
            f"{rows[-1]['gpt'] / rows[-2]['gpt']:.2f} times and the GRU's {rows[-1]['gru'] / rows[-2]['gru']:.2f} "
            "times." if len(rows) > 1 else "")
    return "\n".join(lines) + (
        f"\n\n{span} the GPT's step grew {gpt_ratio:.1f} times (slope {gpt_slope:.2f} on log-log axes), the GRU's "
        f"{gru_ratio:.1f} times (slope {gru_slope:.2f}).{last} With the characters per batch fixed, the dense "
        "layers do the same work at every window; attention's score matrix is window x window per head and "
        "example, so its work per batch grows in proportion to the window (slope 1 once it dominates). The GRU does "
        "the same arithmetic at every window but one time step after the other: window steps, each on batch rows "
        "only, so its time grows with the window as the steps get more numerous and smaller (slope 1 once the "
        "per-step overhead dominates). "
        f"The GPT's model: d_model {config.d_model}, {config.heads} heads, {config.layers} blocks; median of "
        f"{1 if config.quick else config.timed_steps} steps after a warm-up step, taken in turns.\n\n"
        f"![seconds per training step against the window]({os.path.relpath(picture, table.parent)})")


# ----------------------------------------------------------------------------------------------------------------
# The table file: one section per study


class CpuShare:
    """The share of the machine's CPU time that other processes used between start() and share() (Linux only)."""

    @staticmethod
    def sample() -> tuple[float, float, float] | None:
        try:
            fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        except (OSError, ValueError):
            return None
        busy = (sum(fields[:3]) + sum(fields[5:8])) / os.sysconf("SC_CLK_TCK")  # user nice system irq softirq steal
        own = sum(os.times()[:4])  # this process and its children
        return busy, own, time.monotonic()

    def __init__(self):
        self.start = self.sample()

    def share(self) -> float | None:
        end = self.sample()
        if self.start is None or end is None or end[2] <= self.start[2]:
            return None
        others = (end[0] - self.start[0]) - (end[1] - self.start[1])
        return max(others, 0.0) / ((end[2] - self.start[2]) * (os.cpu_count() or 1))


def write_section(table: Path, study: str, body: str) -> None:
    """Replace the section '## Study: <study>' of table (up to the next '## ' heading) with body, or append it."""
    heading = f"## Study: {study}"
    text = table.read_text(encoding="utf-8") if table.exists() else (
        "# Studies: transformer/\n\nEach section is written by `python -m transformer.studies STUDY`, which rewrites "
        "only its own section.\n")
    lines = text.rstrip("\n").split("\n")
    section = [heading, "", *body.rstrip("\n").split("\n")]
    if heading in lines:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = section + ([""] if end < len(lines) else [])
    else:
        lines += ["", *section]
    table.parent.mkdir(parents=True, exist_ok=True)
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> dict:
    argv = list(sys.argv[1:] if argv is None else argv)
    study = argv.pop(0) if argv and not argv[0].startswith("-") else None
    config = parse_config(StudyConfig, argv, description=__doc__)  # --help and bad flags are answered here
    if study not in STUDIES:
        fail(f"name a study first: {', '.join(STUDIES)} (got {study!r})")
    setup_logging(config.verbose)
    print(f"study: {study}\n{format_config(config)}")
    quiet_tensorflow(config.verbose)
    from common.text import load_text

    cpu, started = CpuShare(), time.perf_counter()
    with exit_on_bad_input():  # a corpus that is missing or too short is answered before anything is written
        windows = config.window_list[:2] if config.quick else config.window_list
        datasets = {window: load_text(config.corpus, window) for window in
                    (windows if study == "context" else [config.window])}
        study_dir = make_run_dir(config.output_dir, "transformer", f"study-{study}")
    if study == "context":
        rows = time_windows(config, datasets)
        table = context_table(config, rows, Path(config.picture), Path(config.table))
    elif study == "positions":
        test = datasets[config.window]
        count = 128 if config.quick else len(test.x_test)  # --quick: the test windows a quick run scores
        rows = train_settings(config, {name: {"positions": name} for name in POSITIONS}, study_dir,
                              (test.x_test[:count], test.y_test[:count]))
        table = positions_table(config, rows)
    else:
        rows = train_settings(config, {str(heads): {"heads": heads} for heads in config.head_list}, study_dir)
        table = heads_table(config, rows)

    command = " ".join(["python -m transformer.studies", study, *argv])
    budget = ("" if study == "context" else f" Budget: at most {config.epochs} epochs per run (the default run trains "
              f"{TransformerConfig().epochs}); seeds {config.seeds}; study folder `{study_dir.name}`.")
    quick = " With --quick: a seconds-long check of the command, not a measurement." if config.quick else ""
    share = cpu.share()
    shared = "other processes' share of the CPU time unknown" if share is None else (
        f"other processes used {share:.0%} of the cores' time meanwhile")
    nice = f"niced (nice {os.nice(0)})" if os.nice(0) > 0 else "not niced"
    header = (f"`{command}` on {datetime.date.today().isoformat()}, {machine_description()}, no GPU used; {nice}, "
              f"{time.perf_counter() - started:.0f} s, {shared}.{budget}{quick}")
    write_section(Path(config.table), study, f"{header}\n\n{table}")
    (study_dir / "study.json").write_text(json.dumps({"study": study, "rows": rows}, indent=1, default=str))
    print(f"{header}\n\n{table}\nstudy_dir={study_dir}")
    return {"study": study, "rows": rows, "table": table, "study_dir": str(study_dir)}


if __name__ == "__main__":
    main()
