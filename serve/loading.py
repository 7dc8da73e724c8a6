"""Which task serves a run folder, and the check at start-up that its model answers.

    task = load_task("runs/ann/digits-20261122-184501")   # an ImageClassifier (serve/tasks.py), warmed up and timed

The kinds live in serve/tasks.py (image, features, sequence, forecast) and serve/generative.py (text, translation,
reconstruction, samples); this module imports both, and neither imports the other.
"""

import time

from common.flags import require
from serve import generative, tasks
from serve.run_folder import RunFolder, open_run_folder


KINDS = {
    task.kind: task
    for task in (
        tasks.ImageClassifier,
        tasks.FeatureModel,
        tasks.SequenceModel,
        tasks.Forecaster,
        generative.TextGenerator,
        generative.Translation,
        generative.Reconstruction,
        generative.Samples,
    )
}


def make_task(run: RunFolder) -> tasks.Task:
    """The task of the run's kind of input (inputs.json's); ValueError for a run serve cannot take."""
    require(
        run.inputs["kind"] != "tokens",
        "serving a model of word ids (imdb) needs Keras' IMDB word index (a download) to turn a review "
        "into word ids; serve does not do that yet",
    )
    return KINDS[run.inputs["kind"]](run)


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
