"""The picture of gan/README.md: the game between the generator and the discriminator, drawn with common/diagrams.py.

    python -m common.diagrams gan        # writes gan/diagrams/gan_game.svg

Noise z goes through the generator G to a generated ("fake") image; real images come from the data set; the
discriminator D reads both and gives the probability that its input is real. Two losses score D's answers with
their labels, and each one updates the weights of one network only (the red arrows): the discriminator's loss
(real images labelled 1, generated ones 0) moves D; the generator's non-saturating loss (generated images labelled 1)
moves G, its gradient flowing back through D, whose weights stay as they are in that step.
"""

from matplotlib.figure import Figure

from common.diagrams import arrow, box, label, new_figure


def draw_game() -> Figure:
    """One training step of gan/model.py's GAN.train_step, with the names of the code."""
    figure, axis = new_figure(19.0, 10.6)

    # The generator's path, along the top: noise -> G -> generated image.
    noise = box(axis, 2.0, 7.2, "noise $z \\sim N(0, I)$\n64 numbers", width=3.4, height=1.3, color="state")
    generator = box(axis, 6.3, 7.2, "generator G\n(transposed\nconvolutions)", width=3.0, height=1.7,
                    color="layer")
    fake = box(axis, 10.6, 7.2, "generated image\n$G(z)$, 28 x 28", width=3.4, height=1.3, color="output")
    arrow(axis, (noise[2], 7.2), (generator[0], 7.2))
    arrow(axis, (generator[2], 7.2), (fake[0], 7.2))

    # The real images, along the bottom.
    real = box(axis, 10.6, 3.4, "real image $x$\nfrom the data set", width=3.4, height=1.3, color="input")

    # Both go into the discriminator, which gives the probability that its input is real.
    discriminator = box(axis, 14.0, 5.3, "discriminator D\n(convolutions)", width=2.6, height=1.5, color="layer")
    arrow(axis, (fake[2], 7.2), (discriminator[0], 5.6))
    arrow(axis, (real[2], 3.4), (discriminator[0], 5.0))
    probability = box(axis, 17.3, 5.3, "$D(\\cdot)$ =\nsigmoid(logit):\nprobability\n\"real\"", width=2.6,
                      height=2.2, color="output", size=10)
    arrow(axis, (discriminator[2], 5.3), (probability[0], 5.3))

    # The two losses, each with its labels, and whose weights each one updates.
    g_loss = box(axis, 15.2, 9.5, "g_loss = $-\\log D(G(z))$\ngenerated labelled 1 (non-saturating)",
                 width=6.6, height=1.3, color="gate", size=10)
    d_loss = box(axis, 15.2, 1.1,
                 "d_loss = $-\\log D(x) - \\log(1 - D(G(z)))$\nreal labelled 1 (or 1 - s), generated 0",
                 width=6.6, height=1.3, color="gate", size=10)
    arrow(axis, (probability[0] + 1.3, probability[3]), (probability[0] + 1.3, g_loss[1]))
    arrow(axis, (probability[0] + 1.3, probability[1]), (probability[0] + 1.3, d_loss[3]))
    arrow(axis, (g_loss[0], 9.5), (generator[0] + 1.5, generator[3]), color="accent", width=1.8, bend=0.15)
    label(axis, 7.4, 9.75, "step 2: updates G's weights only\n(the gradient flows back through D)",
          color="#dc2626", size=10)
    arrow(axis, (discriminator[0] + 1.3, d_loss[3]), (discriminator[0] + 1.3, discriminator[1]), color="accent",
          width=1.8)
    label(axis, 15.65, 3.0, "step 1: updates\nD's weights only", color="#dc2626", size=10)
    return figure


def draw() -> dict[str, Figure]:
    """{file name: figure} for python -m common.diagrams."""
    return {"gan_game.svg": draw_game()}
