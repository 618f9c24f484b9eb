"""PyTorch DCGAN recipes for 28 x 28 digits trained for a wall-clock budget, with samples after chosen minutes.

    python torch_gan_minutes.py --data DIR --out FOLDER --minutes 2,5,10 [--recipe canonical|fast] [--threads 2]

The networks are the light DCGAN PyTorch users write for MNIST (Radford et al.'s practice at 28 x 28),
the same as GenerativeKit's `DCGAN.lightGenerator` / `lightDiscriminator` (`mnist-gan --preset fast`):
generator Linear(100 -> 128*7*7, no bias) -> BN -> ReLU -> ConvT(128 -> 64, k4, s2, p1, no bias) -> BN
-> ReLU -> ConvT(64 -> 1, k4, s2, p1) -> tanh; discriminator Conv(1 -> 64, k4, s2, p1) -> LeakyReLU(0.2)
-> Conv(64 -> 128, k4, s2, p1, no bias) -> BN -> LeakyReLU(0.2) -> Linear(128*7*7 -> 1) (the 7 x 7
valid convolution of the usual code, written as the linear layer it is). Weights N(0, 0.02), batch
norm gamma N(1, 0.02) and beta 0 (the `weights_init` of PyTorch's DCGAN example), PyTorch's batch-norm
defaults, Adam with betas (0.5, 0.999) for each network, images in [-1, 1], a fresh seeded shuffle
every epoch.

Recipes (--batch, --lr, --order and --average override them):
  canonical  Radford et al.'s settings and PyTorch's DCGAN example step: batch 64, Adam 2e-4; D is
             updated on the real batch and the detached fake batch, then G through the updated D (a
             third D pass); samples from the trained generator.
  fast       GenerativeKit's `mnist-gan --preset fast`: batch 64, Adam 4e-4 for D and 1.6e-3 for G, the simultaneous step, and
             samples from a moving average of G's weights with decay 0.99, warmed up as
             min(0.99, (1 + t) / (10 + t)) after step t (batch-norm statistics copied from G).
--decay-after F follows `mnist-gan --minutes M --learning-rate-decay-after F`: the rate is constant for the
first F of the training clock's budget (the last of --minutes), then falls linearly to zero at its end.
--order simultaneous is the TensorFlow tutorial's step that GenerativeKit's GANTrainer runs by default:
one G pass, D on the real and the fake batch, G's gradient through the D of before the update, both
updates together (two D passes instead of three).

The clock counts training only (steps and batch assembly). At each time in --minutes the script
pauses it and writes FOLDER/samples-M.npy: 10,000 samples (float32 N x 1 x 28 x 28 in [0, 1], the
generator in inference mode, its own seeded noise), which `sample FILE.npy --classifier C` measures
exactly as it measures GenerativeKit's; FOLDER/log.json records the epochs and steps reached. Only
PyTorch and NumPy are needed.
"""
import argparse
import copy
import json
import os
import time

import common

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", required=True, help="folder with mnist/train-images-idx3-ubyte.gz")
parser.add_argument("--out", required=True)
parser.add_argument("--minutes", required=True, help="comma-separated training minutes after which to write samples")
parser.add_argument("--recipe", choices=("canonical", "fast"), default="canonical")
parser.add_argument("--order", choices=("alternating", "simultaneous"), help="the step (default: the recipe's)")
parser.add_argument("--average", type=float, help="generator average decay, 0 for none (default: the recipe's)")
parser.add_argument("--batch", type=int, help="images per step (default: the recipe's)")
parser.add_argument("--lr", type=float, help="Adam learning rate of D, and of G without --g-lr (default: the recipe's)")
parser.add_argument("--g-lr", type=float, help="Adam learning rate of G (default: the recipe's)")
parser.add_argument("--decay-after", type=float,
                    help="after this fraction of the last --minutes, decay both learning rates linearly to zero at its end "
                         "(default: the recipe's; 1 for a constant rate)")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--samples", type=int, default=10_000)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
marks = sorted(float(m) for m in args.minutes.split(","))
if not marks or marks[0] <= 0:
    parser.error(f"--minutes takes positive minutes separated by commas, got {args.minutes}")
FAST_BATCH, FAST_LR, FAST_G_LR, FAST_AVERAGE, FAST_DECAY_AFTER = 64, 4e-4, 1.6e-3, 0.99, 1.0
order = args.order or ("alternating" if args.recipe == "canonical" else "simultaneous")
# canonical: Radford et al.'s settings; fast: GenerativeKit's fast preset (Sources/GenerativeKitTraining/Experiments/Presets.swift).
RECIPES = {"canonical": dict(batch=64, lr=2e-4, g_lr=None, average=0.0, decay_after=1.0),
           "fast": dict(batch=FAST_BATCH, lr=FAST_LR, g_lr=FAST_G_LR, average=FAST_AVERAGE, decay_after=FAST_DECAY_AFTER)}
recipe = RECIPES[args.recipe]
average_decay = args.average if args.average is not None else recipe["average"]
batch_size = args.batch or recipe["batch"]
learning_rate = args.lr or recipe["lr"]
generator_rate = args.g_lr or recipe["g_lr"] or learning_rate
decay_after = args.decay_after if args.decay_after is not None else recipe["decay_after"]
if not 0 <= decay_after <= 1:
    parser.error(f"--decay-after takes a fraction in [0, 1], got {decay_after}")
common.limit_threads(args.threads)

import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from torch_mnist import read_images, write_samples  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
NOISE = 100


class Generator(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.width = width
        self.dense = nn.Linear(NOISE, 2 * width * 7 * 7, bias=False)
        self.bn0 = nn.BatchNorm2d(2 * width)
        self.up1, self.bn1 = nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width)
        self.up2 = nn.ConvTranspose2d(width, 1, 4, 2, 1)

    def forward(self, z):
        x = F.relu(self.bn0(self.dense(z).view(-1, 2 * self.width, 7, 7)))
        x = F.relu(self.bn1(self.up1(x)))
        return torch.tanh(self.up2(x))


class Discriminator(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 4, 2, 1)
        self.conv2, self.bn2 = nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * width)
        self.dense = nn.Linear(2 * width * 7 * 7, 1)

    def forward(self, x):
        x = F.leaky_relu(self.conv1(x), 0.2)
        x = F.leaky_relu(self.bn2(self.conv2(x)), 0.2)
        return self.dense(x.flatten(1))


def weights_init(module):
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.BatchNorm2d):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


def bce(logits, target):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def main():
    os.makedirs(args.out, exist_ok=True)
    images = read_images(os.path.join(args.data, "mnist", "train-images-idx3-ubyte.gz"))
    G, D = Generator(), Discriminator()
    weights_init(G)
    weights_init(D)
    G_average = copy.deepcopy(G) if average_decay > 0 else None
    g_opt = torch.optim.Adam(G.parameters(), lr=generator_rate, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(D.parameters(), lr=learning_rate, betas=(0.5, 0.999))
    shuffle = torch.Generator().manual_seed(args.seed)
    trained, steps, epoch, reached = 0.0, 0, 0, []
    pending = list(marks)
    while pending:
        epoch += 1
        order_of_epoch = torch.randperm(len(images), generator=shuffle)
        for first in range(0, len(images) - 1, batch_size):
            started = time.perf_counter()
            if decay_after < 1:
                position = min(trained / (marks[-1] * 60), 1.0)
                factor = 1.0 if position <= decay_after else (1 - position) / (1 - decay_after)
                for optimizer, rate in ((g_opt, generator_rate), (d_opt, learning_rate)):
                    for group in optimizer.param_groups:
                        group["lr"] = rate * factor
            real = images[order_of_epoch[first : first + batch_size]]
            fake = G(torch.randn(len(real), NOISE))
            if order == "alternating":
                d_opt.zero_grad(set_to_none=True)
                d_loss = bce(D(real), 1.0) + bce(D(fake.detach()), 0.0)
                d_loss.backward()
                d_opt.step()
                g_opt.zero_grad(set_to_none=True)
                bce(D(fake), 1.0).backward()
                g_opt.step()
            else:
                g_opt.zero_grad(set_to_none=True)
                d_opt.zero_grad(set_to_none=True)
                real_logits, fake_logits = D(real), D(fake)
                g_loss = bce(fake_logits, 1.0)
                d_loss = bce(real_logits, 1.0) + bce(fake_logits, 0.0)
                g_loss.backward(inputs=list(G.parameters()), retain_graph=True)
                d_loss.backward(inputs=list(D.parameters()))
                g_opt.step()
                d_opt.step()
            steps += 1
            if G_average is not None:
                decay = min(average_decay, (1 + steps) / (10 + steps))
                with torch.no_grad():
                    for a, p in zip(G_average.parameters(), G.parameters()):
                        a.mul_(decay).add_(p, alpha=1 - decay)
                    for a, b in zip(G_average.buffers(), G.buffers()):
                        a.copy_(b)
            trained += time.perf_counter() - started
            while pending and trained >= pending[0] * 60:
                minutes = pending.pop(0)
                label = f"{minutes:g}"
                write_samples(G_average or G, os.path.join(args.out, f"samples-{label}.npy"), args.samples, args.seed + 100, NOISE)
                reached.append({"minutes": minutes, "epoch": epoch, "steps": steps,
                                "images_per_second": steps * batch_size / trained})
                print(json.dumps(reached[-1]), flush=True)
            if not pending:
                break
    with open(os.path.join(args.out, "log.json"), "w") as file:
        json.dump({"torch": torch.__version__, "recipe": args.recipe, "order": order, "average": average_decay,
                   "batch": batch_size, "learning_rate": learning_rate, "generator_learning_rate": generator_rate, "decay_after": decay_after, "seed": args.seed, "threads": args.threads, "reached": reached}, file, indent=1)


if __name__ == "__main__":
    main()
