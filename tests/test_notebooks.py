"""The notebooks: written by the build from their sources and up to date, and every one runs from top to bottom.

Every notebook's code cells run here in this process with QUICK = True (one TensorFlow start-up for all ten), and the
rnn notebook (the quickest) runs through a real Jupyter kernel (nbclient), as `jupyter lab` runs it. `-m slow` runs
all ten through kernels. Each run writes its run folders into a temporary folder: a cell after the parameter cell
sets QUICK and OUTPUT_DIR, the way papermill passes parameters.
"""

import json
import math

import matplotlib
import nbformat
import pytest

from notebooks import build

matplotlib.use("Agg")  # the in-process runs draw into files only, as the scripts do

NOTEBOOKS_DIR = build.NOTEBOOKS_DIR
# A weak bound on each notebook's QUICK run (two epochs on a small slice), so that a run that learned nothing, or
# scored nonsense, fails: (test metric, "above" or "below", a number or the baseline whose score it must beat). Two
# quick epochs are not enough to beat everything: the deep CNN is still at chance on its test images (its training
# loss falls, which is checked for every notebook), the seq2seq model below the positional guess, the autoencoder at
# the mean image.
QUICK_BOUNDS = {
    "ann": ("accuracy", "above", "majority_class"),       # about 0.74 against 0.10
    "cnn": ("accuracy", "above", 0.0),
    "rnn": ("rmse", "below", "mean"),                     # about 0.13 against 0.71
    "lstm": ("rmse", "below", "mean"),                    # about 21 against 206 (thousands of passengers)
    "gru": ("bits_per_char", "below", "unigram"),         # about 4.3 against 4.9
    "deep_rnn": ("accuracy", "above", "majority_class"),  # about 0.56 against 0.10
    "birnn": ("accuracy", "above", "majority_class"),     # about 0.53 against 0.35
    "attention": ("token_accuracy", "above", 0.1),        # about 0.28
    "transformer": ("bits_per_char", "below", "unigram"),  # about 4.4 against 5.1
    "autoencoder": ("mse", "below", 0.2),                 # about 0.07 (pixels in 0..1)
    "gan": ("fid", "below", "noise"),                     # about 1.5 against 3.1 for random noise
}


def quick_notebook(folder: str, output_dir) -> nbformat.NotebookNode:
    """The committed notebook with QUICK = True and OUTPUT_DIR = output_dir set in a cell after its parameter cell."""
    notebook = nbformat.read(NOTEBOOKS_DIR / f"{folder}.ipynb", as_version=4)
    [index] = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    notebook.cells.insert(index + 1, nbformat.v4.new_code_cell(f"QUICK = True\nOUTPUT_DIR = {str(output_dir)!r}"))
    return notebook


def run_in_process(notebook: nbformat.NotebookNode) -> dict:
    """Execute the notebook's code cells in order in one fresh namespace; returns the namespace.

    The one IPython magic the notebooks use, `%matplotlib inline`, is left out: here matplotlib stays on Agg.
    """
    namespace = {"__name__": "__main__"}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        assert [line for line in lines if line.startswith("%")] in ([], ["%matplotlib inline"]), cell.source
        source = "\n".join(line for line in lines if not line.startswith("%"))
        exec(compile(source, f"<{cell.id}>", "exec"), namespace)  # noqa: S102 (the repository's own notebooks)
    return namespace


def assert_quick_result(folder: str, result: dict) -> None:
    """The run's test metrics are finite numbers, metrics.json holds them, and the bound of QUICK_BOUNDS holds."""
    assert result["test"] and all(math.isfinite(value) for value in result["test"].values()), result["test"]
    with open(f"{result['run_dir']}/metrics.json") as file:
        saved = json.load(file)
    assert saved["test"] == result["test"] and saved["epochs_run"] == 2
    metric, side, bound = QUICK_BOUNDS[folder]
    value = result["test"][metric]
    if isinstance(bound, str):
        bound = result["baselines"][bound][metric]
    assert value > bound if side == "above" else value < bound, (metric, value, bound)


# ----------------------------------------------------------------------------------------------------------------
# Generated and up to date


def test_committed_notebooks_are_what_the_build_writes():
    assert build.stale_files(build.built_files()) == [], "run python -m notebooks.build"


@pytest.fixture
def notebooks_copy(tmp_path, monkeypatch):
    """What the build writes, written into a copy of notebooks/ under tmp_path, and the build pointed at the copy (the
    committed notebooks are never touched); returns the copy's notebooks/ folder."""
    files = build.built_files()
    copy = tmp_path / "notebooks"
    copy.mkdir()
    copied = {copy / path.name: text for path, text in files.items()}
    for path, text in copied.items():
        path.write_text(text, encoding="utf-8", newline="\n")
    monkeypatch.setattr(build, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(build, "NOTEBOOKS_DIR", copy)
    monkeypatch.setattr(build, "built_files", lambda: copied)
    return copy


def test_check_exits_0_when_every_notebook_is_up_to_date(notebooks_copy, capsys):
    assert build.main(["--check"]) == 0
    captured = capsys.readouterr()
    assert captured.out.strip() == f"notebooks up to date: {len(build.FOLDERS)} notebooks and the table of " \
                                   "notebooks/README.md" and captured.err == ""


def test_check_exits_1_naming_a_hand_edited_and_a_hand_made_notebook_and_writes_nothing(notebooks_copy, capsys):
    edited = notebooks_copy / "gru.ipynb"
    edited.write_text(edited.read_text(encoding="utf-8").replace("GRU", "LSTM"), encoding="utf-8")
    made = notebooks_copy / "mine.ipynb"  # made by hand: no source in notebooks/src/
    made.write_text("{}", encoding="utf-8")
    before = {path.name: path.read_bytes() for path in notebooks_copy.iterdir()}
    assert build.main(["--check"]) == 1
    assert capsys.readouterr().err.strip() == \
        "out of date (run python -m notebooks.build): notebooks/gru.ipynb, notebooks/mine.ipynb"
    assert {path.name: path.read_bytes() for path in notebooks_copy.iterdir()} == before


def test_check_exits_1_naming_a_stale_notebook(notebooks_copy, monkeypatch, capsys):
    # Its source changed since it was built: the build would write other text. (In the copy: a --check that wrote
    # anything must not overwrite a committed notebook.)
    files = build.built_files()
    stale = notebooks_copy / "lstm.ipynb"
    monkeypatch.setattr(build, "built_files", lambda: {**files, stale: files[stale].replace("LSTM", "GRU")})
    assert build.main(["--check"]) == 1
    assert capsys.readouterr().err.strip() == "out of date (run python -m notebooks.build): notebooks/lstm.ipynb"
    assert stale.read_text(encoding="utf-8") == files[stale]


def test_a_change_to_a_train_script_makes_its_notebook_out_of_date(tmp_path, monkeypatch, capsys):
    """The code cells are the train script's own lines: in a copy of the repository, changing lstm/train.py's
    model.compile( line makes --check fail for lstm's notebook alone (and the build writes the change into it)."""
    import shutil

    for folder in build.FOLDERS:
        (tmp_path / folder).mkdir()
        for name in ("README.md", "train.py"):
            shutil.copy(build.REPO_ROOT / folder / name, tmp_path / folder / name)
    shutil.copytree(NOTEBOOKS_DIR, tmp_path / "notebooks", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(build, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(build, "NOTEBOOKS_DIR", tmp_path / "notebooks")
    monkeypatch.setattr(build, "SOURCE_DIR", tmp_path / "notebooks" / "src")
    monkeypatch.setattr(build, "README", tmp_path / "notebooks" / "README.md")
    assert build.main(["--check"]) == 0
    script = tmp_path / "lstm" / "train.py"
    text = script.read_text(encoding="utf-8")
    assert text.count("        model.compile(optimizer=make_optimizer(") == 1
    changed = text.replace("model.compile(optimizer=make_optimizer(",
                           "model.compile(optimizer=keras.optimizers.SGD(), unused=make_optimizer(")
    script.write_text(changed, encoding="utf-8")
    capsys.readouterr()
    assert build.main(["--check"]) == 1
    assert capsys.readouterr().err.strip() == "out of date (run python -m notebooks.build): notebooks/lstm.ipynb"
    assert build.main([]) == 0 and "keras.optimizers.SGD()" in (tmp_path / "notebooks" / "lstm.ipynb").read_text()


def test_code_sections_are_the_functions_own_lines():
    """code_section: a section of main(), another function's, the part before the first section, the file's imports;
    the flag parsing becomes the settings, a closing return becomes result; a missing section is a ValueError."""
    setup = build.code_section("lstm", "train.py", "Setup")
    assert setup.startswith("config = LstmConfig(quick=QUICK, output_dir=str(OUTPUT_DIR))\n")
    assert "parse_config" not in setup and "argv" not in setup
    assert build.code_section("birnn", "train.py", "Setup", fields="compare=True").startswith(
        "config = BirnnConfig(quick=QUICK, output_dir=str(OUTPUT_DIR), compare=True)\n")
    training = build.code_section("lstm", "train.py", "Training")
    assert training.startswith("# ---- Training") and "history = model.fit(" in training
    assert not training.startswith(" ") and "return" not in training
    evaluation = build.code_section("attention", "train.py", "Evaluation", function="train_model")
    assert evaluation.splitlines()[-1].startswith("result = finish_run(")  # was `return finish_run(...)`
    assert build.code_section("gan", "train.py", "imports").splitlines()[-1] == \
        "from gan.train import GanConfig, make_gan_optimizer"
    with pytest.raises(ValueError, match="has no section 'Testing'"):
        build.code_section("lstm", "train.py", "Testing")
    with pytest.raises(ValueError, match="has no function fit_all"):
        build.code_section("lstm", "train.py", "Data", function="fit_all")


@pytest.mark.parametrize("folder", build.FOLDERS)
def test_notebook_shows_the_lesson_and_the_folders_own_code(folder):
    notebook = nbformat.read(NOTEBOOKS_DIR / f"{folder}.ipynb", as_version=4)
    nbformat.validate(notebook)
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    # The README's lesson, inlined rather than rewritten; every heading of the source is there.
    for heading in ("The idea", "The picture", "The equations", "What to expect", "Try next"):
        assert f"## {heading}\n" in markdown and build.readme_section(folder, heading) in markdown
    assert "<!-- README:" not in markdown
    # The folder's own loader and builder, and compile and fit: its train script's lines, with no directive left.
    assert "# <<<" not in code
    assert f"from {folder}.dataset import" in code and "load_dataset(config)" in code
    assert f"from {folder}.model import" in code and "build_model(" in code
    assert ".compile(" in code and ".fit(" in code
    # Outputs stripped, ids fixed, one parameter cell.
    assert all(cell.get("outputs", []) == [] and cell.get("execution_count") is None for cell in notebook.cells)
    assert [cell.id for cell in notebook.cells] == [f"{folder}-{index:02d}" for index in range(len(notebook.cells))]
    assert sum("parameters" in cell.metadata.get("tags", []) for cell in notebook.cells) == 1


def test_readme_sections_point_their_links_at_the_folder():
    assert build.rebase_link("underfitting.png", "ann") == "../ann/underfitting.png"
    assert build.rebase_link("#the-idea", "ann") == "../ann/README.md#the-idea"
    assert build.rebase_link("../benchmarks/ann.md", "ann") == "../benchmarks/ann.md"
    assert build.rebase_link("https://keras.io/", "ann") == "https://keras.io/"
    assert "](../birnn/README.md#what-limits-the-forward-only-model)" in build.readme_section("birnn", "What to expect")
    with pytest.raises(ValueError, match="no section '## Missing'"):
        build.readme_section("ann", "Missing")


def test_source_cells_are_read_in_percent_format(tmp_path):
    source = tmp_path / "example.py"
    source.write_text('# a header line\n\n# %% [markdown]\n# ## Title\n#\n# text\n\n# %% tags=["parameters"]\nQUICK = '
                      'False\n\n# %%\nimport keras\n# %matplotlib inline\n')
    cells = build.read_cells(source)
    assert [(cell["kind"], cell["tags"]) for cell in cells] == [("markdown", []), ("code", ["parameters"]),
                                                                ("code", [])]
    assert "\n".join(cells[0]["lines"]).strip() == "## Title\n\ntext"
    assert cells[2]["lines"][:2] == ["import keras", "%matplotlib inline"]
    source.write_text("# %% [markdown]\nnot a comment\n")
    with pytest.raises(ValueError, match="must start with '# '"):
        build.read_cells(source)


def test_colab_links_follow_repository_url():
    assert build.colab_link("lstm", "https://github.com/someone/keras-examples") == (
        "https://colab.research.google.com/github/someone/keras-examples/blob/main/notebooks/lstm.ipynb")
    assert build.colab_link("lstm", "") == ""
    setup = nbformat.read(NOTEBOOKS_DIR / "gan.ipynb", as_version=4).cells[2].source
    assert f"REPOSITORY_URL = {json.dumps(build.REPOSITORY_URL)}" in setup and '"google.colab" in sys.modules' in setup
    table = build.notebook_table("https://github.com/someone/keras-examples")
    assert table.count("[Open in Colab](https://colab.research.google.com/github/someone/") == len(build.FOLDERS)


# ----------------------------------------------------------------------------------------------------------------
# Every notebook runs


@pytest.mark.parametrize("folder", build.FOLDERS)
def test_notebook_runs_with_quick_settings(folder, tmp_path, monkeypatch, capsys):
    """Every code cell, in order, in this process; the kernel's working folder is notebooks/, as in Jupyter."""
    import keras
    import matplotlib.pyplot as plt

    monkeypatch.chdir(NOTEBOOKS_DIR)
    before = {path.name for path in NOTEBOOKS_DIR.iterdir()}
    keras.backend.clear_session()
    plt.close("all")
    namespace = run_in_process(quick_notebook(folder, tmp_path / "runs"))
    result = namespace["result"]
    assert namespace["config"].quick and result["run_dir"].startswith(str(tmp_path / "runs" / folder))
    assert_quick_result(folder, result)
    if "loss" in result["history"]:  # every model but the GAN, whose two players' losses need not fall
        assert result["history"]["loss"][-1] < result["history"]["loss"][0]
    assert result["summary"] in capsys.readouterr().out
    # The pictures the run saved, each shown as a matplotlib figure holding its image.
    figures = namespace["figures"]
    assert figures and all(figure.axes[0].get_images() for figure in figures)
    assert {path.name for path in NOTEBOOKS_DIR.iterdir()} - {"__pycache__"} == before - {"__pycache__"}
    plt.close("all")


def run_kernel(folder: str, tmp_path) -> nbformat.NotebookNode:
    """The notebook executed by nbclient in a fresh ipykernel started in notebooks/, as Jupyter starts it."""
    from nbclient import NotebookClient

    notebook = quick_notebook(folder, tmp_path / "runs")
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}).execute()  # raises on a cell's error
    return notebook


def assert_kernel_outputs(folder: str, notebook: nbformat.NotebookNode) -> None:
    """The summary line is printed, the pictures are shown inline as PNG images, no cell wrote an error."""
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    printed = "".join(output.text for output in outputs if output.output_type == "stream" and output.name == "stdout")
    [summary] = [line for line in printed.splitlines() if line.startswith("test_")]
    run_dir = summary.split("run_dir=")[1]
    with open(f"{run_dir}/metrics.json") as file:
        assert_quick_result(folder, {**json.load(file), "run_dir": run_dir})
    [pictures_cell] = [cell for cell in notebook.cells if "show_pictures(" in cell.source]
    assert sum("image/png" in output.get("data", {}) for output in pictures_cell.outputs) >= 1


def test_rnn_notebook_runs_in_a_jupyter_kernel(tmp_path):
    assert_kernel_outputs("rnn", run_kernel("rnn", tmp_path))


@pytest.mark.slow
@pytest.mark.parametrize("folder", build.FOLDERS)
def test_notebook_runs_in_a_jupyter_kernel(folder, tmp_path):
    assert_kernel_outputs(folder, run_kernel(folder, tmp_path))
