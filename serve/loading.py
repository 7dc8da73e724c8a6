"""Which task serves a run folder, and the check at start-up that its model answers.

    task = load_task("runs/ann/digits-20261122-184501")   # an ImageClassifier (serve/tasks.py), warmed up and timed

The kinds live in serve/tasks.py (image, features, sequence, forecast) and serve/generative.py (text, translation,
reconstruction, samples); this module imports both, and neither imports the other.
"""

import time

from common.flags import require
from serve import generative, tasks
from serve.run_folder import RunFolder, open_run_folder


def make_task(run: RunFolder) -> tasks.Task:
    """The task class that fits the run (see the module docstring's table); ValueError for a run serve cannot take."""
    if run.inputs:  # inputs.json names the kind of input (ann/, cnn/): no data set is loaded
        return {"image": tasks.ImageClassifier, "features": tasks.FeatureModel}[run.inputs["kind"]](run)
    dataset = run.dataset
    if run.folder == "gan":
        return generative.Samples(run)
    if run.folder == "autoencoder":
        return generative.Reconstruction(run)
    if run.folder == "attention":
        return generative.Translation(run)
    if dataset.task == "generation":
        return generative.TextGenerator(run)
    if dataset.meta.get("forecast"):
        return tasks.Forecaster(run)
    require(
        dataset.name != "imdb",
        "serving an imdb run needs Keras' IMDB word index (a download) to turn a review "
        "into word ids; serve does not do that yet",
    )
    if dataset.name in tasks.IMAGE_DATASETS:  # deep_rnn/ and birnn/ reading digit images row by row
        return tasks.ImageClassifier(run)
    return tasks.SequenceModel(run)


def load_task(run_dir) -> tasks.Task:
    """Open the run folder, choose its task, and answer the task's own example (twice: the second, warm, answer is
    timed for the queue's first estimate): a model that cannot run fails here, at start-up, rather than on the first
    request. ValueError in one sentence for anything wrong."""
    try:
        task = make_task(open_run_folder(run_dir))
    except RecursionError:  # a JSON file of the folder (attention's vocabulary.json) nested beyond Python's limit
        raise ValueError(f"{run_dir}: a JSON file in it is nested too deeply to be read") from None
    try:
        example = task.Body.model_validate(task.example())
        task.answer(example)  # the first call traces the compiled graph: slow, and not what a request will take
        start = time.perf_counter()
        task.answer(example)
        task.seconds_per_unit = (time.perf_counter() - start) / task.work(example)  # the queue's first estimate
    except Exception as error:
        raise ValueError(
            f"{run_dir}: the model cannot answer its own example ({type(error).__name__}: "
            f"{' '.join(str(error).split())[:200]})"
        ) from None
    return task
