"""PyTorch reference training of the report's DCGAN on MNIST, to compare with `mnist-gan` over seeds.

    python torch_train_dcgan.py --data DIR --seed 1 --epochs 5 --out FOLDER [--sample-at 5,20] [--threads 2]

The same model, initialisation and training step as GenerativeKit's `mnist-gan` with its defaults
(the report's settings, DESIGN.md section 4): generator Dense(100 -> 7*7*256, no bias) -> BN ->
LeakyReLU(0.3) -> ConvT(256 -> 128, k5, s1) -> BN -> LeakyReLU -> ConvT(128 -> 64, k5, s2) -> BN ->
LeakyReLU -> ConvT(64 -> 1, k5, s2) -> tanh; discriminator Conv(1 -> 64, k5, s2) -> LeakyReLU ->
Dropout(0.3) -> Conv(64 -> 128, k5, s2) -> LeakyReLU -> Dropout(0.3) -> Dense(6272 -> 1); Keras batch
norm (momentum 0.99, epsilon 1e-3), Glorot-uniform kernels and zero biases, Adam(1e-4, 0.9, 0.999,
epsilon 1e-7) for each network, batch 256, images in [-1, 1], a fresh seeded shuffle every epoch
with the last short batch kept. The step is the TensorFlow tutorial's: one forward pass of G and of
D on the real and the fake batch; the discriminator loss BCE(D(x), 1) + BCE(D(G(z)), 0) goes into
D's weights, the non-saturating generator loss BCE(D(G(z)), 1) into G's.

After every epoch FOLDER/checkpoint.pt holds the whole state (networks, optimizers, random
generators, log); with --resume a run continues from it exactly where it stopped, so a long run can
be split over several sittings. After each epoch in --sample-at, writes FOLDER/samples-epoch-NNNN.npy: 10,000 samples (float32
N x 1 x 28 x 28 in [0, 1], the generator in inference mode), which `sample FILE.npy --classifier C`
measures exactly as it measures GenerativeKit's. Only PyTorch and NumPy are needed.
"""
import argparse
import json
import os
import time

import common

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", required=True, help="folder with mnist/train-images-idx3-ubyte.gz")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--sample-at", default="", help="comma-separated epochs after which to write samples (default: the last)")
parser.add_argument("--samples", type=int, default=10_000)
parser.add_argument("--batch", type=int, default=256)
parser.add_argument("--threads", type=int, default=2)
parser.add_argument("--limit", type=int, help="train on the first N images only (quick checks)")
parser.add_argument("--resume", action="store_true", help="continue from FOLDER/checkpoint.pt when it exists")
parser.add_argument("--out", required=True)
args = parser.parse_args()
common.limit_threads(args.threads)

import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from torch_mnist import read_images, write_samples  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
BN = dict(eps=common.BN_EPSILON, momentum=1 - common.BN_MOMENTUM)


def leaky(x):
    return F.leaky_relu(x, common.LEAKY_SLOPE)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(common.NOISE_DIM, 7 * 7 * 256, bias=False)
        self.bn0 = nn.BatchNorm1d(7 * 7 * 256, **BN)
        self.up1, self.bn1 = nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False), nn.BatchNorm2d(128, **BN)
        self.up2, self.bn2 = nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False), nn.BatchNorm2d(64, **BN)
        self.up3 = nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False)

    def forward(self, z):
        x = leaky(self.bn0(self.dense(z))).view(-1, 256, 7, 7)
        x = leaky(self.bn1(self.up1(x)))
        x = leaky(self.bn2(self.up2(x)))
        return torch.tanh(self.up3(x))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(64, 128, 5, stride=2, padding=2)
        self.dropout = nn.Dropout(0.3)
        self.dense = nn.Linear(7 * 7 * 128, 1)

    def forward(self, x):
        x = self.dropout(leaky(self.conv1(x)))
        x = self.dropout(leaky(self.conv2(x)))
        return self.dense(x.flatten(1))


def keras_init(module):
    """Glorot-uniform kernels and zero biases, Keras's defaults (and GenerativeKit's)."""
    for layer in module.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def main():
    os.makedirs(args.out, exist_ok=True)
    images = read_images(os.path.join(args.data, "mnist", "train-images-idx3-ubyte.gz"))[: args.limit]
    sample_at = {int(e) for e in args.sample_at.split(",") if e} or {args.epochs}
    G, D = Generator(), Discriminator()
    keras_init(G)
    keras_init(D)
    adam = lambda model: torch.optim.Adam(model.parameters(), lr=common.LEARNING_RATE, eps=common.ADAM_EPSILON)
    g_opt, d_opt = adam(G), adam(D)
    g_params, d_params = list(G.parameters()), list(D.parameters())
    shuffle = torch.Generator().manual_seed(args.seed)
    log = []
    checkpoint_path = os.path.join(args.out, "checkpoint.pt")
    if args.resume and os.path.exists(checkpoint_path):
        state = torch.load(checkpoint_path, weights_only=False)
        G.load_state_dict(state["G"])
        D.load_state_dict(state["D"])
        g_opt.load_state_dict(state["g_opt"])
        d_opt.load_state_dict(state["d_opt"])
        shuffle.set_state(state["shuffle"])
        torch.set_rng_state(state["rng"])
        log = state["log"]
        print(f"resumed after epoch {len(log)} from {checkpoint_path}", flush=True)
    for epoch in range(len(log) + 1, args.epochs + 1):
        started = time.time()
        order = torch.randperm(len(images), generator=shuffle)
        sums, batches = [0.0, 0.0], 0
        for first in range(0, len(images), args.batch):
            real = images[order[first : first + args.batch]]
            g_opt.zero_grad(set_to_none=True)
            d_opt.zero_grad(set_to_none=True)
            fake = G(torch.randn(len(real), common.NOISE_DIM))
            real_logits, fake_logits = D(real), D(fake)
            g_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
            d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                      + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
            g_loss.backward(inputs=g_params, retain_graph=True)
            d_loss.backward(inputs=d_params)
            g_opt.step()
            d_opt.step()
            sums[0] += d_loss.item()
            sums[1] += g_loss.item()
            batches += 1
        seconds = time.time() - started
        entry = {"epoch": epoch, "d_loss": sums[0] / batches, "g_loss": sums[1] / batches, "seconds": seconds}
        log.append(entry)
        print(json.dumps(entry), flush=True)
        if epoch in sample_at:
            write_samples(G, os.path.join(args.out, f"samples-epoch-{epoch:04d}.npy"), args.samples, args.seed + 100, common.NOISE_DIM)
        state = {"G": G.state_dict(), "D": D.state_dict(), "g_opt": g_opt.state_dict(), "d_opt": d_opt.state_dict(),
                 "shuffle": shuffle.get_state(), "rng": torch.get_rng_state(), "log": log}
        torch.save(state, checkpoint_path + ".tmp")
        os.replace(checkpoint_path + ".tmp", checkpoint_path)  # a crash never leaves half a checkpoint
    with open(os.path.join(args.out, "log.json"), "w") as file:
        json.dump({"torch": torch.__version__, "seed": args.seed, "threads": args.threads, "epochs": log}, file, indent=1)


if __name__ == "__main__":
    main()
