"""Show the pictures a run saved, inline in a notebook, with matplotlib.

    from notebooks.pictures import show_pictures
    figures = show_pictures(run_dir, "learning_curves.png", "confusion_matrix.png")    # run_dir/plots/<name>

The train scripts' helpers draw every picture into the run folder (common/plots.py and each folder's own plots); a
notebook shows those very files rather than drawing them a second time, so the notebook and `python -m <folder>.train`
always show the same pictures.
"""

from pathlib import Path

import matplotlib.pyplot as plt

DPI = 110  # the resolution common/plots.py saves at: each picture is shown at the size it was drawn


def show_pictures(run_dir: str | Path, *names: str) -> list[plt.Figure]:
    """One matplotlib figure per picture run_dir/plots/<name>, in the order given; a notebook shows them below the
    cell (assign the list, `figures = show_pictures(...)`, so that it is not printed as well)."""
    figures = []
    for name in names:
        image = plt.imread(Path(run_dir) / "plots" / name)  # (height, width, 4) RGBA values in 0..1
        height, width = image.shape[:2]
        figure = plt.figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        axis = figure.add_axes((0.0, 0.0, 1.0, 1.0))  # the picture fills the figure: it has its own titles and axes
        axis.imshow(image)
        axis.set_axis_off()
        figures.append(figure)
    return figures
