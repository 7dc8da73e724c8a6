"""The pictures of autoencoder/README.md: the default convolutional autoencoder, and the variational one.

    python -m common.diagrams autoencoder       # writes autoencoder/diagrams/autoencoder.svg and vae.svg

autoencoder.svg: an image of 28 x 28 = 784 pixels goes through the encoder, whose stride-2 convolutions halve its
height and width (28 -> 14 -> 7), into the code of 32 numbers (the bottleneck); the decoder's stride-2 transposed
convolutions double them back (7 -> 14 -> 28) into the reconstruction, and the loss compares the reconstruction with
the image itself. Each box's height is the height and width of what it holds; inside, its shape and parameter count,
as in model.py (`--arch conv --code-size 32`).

vae.svg: the variational autoencoder's encoder ends in two heads, z_mean and z_log_var; the Sampling layer draws the
code z = z_mean + exp(z_log_var / 2) * epsilon with epsilon from the standard normal; the KLDivergence layer adds the
KL term to the loss.
"""

from matplotlib.figure import Figure

from common.diagrams import COLORS, arrow, box, circle, label, new_figure

# One column per layer of the default network: (name above the box, text inside, height and width of the map, color).
CONV_COLUMNS = (
    ("image $x$", "28×28×1\n784 numbers", 28, "input"),
    ("encoder_conv_1", "14×14×32\n320", 14, "layer"),
    ("encoder_conv_2", "7×7×64\n18,496", 7, "layer"),
    ("code $z$", "32\n100,384", 0, "state"),
    ("decoder_dense\n+ feature_map", "7×7×64\n103,488", 7, "layer"),
    ("decoder_deconv_1", "14×14×64\n36,928", 14, "layer"),
    ("decoder_deconv_2", "28×28×32\n18,464", 28, "layer"),
    ("pixels $\\hat{x}$", "28×28×1\n289", 28, "output"),
)
PITCH = 2.7          # distance between the centres of two columns
BOX_WIDTH = 2.1
MIDDLE = 6.6         # the height of the row of boxes' centres
CODE_HEIGHT = 1.3    # the code is 32 numbers, not a map: drawn as the narrowest box


def box_height(size: int) -> float:
    """The drawn height of a box holding a size x size map: 28 -> 5.6, 14 -> 3.6, 7 -> 2.4 units."""
    return CODE_HEIGHT if size == 0 else 1.0 + size / 28 * 4.6


def draw_autoencoder() -> Figure:
    """The encoder narrowing to the code, the decoder widening back, and the loss comparing input and output."""
    width = PITCH * len(CONV_COLUMNS) + 0.6
    figure, axis = new_figure(width, 13.0, scale=0.5)
    edges = []
    for index, (name, inside, size, color) in enumerate(CONV_COLUMNS):
        x = 0.3 + PITCH * (index + 0.5)
        height = box_height(size)
        edges.append(box(axis, x, MIDDLE, inside, width=BOX_WIDTH, height=height, color=color, size=8.5))
        label(axis, x, 9.95, name, size=8.5)
    for left, right in zip(edges, edges[1:]):
        arrow(axis, (left[2], MIDDLE), (right[0], MIDDLE))

    # What each half does, above its layers.
    encoder_left, encoder_right = edges[1][0], edges[3][2]
    decoder_left, decoder_right = edges[4][0], edges[7][2]
    for left, right, text in ((encoder_left, encoder_right, "encoder: each stride-2 convolution\nhalves the height "
                                                            "and width, 28 → 14 → 7"),
                              (decoder_left, decoder_right, "decoder: each stride-2 transposed convolution\ndoubles "
                                                            "them back, 7 → 14 → 28")):
        axis.plot([left, left, right, right], [10.75, 10.95, 10.95, 10.75], color=COLORS["line"], linewidth=1.0)
        label(axis, (left + right) / 2, 11.6, text, size=9)

    # Parameter counts under each half, and the bottleneck named under the code.
    code_x = (edges[3][0] + edges[3][2]) / 2
    label(axis, code_x, MIDDLE - CODE_HEIGHT / 2 - 0.55, "the bottleneck:\nall the decoder\nsees of the image",
          size=8, color=COLORS["accent"])
    label(axis, (encoder_left + encoder_right) / 2, 3.35, "encoder: 119,200 parameters", size=8.5)
    label(axis, (decoder_left + decoder_right) / 2, 3.35,
          "decoder: 159,169 parameters (total 278,369)", size=8.5)
    label(axis, 0.3, 12.6, "inside each box: its shape, then its parameter count; a box's height follows the map's",
          size=8, align="left", color="#6b7280")

    # The loss: the reconstruction graded against the image itself (model.fit(x, x)).
    image_x, pixels_x = (edges[0][0] + edges[0][2]) / 2, (edges[7][0] + edges[7][2]) / 2
    loss = box(axis, width / 2, 1.2, "loss: mse = mean over the 784 pixels of $(\\hat{x} - x)^2$\n"
               "the image is its own target: model.fit(x, x)", width=11.0, height=1.3, color="gate", size=9)
    for x, end in ((image_x, loss[0]), (pixels_x, loss[2])):
        axis.plot([x, x], [edges[0][1], 1.2], color=COLORS["line"], linewidth=1.2)
        arrow(axis, (x, 1.2), (end, 1.2))
    return figure


def draw_vae() -> Figure:
    """The VAE as model.py builds it: two heads, KLDivergence adding its term to the loss, Sampling with outside
    noise, then the decoder."""
    figure, axis = new_figure(23.4, 10.0, scale=0.5)
    middle, top, bottom = 6.0, 7.2, 4.8
    image = box(axis, 1.3, middle, "image $x$\n28×28×1", width=2.0, height=2.2, color="input", size=9)
    encoder = box(axis, 4.4, middle, "encoder\nconv, as in\nthe first\npicture", width=2.0, height=3.2, size=9)
    z_mean = box(axis, 7.8, top, "z_mean  $\\mu$\n32 numbers", width=2.6, height=1.1, color="state", size=9)
    z_log_var = box(axis, 7.8, bottom, "z_log_var  $\\log\\sigma^2$\n32 numbers", width=2.6, height=1.1,
                    color="state", size=9)
    kl = box(axis, 11.6, middle,
             "KLDivergence\nadds\n$\\beta \\cdot KL$\nto the loss;\npasses\n$\\mu$, $\\log\\sigma^2$ on",
             width=2.4, height=3.8, color="gate", size=9)
    sampling = box(axis, 15.1, middle, "Sampling\n$z = \\mu + \\sigma \\cdot \\epsilon$", width=2.6, height=1.5,
                   color="gate", size=9)
    decoder = box(axis, 18.4, middle, "decoder\nas in the\nfirst picture", width=2.0, height=3.2, size=9)
    output = box(axis, 21.7, middle, "$\\hat{x}$\n28×28×1", width=2.0, height=2.2, color="output", size=9)
    circle(axis, 15.1, 3.4, "$\\epsilon$", radius=0.5, color="plain", size=12)
    label(axis, 15.8, 3.4, "from N(0, I), fresh\nat each training step", size=8, align="left")
    loss = box(axis, 18.9, 1.1, "loss = mean BCE($x$, $\\hat{x}$) + $\\beta \\cdot$ KL / 784", width=6.0, height=0.9,
               color="gate", size=9)

    arrow(axis, (image[2], middle), (encoder[0], middle))
    arrow(axis, (encoder[2], top), (z_mean[0], top))
    arrow(axis, (encoder[2], bottom), (z_log_var[0], bottom))
    arrow(axis, (z_mean[2], top), (kl[0], top))
    arrow(axis, (z_log_var[2], bottom), (kl[0], bottom))
    arrow(axis, (kl[2], top - 0.6), (sampling[0], middle + 0.4))
    arrow(axis, (kl[2], bottom + 0.6), (sampling[0], middle - 0.4))
    arrow(axis, (15.1, 3.9), (15.1, sampling[1]))
    arrow(axis, (sampling[2], middle), (decoder[0], middle), "$z$", size=10)
    arrow(axis, (decoder[2], middle), (output[0], middle))
    axis.plot([11.6, 11.6], [kl[1], 1.1], color=COLORS["line"], linewidth=1.2)
    arrow(axis, (11.6, 1.1), (loss[0], 1.1), "the KL term", size=8.5)
    arrow(axis, (21.7, output[1]), (21.7, loss[3]))
    label(axis, 11.7, 9.3, "the encoder gives a distribution over codes: a mean and a log-variance per number; "
          "the code is drawn from it", size=9)
    return figure


def draw() -> dict[str, Figure]:
    """{file name: figure} for python -m common.diagrams."""
    return {"autoencoder.svg": draw_autoencoder(), "vae.svg": draw_vae()}
