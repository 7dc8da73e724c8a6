"""A fully connected network from first principles, in NumPy only: forward pass, backpropagation, mini-batch SGD.

    python -m ann.scratch                                   # logistic regression and a 64-unit MLP on digits
    python -m ann.scratch --hidden-units 128,64 --activation tanh --epochs 50

It starts from one neuron (the worked example of `worked_example`), builds `Dense` layers and an `MLP` out of them,
trains a multinomial logistic regression and an MLP with plain mini-batch SGD, and checks every backpropagated
gradient against central finite differences. `tests/test_ann_scratch.py` copies Keras `Dense` weights into these
classes and asserts that outputs and gradients agree. There is no Keras or TensorFlow anywhere in this file.
"""

import dataclasses
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np

if __package__ in (None, ""):  # run as a file (python ann/scratch.py): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common.config import parse_int_list
from common.flags import exit_on_bad_input, format_config, option, parse_config, require

EPSILON = 1e-7  # Probabilities are clipped to [EPSILON, 1 - EPSILON] before a log, as Keras does: log(0) is -inf.
HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid")
DATASETS = ("digits", "breast_cancer", "mnist5k")  # ann.dataset's embedded classification sets (no Keras download)
QUICK_EPOCHS = 5
LOGISTIC_REGRESSION = {"learning_rate": 0.1, "batch_size": 100, "epochs": 20}

# ----------------------------------------------------------------------------------------------------------------
# Activations and their derivatives. Each derivative takes the pre-activation z, the value the layer caches.


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0), elementwise: z of any shape -> the same shape."""
    return np.maximum(z, 0.0)


def relu_derivative(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0; same shape as z."""
    return (z > 0).astype(z.dtype)  # At the kink z = 0 we pick 0, as Keras does.


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), elementwise, squashing any real number into (0, 1); same shape as z."""
    # exp(-|z|) never overflows; the two branches are the same function written for z >= 0 and z < 0.
    exp_minus_abs = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + exp_minus_abs), exp_minus_abs / (1.0 + exp_minus_abs))


def sigmoid_derivative(z: np.ndarray) -> np.ndarray:
    """sigmoid(z) * (1 - sigmoid(z)); at most 0.25, which is why deep sigmoid stacks learn slowly."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """(exp(z) - exp(-z)) / (exp(z) + exp(-z)), elementwise, into (-1, 1) and centred on 0; same shape as z."""
    return np.tanh(z)


def tanh_derivative(z: np.ndarray) -> np.ndarray:
    """1 - tanh(z)^2; same shape as z."""
    return 1.0 - np.tanh(z) ** 2


def softmax(z: np.ndarray) -> np.ndarray:
    """(batch, classes) scores -> (batch, classes) probabilities that sum to 1 along the last axis."""
    shifted = z - z.max(axis=-1, keepdims=True)  # softmax(z) = softmax(z - c); the shift keeps exp() from overflowing
    exps = np.exp(shifted)
    return exps / exps.sum(axis=-1, keepdims=True)


def softmax_backward(z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
    """Gradient wrt z (batch, classes) given grad_out = dL/dsoftmax(z) (batch, classes).

    Softmax mixes the classes, so its derivative is a Jacobian diag(s) - s s^T per example, not an elementwise
    factor; multiplying grad_out by it gives s * (grad_out - sum(grad_out * s)).
    """
    s = softmax(z)
    return s * (grad_out - np.sum(grad_out * s, axis=-1, keepdims=True))


ACTIVATIONS = {"relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax}
DERIVATIVES = {"relu": relu_derivative, "sigmoid": sigmoid_derivative, "tanh": tanh_derivative}  # softmax: above

# ----------------------------------------------------------------------------------------------------------------
# Losses (mean over the batch) and their gradients wrt the prediction.


def to_one_hot(labels: np.ndarray, num_classes: int) -> np.ndarray:
    """(batch,) class indices -> (batch, num_classes) rows of 0s with a 1 at the class."""
    return np.eye(num_classes)[labels]


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Mean of (y_pred - y_true)^2 over every entry; y_true and y_pred of the same shape."""
    return float(np.mean((y_pred - y_true) ** 2))


def mean_squared_error_gradient(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """dL/dy_pred, shape of y_pred."""
    return 2.0 * (y_pred - y_true) / y_pred.size


def binary_cross_entropy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """y_pred: probabilities of class 1, any shape; y_true: 0/1 labels of the same shape."""
    p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
    return float(-np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p)))


def binary_cross_entropy_gradient(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """dL/dy_pred = (p - y) / (p (1 - p)) / size, shape of y_pred."""
    p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
    return (p - y_true) / (p * (1.0 - p)) / y_pred.size


def categorical_cross_entropy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """y_pred: (batch, classes) probabilities; y_true: (batch,) class indices or (batch, classes) one-hot rows."""
    if y_true.ndim == 1:
        y_true = to_one_hot(y_true, y_pred.shape[-1])
    return float(-np.sum(y_true * np.log(np.clip(y_pred, EPSILON, 1.0 - EPSILON))) / len(y_pred))


def categorical_cross_entropy_gradient(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """dL/dy_pred = -y / p / batch, (batch, classes); only the true class's probability gets a gradient."""
    if y_true.ndim == 1:
        y_true = to_one_hot(y_true, y_pred.shape[-1])
    return -y_true / np.clip(y_pred, EPSILON, 1.0 - EPSILON) / len(y_pred)


LOSSES = {  # the loss that goes with each output activation, and its gradient
    "softmax": (categorical_cross_entropy, categorical_cross_entropy_gradient),
    "sigmoid": (binary_cross_entropy, binary_cross_entropy_gradient),
}

# ----------------------------------------------------------------------------------------------------------------
# One neuron by hand: the worked example students meet first.


def worked_example(learning_rate: float = 0.1) -> dict:
    """Predict whether a student passes from hours studied and slept, score it against label 0, take one step."""
    x = np.array([2.0, 5.0])  # hours_studied, sleep_hours
    weights, bias, label = np.array([0.4, 0.3]), 0.2, 0.0
    z = float(x @ weights + bias)  # 0.4 * 2 + 0.3 * 5 + 0.2 = 2.5
    prediction = float(sigmoid(np.array(z)))  # 0.9241
    rounded = round(prediction, 2)  # the 0.92 students compute by hand
    loss_before = binary_cross_entropy(np.array(label), np.array(prediction))
    # Chain rule: dL/dz = dL/dp * dp/dz, which for sigmoid + binary cross-entropy simplifies to p - y.
    grad_z = binary_cross_entropy_gradient(np.array(label), np.array(prediction)) * sigmoid_derivative(np.array(z))
    weights_after, bias_after = weights - learning_rate * grad_z * x, bias - learning_rate * grad_z
    prediction_after = float(sigmoid(np.array(x @ weights_after + bias_after)))
    return {
        "z": z, "prediction": prediction, "prediction_rounded": rounded,
        "mean_squared_error": mean_squared_error(np.array(label), np.array(rounded)),
        "binary_cross_entropy": binary_cross_entropy(np.array(label), np.array(rounded)),
        "loss_before": loss_before,
        "loss_after": binary_cross_entropy(np.array(label), np.array(prediction_after)),
        "weights_after": weights_after.tolist(), "bias_after": float(bias_after),
    }

# ----------------------------------------------------------------------------------------------------------------
# Layers and networks.


class Dense:
    """y = activation(x @ W + b), with W (n_in, n_out) laid out like Keras `Dense.kernel` and b (n_out,)."""

    def __init__(self, n_in: int, n_out: int, activation: str = "relu", rng: np.random.Generator | None = None):
        require(activation in ACTIVATIONS, f"activation must be one of {', '.join(ACTIVATIONS)} (got {activation!r})")
        rng = rng if rng is not None else np.random.default_rng(0)
        # He uniform keeps the variance of relu outputs steady from layer to layer (relu zeroes half of them);
        # Glorot uniform does the same for activations that are symmetric around 0 near the origin.
        limit = np.sqrt(6.0 / n_in) if activation == "relu" else np.sqrt(6.0 / (n_in + n_out))
        self.W = rng.uniform(-limit, limit, size=(n_in, n_out))
        self.b = np.zeros(n_out)
        self.activation = activation
        self.dW, self.db = np.zeros_like(self.W), np.zeros_like(self.b)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(batch, n_in) -> (batch, n_out); keeps x and z = x @ W + b for the backward pass."""
        self.x = x
        self.z = x @ self.W + self.b
        return ACTIVATIONS[self.activation](self.z)

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        """dL/doutput (batch, n_out) -> dL/dx (batch, n_in); stores dW (n_in, n_out) and db (n_out,)."""
        if self.activation == "softmax":
            grad_z = softmax_backward(self.z, grad_out)
        else:
            grad_z = grad_out * DERIVATIVES[self.activation](self.z)
        return self.backward_from_preactivation(grad_z)

    def backward_from_preactivation(self, grad_z: np.ndarray) -> np.ndarray:
        """dL/dz (batch, n_out) -> dL/dx (batch, n_in). As z = x @ W + b: dL/dW = x^T dL/dz, dL/db = sum of dL/dz."""
        self.dW = self.x.T @ grad_z
        self.db = grad_z.sum(axis=0)
        return grad_z @ self.W.T


class MLP:
    """A stack of Dense layers: layer_sizes [64, 32, 10] means 64 inputs, one hidden layer of 32 units, 10 outputs.

    The loss follows the output: softmax -> categorical cross-entropy (classes), sigmoid -> binary cross-entropy.
    """

    def __init__(self, layer_sizes: Sequence[int], hidden_activation: str = "relu",
                 output_activation: str = "softmax", seed: int = 0):
        require(len(layer_sizes) >= 2, f"an MLP needs an input size and an output size (got {list(layer_sizes)})")
        require(output_activation in LOSSES, f"output activation must be one of {', '.join(LOSSES)}")
        rng = np.random.default_rng(seed)
        activations = [hidden_activation] * (len(layer_sizes) - 2) + [output_activation]
        self.layers = [Dense(n_in, n_out, activation, rng)
                       for n_in, n_out, activation in zip(layer_sizes[:-1], layer_sizes[1:], activations)]
        self.loss_function, self.loss_gradient = LOSSES[output_activation]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """(batch, n_inputs) -> (batch, n_outputs), e.g. class probabilities; each layer caches what backward needs."""
        for layer in self.layers:
            x = layer.forward(x)
        self.output = x
        return x

    def loss(self, x: np.ndarray, y: np.ndarray) -> float:
        """Forward pass on x (batch, n_inputs), then the mean loss against targets y; caches for backward."""
        return self.loss_function(y, self.forward(x))

    def backward(self, y: np.ndarray) -> None:
        """Backpropagate the loss of the last forward pass against targets y; fills every layer's dW and db."""
        last = self.layers[-1]
        if last.activation == "softmax":
            # Softmax and cross-entropy together have the simple gradient dL/dz = (p - y) / batch, which skips the
            # softmax Jacobian and the division by p (unstable when p is tiny).
            one_hot = to_one_hot(y, self.output.shape[-1]) if y.ndim == 1 else y
            grad = last.backward_from_preactivation((self.output - one_hot) / len(self.output))
        else:
            grad = last.backward(self.loss_gradient(y, self.output))
        for layer in reversed(self.layers[:-1]):
            grad = layer.backward(grad)

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(batch, n_inputs) -> (batch,) class indices (softmax output) or (batch, n_outputs) raw outputs."""
        output = self.forward(x)
        return output.argmax(axis=-1) if self.layers[-1].activation == "softmax" else output

    def parameters(self) -> list[np.ndarray]:
        """[W1, b1, W2, b2, ...]: the arrays themselves, so updating them in place changes the model."""
        return [array for layer in self.layers for array in (layer.W, layer.b)]

    def gradients(self) -> list[np.ndarray]:
        """[dW1, db1, dW2, db2, ...] from the last backward pass, in the order of parameters()."""
        return [array for layer in self.layers for array in (layer.dW, layer.db)]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy in [kernel1, bias1, kernel2, bias2, ...], e.g. a Keras model's get_weights() (same layout)."""
        for index, layer in enumerate(self.layers):
            layer.W, layer.b = np.array(weights[2 * index]), np.array(weights[2 * index + 1])

    def count_parameters(self) -> int:
        return sum(array.size for array in self.parameters())


def build_logistic_regression(num_features: int, num_classes: int, seed: int = 0) -> MLP:
    """Multinomial logistic regression is an MLP with no hidden layer: softmax(x @ W + b)."""
    return MLP([num_features, num_classes], output_activation="softmax", seed=seed)

# ----------------------------------------------------------------------------------------------------------------
# Training with mini-batch stochastic gradient descent.


def sgd_step(model: MLP, learning_rate: float) -> None:
    """Move every parameter a small step against its gradient: p <- p - learning_rate * dL/dp."""
    for parameter, gradient in zip(model.parameters(), model.gradients()):
        parameter -= learning_rate * gradient  # in place, so the layer sees the new values


def train(model: MLP, x: np.ndarray, y: np.ndarray, learning_rate: float, batch_size: int, epochs: int,
          seed: int = 0, log_every: int = 0) -> list[float]:
    """Mini-batch SGD on x (n, n_inputs) and y (n,) or (n, n_outputs); returns the mean training loss per epoch."""
    rng = np.random.default_rng(seed)
    history = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(len(x))  # a new order every epoch, so batches differ from epoch to epoch
        total_loss = 0.0
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            total_loss += model.loss(x[batch], y[batch]) * len(batch)
            model.backward(y[batch])
            sgd_step(model, learning_rate)
        history.append(total_loss / len(x))
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            print(f"  epoch {epoch:3d}/{epochs}  loss {history[-1]:.4f}")
    return history


def accuracy(model: MLP, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of the examples x (n, n_inputs) whose predicted class equals y (n,)."""
    return float(np.mean(model.predict(x) == y))

# ----------------------------------------------------------------------------------------------------------------
# Gradient check: backpropagation against central finite differences.


def numerical_gradients(model: MLP, x: np.ndarray, y: np.ndarray, epsilon: float = 1e-5) -> list[np.ndarray]:
    """dL/dp for every parameter p by (L(p + epsilon) - L(p - epsilon)) / (2 epsilon), one entry at a time."""
    gradients = []
    for parameter in model.parameters():
        gradient = np.zeros_like(parameter)
        for index in np.ndindex(parameter.shape):
            original = parameter[index]
            parameter[index] = original + epsilon
            loss_plus = model.loss(x, y)
            parameter[index] = original - epsilon
            loss_minus = model.loss(x, y)
            parameter[index] = original
            gradient[index] = (loss_plus - loss_minus) / (2 * epsilon)
        gradients.append(gradient)
    return gradients


def max_relative_error(analytic: Sequence[np.ndarray], numerical: Sequence[np.ndarray]) -> float:
    """Largest |a - b| / max(|a| + |b|, tiny) over the parameter arrays, |.| being the Euclidean norm of the array.

    About 1e-9 when backpropagation is right, 1e-2 or more when it is not. The norms are of whole arrays because
    rounding in a finite difference is about 1e-11 whatever the entry: next to a true gradient entry of 1e-5 that
    alone is a 1e-6 relative error, while the array as a whole is measured precisely.
    """
    tiny = np.finfo(np.float64).tiny
    return max(float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), tiny))
               for a, b in zip(analytic, numerical))


def gradient_check(layer_sizes: Sequence[int] = (6, 5, 4), hidden_activation: str = "tanh", batch_size: int = 4,
                   epsilon: float = 1e-5, seed: int = 0) -> float:
    """Build a small float64 MLP and a random batch, and return the max relative error of its backprop gradients.

    tanh (or sigmoid) hidden units are smooth; relu has a kink at 0 where a finite difference can straddle it.
    """
    rng = np.random.default_rng(seed)
    model = MLP(layer_sizes, hidden_activation=hidden_activation, seed=seed)
    for layer in model.layers:
        layer.b = rng.normal(0.0, 0.1, size=layer.b.shape)  # non-zero biases, so their role is checked too
    x = rng.normal(size=(batch_size, layer_sizes[0]))
    y = rng.integers(0, layer_sizes[-1], size=batch_size)
    model.loss(x, y)
    model.backward(y)
    return max_relative_error(model.gradients(), numerical_gradients(model, x, y, epsilon))

# ----------------------------------------------------------------------------------------------------------------
# Command line.


@dataclasses.dataclass
class ScratchConfig:
    """Settings of the from-scratch run (its own small set: no optimizer, patience or run folder here)."""

    dataset: str = option("digits", "classification dataset to train on", choices=DATASETS)
    hidden_units: str = option("64", "comma-separated sizes of the hidden layers, e.g. 128,64")
    activation: str = option("relu", "activation of the hidden layers", choices=HIDDEN_ACTIVATIONS)
    learning_rate: float = option(0.1, "SGD step size of the MLP")
    batch_size: int = option(32, "examples per gradient step of the MLP")
    epochs: int = option(30, "passes over the training data for the MLP")
    seed: int = option(0, "random seed for weights and shuffling (data splits are fixed)")
    quick: bool = option(False, f"at most {QUICK_EPOCHS} epochs on a small slice of the data, for tests")

    def __post_init__(self) -> None:
        require(self.dataset in DATASETS, f"--dataset must be one of {', '.join(DATASETS)} (got {self.dataset!r})")
        require(self.activation in HIDDEN_ACTIVATIONS,
                f"--activation must be one of {', '.join(HIDDEN_ACTIVATIONS)} (got {self.activation!r})")
        parse_int_list(self.hidden_units, "--hidden-units")
        require(0 < self.learning_rate < 10, f"--learning-rate must be between 0 and 10 (got {self.learning_rate})")
        require(self.batch_size >= 1, f"--batch-size must be at least 1 (got {self.batch_size})")
        require(self.epochs >= 1, f"--epochs must be at least 1 (got {self.epochs})")
        require(self.seed >= 0, f"--seed must be 0 or more (got {self.seed})")


def main(argv: Sequence[str] | None = None) -> dict:
    """Parse flags, train logistic regression and the MLP, check gradients; return the summary line's values."""
    config = parse_config(ScratchConfig, argv, description=__doc__.splitlines()[0])
    print(format_config(config))
    example = worked_example()
    print(f"worked example: z={example['z']:.2f} prediction={example['prediction']:.4f} "
          f"loss {example['loss_before']:.4f} -> {example['loss_after']:.4f} after one step")

    from ann.dataset import load_dataset  # here, not at the top: a bad flag is answered before scikit-learn loads

    with exit_on_bad_input():
        data = load_dataset(config)
    epochs, logistic_settings = config.epochs, dict(LOGISTIC_REGRESSION)
    if config.quick:
        data = data.quick_slice()
        epochs, logistic_settings["epochs"] = min(epochs, QUICK_EPOCHS), QUICK_EPOCHS
    print(f"data: {config.dataset}, {data.sizes()}, {data.input_shape[0]} features, {data.num_classes} classes")

    logistic = build_logistic_regression(data.input_shape[0], data.num_classes, seed=config.seed)
    print(f"logistic regression ({logistic.count_parameters()} parameters), "
          + ", ".join(f"{name} {value}" for name, value in logistic_settings.items()))
    start = time.perf_counter()
    train(logistic, data.x_train, data.y_train, **logistic_settings, seed=config.seed, log_every=5)
    logistic_seconds = time.perf_counter() - start
    logistic_accuracy = accuracy(logistic, data.x_test, data.y_test)

    sizes = [data.input_shape[0], *parse_int_list(config.hidden_units, "--hidden-units"), data.num_classes]
    model = MLP(sizes, hidden_activation=config.activation, seed=config.seed)
    print(f"MLP {'-'.join(map(str, sizes))} {config.activation} ({model.count_parameters()} parameters)")
    start = time.perf_counter()
    train(model, data.x_train, data.y_train, config.learning_rate, config.batch_size, epochs,
          seed=config.seed, log_every=max(1, epochs // 5))
    train_seconds = time.perf_counter() - start
    print(f"validation accuracy {accuracy(model, data.x_val, data.y_val):.4f}, "
          f"logistic regression test accuracy {logistic_accuracy:.4f}")

    results = {
        "test_accuracy": accuracy(model, data.x_test, data.y_test),
        "logistic_regression_test_accuracy": logistic_accuracy,
        "logistic_regression_params": logistic.count_parameters(),
        "logistic_regression_train_seconds": logistic_seconds,
        "gradient_check_max_rel_error": gradient_check(),
        "params": model.count_parameters(),
        "train_seconds": train_seconds,
    }
    print(f"test_accuracy={results['test_accuracy']:.4f} "
          f"logistic_regression_test_accuracy={logistic_accuracy:.4f} "
          f"logistic_regression_params={logistic.count_parameters()} "
          f"logistic_regression_train_seconds={logistic_seconds:.1f} "
          f"gradient_check_max_rel_error={results['gradient_check_max_rel_error']:.1e} "
          f"params={model.count_parameters()} train_seconds={train_seconds:.1f}")
    return results


if __name__ == "__main__":
    main()
