"""One training step of the report's GAN and VAE in PyTorch, from GenerativeKit's weights and inputs.

usage: pytorch_step.py INPUTS.safetensors OUTPUT_DIR

INPUTS comes from `gk-step-fixtures` (TestSupport's StepFixture): both networks' initial
parameters and buffers under PyTorch's state_dict names, the real batch, the noise, the dropout
masks, the VAE's images and eps. The step follows the TensorFlow DCGAN tutorial (one forward pass of
each network, the discriminator's and the generator's gradients from it, Keras's Adam: epsilon
added to sqrt(v) before the bias correction is folded into the step size) and the report's VAE
(MSE on sigmoid outputs summed per image, KL, both averaged over the batch). Layers are written
with torch.nn.functional so every detail is visible: symmetric "same" padding, Keras batch norm
(biased variance, epsilon 1e-3, momentum 0.99 in Keras's meaning), LeakyReLU 0.3.

Writes gan-step.json and vae-step.json: for every parameter, buffer and Adam moment, the entries at
StepFixture.sampledIndices (every max(1, n // 64)-th), as lists of numbers (each the exact decimal of
a float32, so they read back bit for bit).
"""
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.use_deterministic_algorithms(True)
torch.set_num_threads(1)


def load(path):
    data = open(path, "rb").read()
    length = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8 : 8 + length])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", name
        start, end = entry["data_offsets"]
        array = np.frombuffer(data[8 + length + start : 8 + length + end], dtype="<f4").reshape(entry["shape"])
        tensors[name] = torch.tensor(array.copy())
    return tensors


def save(path, tensors):
    values = {name: [float(v) for v in tensors[name].detach().numpy().astype("<f4")] for name in sorted(tensors)}
    with open(path, "w") as file:
        json.dump({"generator": f"torch {torch.__version__}, Tests/Fixtures/pytorch-step/pytorch_step.py", "tensors": values},
                  file, indent=1)
        file.write("\n")


def sampled(tensor):
    flat = tensor.detach().reshape(-1)
    return flat[:: max(1, flat.numel() // 64)].clone()


def batch_norm(x, state, prefix, momentum=0.99, epsilon=1e-3):
    dims = [0] if x.dim() == 2 else [0, 2, 3]
    shape = [1, -1] if x.dim() == 2 else [1, -1, 1, 1]
    mean = x.mean(dim=dims)
    variance = ((x - mean.reshape(shape)) ** 2).mean(dim=dims)
    with torch.no_grad():
        state[prefix + "running_mean"] = momentum * state[prefix + "running_mean"] + (1 - momentum) * mean
        state[prefix + "running_var"] = momentum * state[prefix + "running_var"] + (1 - momentum) * variance
    xhat = (x - mean.reshape(shape)) / torch.sqrt(variance.reshape(shape) + epsilon)
    return state[prefix + "weight"].reshape(shape) * xhat + state[prefix + "bias"].reshape(shape)


def keras_adam(parameters, moments, learning_rate, beta1=0.9, beta2=0.999, epsilon=1e-7, step=1):
    """One Keras Adam step (GenerativeKit's default placement of epsilon).

    As in Keras, the hyperparameters are float32 values and `1 - beta` is computed in float32
    (1 - 0.999 is 0.0009999871 there, not 0.001); the bias-corrected step size in double.
    """
    f32 = lambda value: torch.tensor(value, dtype=torch.float32)
    b1, b2, eps = f32(beta1), f32(beta2), f32(epsilon)
    step_size = float(f32(learning_rate)) * (1 - float(b2) ** step) ** 0.5 / (1 - float(b1) ** step)
    with torch.no_grad():
        for name, parameter in parameters.items():
            m, v = moments.setdefault(name, (torch.zeros_like(parameter), torch.zeros_like(parameter)))
            m = b1 * m + (f32(1) - b1) * parameter.grad
            v = b2 * v + (f32(1) - b2) * parameter.grad * parameter.grad
            parameter -= f32(step_size) * m / (torch.sqrt(v) + eps)
            moments[name] = (m, v)


def gan_step(tensors):
    g = {k[len("generator.") :]: v.clone().requires_grad_(not k.endswith(("running_mean", "running_var")))
         for k, v in tensors.items() if k.startswith("generator.")}
    d = {k[len("discriminator.") :]: v.clone().requires_grad_() for k, v in tensors.items() if k.startswith("discriminator.")}
    real, noise = tensors["input.gan.real"], tensors["input.gan.noise"]
    masks = [[tensors[f"input.gan.mask.{layer}.{p}"] for p in range(2)] for layer in range(2)]
    width = g["4.weight"].shape[0] // 4  # ConvT(4w -> 2w): weight [4w, 2w, 5, 5]

    def generator(z):
        x = F.linear(z, g["0.weight"])
        x = F.leaky_relu(batch_norm(x, g, "1."), 0.3)
        x = x.reshape(-1, 4 * width, 7, 7)
        x = F.conv_transpose2d(x, g["4.weight"], stride=1, padding=2)
        x = F.leaky_relu(batch_norm(x, g, "5."), 0.3)
        x = F.conv_transpose2d(x, g["7.weight"], stride=2, padding=2, output_padding=1)
        x = F.leaky_relu(batch_norm(x, g, "8."), 0.3)
        x = F.conv_transpose2d(x, g["10.weight"], stride=2, padding=2, output_padding=1)
        return torch.tanh(x)

    def discriminator(x, rows):
        x = F.leaky_relu(F.conv2d(x, d["0.weight"], d["0.bias"], stride=2, padding=2), 0.3) * masks[0][rows]
        x = F.leaky_relu(F.conv2d(x, d["3.weight"], d["3.bias"], stride=2, padding=2), 0.3) * masks[1][rows]
        return F.linear(x.flatten(1), d["7.weight"], d["7.bias"])

    fake = generator(noise)
    real_logits = discriminator(real, 0)
    fake_logits = discriminator(fake, 1)
    d_loss = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + \
        F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    g_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    d_trainable = dict(d)
    g_trainable = {k: v for k, v in g.items() if v.requires_grad}
    d_gradients = torch.autograd.grad(d_loss, list(d_trainable.values()), retain_graph=True)
    g_gradients = torch.autograd.grad(g_loss, list(g_trainable.values()))
    for parameter, gradient in zip(d_trainable.values(), d_gradients):
        parameter.grad = gradient
    for parameter, gradient in zip(g_trainable.values(), g_gradients):
        parameter.grad = gradient
    d_moments, g_moments = {}, {}
    keras_adam(d_trainable, d_moments, 1e-4)
    keras_adam(g_trainable, g_moments, 1e-4)
    result = {"loss.d": d_loss.detach().reshape(1), "loss.g": g_loss.detach().reshape(1)}
    for prefix, state, moments in (("generator.", g, g_moments), ("discriminator.", d, d_moments)):
        for name, value in state.items():
            result[prefix + name] = sampled(value)
        for name, (m, v) in moments.items():
            result[f"optimizer.{prefix}exp_avg.{name}"] = sampled(m)
            result[f"optimizer.{prefix}exp_avg_sq.{name}"] = sampled(v)
    return result


def vae_step(tensors):
    p = {k[len("vae.") :]: v.clone().requires_grad_() for k, v in tensors.items() if k.startswith("vae.")}
    images, epsilon = tensors["input.vae.images"], tensors["input.vae.epsilon"]
    latent = epsilon.shape[1]
    side = images.shape[2] // 4

    x = F.relu(F.conv2d(images, p["encoder.0.weight"], p["encoder.0.bias"], stride=2, padding=1))
    x = F.relu(F.conv2d(x, p["encoder.2.weight"], p["encoder.2.bias"], stride=2, padding=1))
    x = F.relu(F.conv2d(x, p["encoder.4.weight"], p["encoder.4.bias"], stride=1, padding=1))
    statistics = F.linear(x.flatten(1), p["encoder.7.weight"], p["encoder.7.bias"])
    mean, log_variance = statistics[:, :latent], statistics[:, latent:].clamp(-30, 20)
    z = mean + torch.exp(0.5 * log_variance) * epsilon
    y = F.relu(F.linear(z, p["decoder.0.weight"], p["decoder.0.bias"])).reshape(-1, 64, side, side)
    y = F.relu(F.conv_transpose2d(y, p["decoder.3.weight"], p["decoder.3.bias"], stride=2, padding=1, output_padding=1))
    y = F.relu(F.conv_transpose2d(y, p["decoder.5.weight"], p["decoder.5.bias"], stride=2, padding=1, output_padding=1))
    logits = F.conv_transpose2d(y, p["decoder.7.weight"], p["decoder.7.bias"], stride=1, padding=1)
    batch = images.shape[0]
    reconstruction = ((torch.sigmoid(logits) - images) ** 2).sum() / batch
    kl = (-0.5 * (1 + log_variance - mean**2 - torch.exp(log_variance))).sum() / batch
    loss = reconstruction + kl
    gradients = torch.autograd.grad(loss, list(p.values()))
    for parameter, gradient in zip(p.values(), gradients):
        parameter.grad = gradient
    moments = {}
    keras_adam(p, moments, 1e-3)
    result = {"loss.total": loss.detach().reshape(1)}
    for name, value in p.items():
        result[name] = sampled(value)
    for name, (m, v) in moments.items():
        result[f"optimizer.exp_avg.{name}"] = sampled(m)
        result[f"optimizer.exp_avg_sq.{name}"] = sampled(v)
    return result


if __name__ == "__main__":
    inputs = load(sys.argv[1])
    save(sys.argv[2] + "/gan-step.json", gan_step(inputs))
    save(sys.argv[2] + "/vae-step.json", vae_step(inputs))
    print(f"torch {torch.__version__}: wrote {sys.argv[2]}/gan-step.json and vae-step.json")
