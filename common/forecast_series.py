"""The three series the recurrent folders forecast, each split in time by common/forecasting.py.

    data = load_airline(window=3)                    # x_train (n, 3, 1): 3 months in, the next month out

sine is generated (its noise-free values kept: the noise floor of common/forecast_evaluation.py), airline ships in
data/, and stock inside matplotlib.
"""

from pathlib import Path

import numpy as np

from common.config import REPO_ROOT
from common.datasets import SPLIT_SEED, Dataset
from common.forecasting import forecasting_dataset

SERIES = ("sine", "airline", "stock")
# Each series' own window and transform: what --window and --transform mean when they are left out. (airline's
# three-month window is what `python -m benchmarks.tune lstm` chose by the mean validation RMSE over three
# rolling-origin blocks: benchmarks/tune_lstm.md)
DEFAULT_WINDOW = {"sine": 20, "airline": 3, "stock": 30}
DEFAULT_TRANSFORM = {"sine": "none", "airline": "seasonal-log-difference", "stock": "log-difference"}
AIRLINE_FILE = REPO_ROOT / "data" / "airline_passengers.csv"


def load_sine(
    window: int = DEFAULT_WINDOW["sine"],
    many_to_many: bool = False,
    transform: str = DEFAULT_TRANSFORM["sine"],
    num_points: int = 1000,
    cycle_length: float = 50.0,
    noise: float = 0.1,
    validation_shift: int = 0,
) -> Dataset:
    """sin(2 pi t / cycle_length) plus Gaussian noise of standard deviation `noise`; split 75/25 in time.

    The target is the next *noisy* value, whose noise no model can predict: the noise-free sine scores the best
    RMSE possible (about `noise`), reported as the noise_floor baseline.
    """
    if num_points < 20:
        raise ValueError(f"--num-points must be at least 20 (got {num_points})")
    steps = np.arange(num_points)
    clean = np.sin(2 * np.pi * steps / cycle_length)
    noisy = clean + noise * np.random.default_rng(SPLIT_SEED).standard_normal(num_points)
    return forecasting_dataset(
        "sine",
        noisy,
        window,
        0.25,
        transform,
        many_to_many,
        clean=clean,
        validation_shift=validation_shift,
        source=f"generated: sine of period {cycle_length:g} + N(0, {noise:g}^2) noise",
    )


def read_airline_passengers(path: Path = AIRLINE_FILE) -> tuple[list[str], np.ndarray]:
    """Months ('1949-01', ...) and passengers (thousands) from the shipped CSV file."""
    try:
        lines = path.read_text().split()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from None
    if not lines or lines[0] != "month,passengers":
        raise ValueError(f"{path} must start with the header month,passengers")
    rows = [line.split(",") for line in lines[1:]]
    return [month for month, _ in rows], np.array([float(value) for _, value in rows])


def load_airline(
    window: int = DEFAULT_WINDOW["airline"],
    many_to_many: bool = False,
    transform: str = DEFAULT_TRANSFORM["airline"],
    validation_shift: int = 0,
) -> Dataset:
    """Monthly international airline passengers 1949-1960 (Box & Jenkins), split 67/33 in time."""
    months, passengers = read_airline_passengers()
    return forecasting_dataset(
        "airline",
        passengers,
        window,
        0.33,
        transform,
        many_to_many,
        season=12,
        dates=months,
        time_unit="month",
        unit="passengers (thousands)",
        validation_shift=validation_shift,
        source="data/airline_passengers.csv (Box, Jenkins & Reinsel, series G)",
    )


def load_stock(
    window: int = DEFAULT_WINDOW["stock"],
    many_to_many: bool = False,
    transform: str = DEFAULT_TRANSFORM["stock"],
    validation_shift: int = 0,
) -> Dataset:
    """Google's daily closing price, 2004-08-19 to 2008-10-14 (1,047 trading days, matplotlib's goog.npz)."""
    import matplotlib  # the file ships with matplotlib; np.load with allow_pickle=False reads its structured array

    path = Path(matplotlib.get_data_path()) / "sample_data" / "goog.npz"
    with np.load(path, allow_pickle=False) as archive:
        prices = archive["price_data"]
    return forecasting_dataset(
        "stock",
        prices["close"],
        window,
        0.25,
        transform,
        many_to_many,
        dates=[str(day) for day in prices["date"]],
        time_unit="trading day",
        unit="closing price (US dollars)",
        validation_shift=validation_shift,
        source="matplotlib sample data goog.npz (Google daily prices, Yahoo! Finance)",
    )
