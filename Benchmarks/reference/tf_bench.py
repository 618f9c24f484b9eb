"""TensorFlow/Keras (CPU) reference: the report's DCGAN and VAE, one full training step at a time.

    python tf_bench.py --model dcgan [--batch 256] [--steps 10] [--warmup 3] [--threads 2] [--variant xla]

The GAN step is the TensorFlow DCGAN tutorial's train_step (a @tf.function: one G forward, D on
a real and the fake batch, two gradient tapes, both Adam updates); the VAE step encodes,
reparameterises, decodes (sigmoid), takes per-image summed squared error + KL (mean over the batch),
differentiates and applies Adam. Keras layers are NHWC, TensorFlow's native CPU layout.
Prints a JSON object (see common.py); the per-step log goes to standard error.
"""
import os

import common

args = common.parse_args(__doc__.splitlines()[0], variants=("default", "xla"), models=("dcgan", "vae"))
common.limit_threads(args.threads)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402  (after the thread variables)
import keras  # noqa: E402
from keras import layers  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.threads)
keras.utils.set_random_seed(0)
JIT = args.variant == "xla"
BN = dict(momentum=common.BN_MOMENTUM, epsilon=common.BN_EPSILON)


def adam():
    return keras.optimizers.Adam(common.LEARNING_RATE, epsilon=common.ADAM_EPSILON)


def generator():
    return keras.Sequential([
        keras.Input((common.NOISE_DIM,)),
        layers.Dense(7 * 7 * 256, use_bias=False), layers.BatchNormalization(**BN), layers.LeakyReLU(common.LEAKY_SLOPE),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(**BN), layers.LeakyReLU(common.LEAKY_SLOPE),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(**BN), layers.LeakyReLU(common.LEAKY_SLOPE),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ])


def discriminator():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(common.LEAKY_SLOPE), layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(common.LEAKY_SLOPE), layers.Dropout(0.3),
        layers.Flatten(), layers.Dense(1),
    ])


def dcgan_step():
    batch = args.batch
    G, D = generator(), discriminator()
    g_opt, d_opt = adam(), adam()
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    real = tf.random.uniform((batch, 28, 28, 1), -1.0, 1.0)

    @tf.function(jit_compile=JIT)
    def train_step(images):
        noise = tf.random.normal((batch, common.NOISE_DIM))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = G(noise, training=True)
            real_logits, fake_logits = D(images, training=True), D(fake, training=True)
            g_loss = bce(tf.ones_like(fake_logits), fake_logits)
            d_loss = bce(tf.ones_like(real_logits), real_logits) + bce(tf.zeros_like(fake_logits), fake_logits)
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, G.trainable_variables), G.trainable_variables))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, D.trainable_variables), D.trainable_variables))
        return g_loss + d_loss

    return lambda: float(train_step(real))


def vae_step():
    batch, latent = args.batch, common.LATENT
    encoder = keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(128, 3, strides=1, padding="same", activation="relu"),
        layers.Flatten(), layers.Dense(2 * latent),
    ])
    decoder = keras.Sequential([
        keras.Input((latent,)),
        layers.Dense(7 * 7 * 64, activation="relu"), layers.Reshape((7, 7, 64)),
        layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2DTranspose(1, 3, strides=1, padding="same", activation="sigmoid"),
    ])
    variables = encoder.trainable_variables + decoder.trainable_variables
    opt = adam()
    x = tf.random.uniform((batch, 28, 28, 1))

    @tf.function(jit_compile=JIT)
    def train_step(images):
        with tf.GradientTape() as tape:
            mean, log_var = tf.split(encoder(images, training=True), 2, axis=1)
            z = mean + tf.exp(0.5 * log_var) * tf.random.normal(tf.shape(mean))
            x_hat = decoder(z, training=True)
            reconstruction = tf.reduce_mean(tf.reduce_sum(tf.square(x_hat - images), axis=[1, 2, 3]))
            kl = tf.reduce_mean(-0.5 * tf.reduce_sum(1 + log_var - tf.square(mean) - tf.exp(log_var), axis=1))
            loss = reconstruction + kl
        opt.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    return lambda: float(train_step(x))


step = {"dcgan": dcgan_step, "vae": vae_step}[args.model]()
common.run(step, args, "tensorflow", tf.__version__,
           extra=dict(keras_version=keras.__version__,
                      intra_op_threads=tf.config.threading.get_intra_op_parallelism_threads()))
