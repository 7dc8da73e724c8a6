"""The forecaster a run saves (rnn/, lstm/, gru/, deep_rnn/, birnn/ on a series): the last values of the series in
their own units in, the next value in the same units out, the transform and the scaling done by two layers.

    model = end_to_end_forecaster(network, dataset)        # (batch, window + lag) -> (batch, 1)
    model.predict(np.array([[112.0, 118.0, ..., 148.0]]))  # airline: 15 months of passengers -> the 16th

The network was trained on windows that common/forecasting.py made from the series: transformed (transform_series:
the change of the log since a season ago, ...), then standardized with the training split's mean and standard
deviation. SeriesWindow does the same to a history, in keras.ops (any backend); NextValue undoes it for the network's
output: the standardization, then the transform, from the value `lag` steps before the one forecast. Training is
unchanged: it still reads the arrays dataset.py made once (Keras' advice: preprocess outside the model to train,
inside it to serve). A history needs `window + lag` values: the window, and `lag` before it for the transform.
"""

import keras
from keras import layers, ops

from common.tasks import inference_copy

LOG_TRANSFORMS = ("log-difference", "seasonal-log-difference")


class SeriesLayer(layers.Layer):
    """What both layers hold: the run's transform, its lag, and the training split's mean and standard deviation."""

    def __init__(self, transform: str, lag: int, mean: float, std: float, **kwargs):
        kwargs.setdefault("dtype", "float32")  # float32 also under --mixed-precision: a log of float16 loses digits
        super().__init__(**kwargs)
        self.transform, self.lag, self.mean, self.std = transform, lag, mean, std

    def get_config(self) -> dict:
        settings = {"transform": self.transform, "lag": self.lag, "mean": self.mean, "std": self.std}
        return {**super().get_config(), **settings}


@keras.saving.register_keras_serializable(package="common")
class SeriesWindow(SeriesLayer):
    """(batch, window + lag) values -> (batch, window, 1): transformed and standardized as the training windows."""

    def call(self, history):
        values = ops.log(history) if self.transform in LOG_TRANSFORMS else history
        if self.lag:  # the change since `lag` steps before
            values = values[:, self.lag :] - values[:, : -self.lag]
        return ops.expand_dims((values - self.mean) / self.std, axis=-1)


@keras.saving.register_keras_serializable(package="common")
class NextValue(SeriesLayer):
    """(the network's output, the history) -> (batch, 1): the next value in the series' own units. A many-to-many
    network is read at its last step, which forecasts the same next value as a many-to-one network does."""

    def call(self, inputs):
        output, history = inputs
        if len(output.shape) == 3:  # (batch, steps, 1)
            output = output[..., 0]
        change = ops.cast(output[:, -1:], "float32") * self.std + self.mean  # many-to-many: its last step
        if self.transform == "none":
            return change
        needed = history.shape[1]
        earlier = history[:, needed - self.lag : needed - self.lag + 1]  # the value `lag` steps before the next
        return earlier + change if self.transform == "difference" else earlier * ops.exp(change)


def end_to_end_forecaster(network: keras.Model, dataset) -> keras.Model:
    """The model a forecasting run saves: history (batch, window + lag) in the series' units -> the next value.

    The trained network inside is a copy (common/tasks.py's inference_copy); SeriesWindow and NextValue hold the
    transform and the training split's scaler from dataset.meta as constants, not weights."""
    meta = dataset.meta
    window = dataset.x_train.shape[1]
    lag = meta["lag"]  # 0, 1 or the season: how far back the transform compares
    scaler = meta["target_scaler"]
    settings = {"transform": meta["transform"], "lag": lag, "mean": scaler.mean, "std": scaler.std}
    history = keras.Input(shape=(window + lag,), name="history")
    output = inference_copy(network)(SeriesWindow(**settings, name="to_window")(history))
    return keras.Model(history, NextValue(**settings, name="next_value")([output, history]), name="forecaster")
