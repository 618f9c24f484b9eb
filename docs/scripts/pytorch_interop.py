#!/usr/bin/env python3
"""Loads a GenerativeKit GAN or VAE checkpoint into the equivalent PyTorch nn.Sequential with
load_state_dict(strict=True) and checks that both frameworks generate the same images.

    python3 docs/scripts/pytorch_interop.py CHECKPOINT.safetensors [SAMPLE_BINARY]

Needs torch and numpy (the safetensors package is optional: the header is parsed by hand).
SAMPLE_BINARY defaults to .build/release/sample (build it with `swift build -c release --product sample`).
"""
import json
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch import nn


def read_safetensors(path):
    raw = Path(path).read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + length])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + length :]
    dtypes = {"F32": np.float32, "I64": np.int64, "U64": np.uint64}
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata


def report_generator(options):
    """The report's DCGAN generator, PyTorch-style ('same' = padding 2, output_padding 1 for stride 2)."""
    w, nz, c = options["width"], options["noiseDimension"], options["channels"]
    h4, w4 = options["imageHeight"] // 4, options["imageWidth"] // 4
    bn = dict(eps=1e-3, momentum=0.01)  # Keras momentum 0.99
    return nn.Sequential(
        nn.Linear(nz, h4 * w4 * 4 * w, bias=False), nn.BatchNorm1d(h4 * w4 * 4 * w, **bn), nn.LeakyReLU(0.3),
        nn.Unflatten(1, (4 * w, h4, w4)),
        nn.ConvTranspose2d(4 * w, 2 * w, 5, 1, padding=2, bias=False), nn.BatchNorm2d(2 * w, **bn), nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(2 * w, w, 5, 2, padding=2, output_padding=1, bias=False), nn.BatchNorm2d(w, **bn),
        nn.LeakyReLU(0.3),
        nn.ConvTranspose2d(w, c, 5, 2, padding=2, output_padding=1, bias=False), nn.Tanh())


def vae_decoder(options):
    latent, c = options["latentDimension"], options["channels"]
    h4, w4 = options["imageHeight"] // 4, options["imageWidth"] // 4
    return nn.Sequential(
        nn.Linear(latent, 64 * h4 * w4), nn.ReLU(), nn.Unflatten(1, (64, h4, w4)),
        nn.ConvTranspose2d(64, 64, 3, 2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 3, 2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(32, c, 3, 1, padding=1), nn.Sigmoid())


def main():
    checkpoint = sys.argv[1]
    sample = sys.argv[2] if len(sys.argv) > 2 else ".build/release/sample"
    tensors, metadata = read_safetensors(checkpoint)
    options = json.loads(metadata["configuration"])
    kind = metadata["format"]
    if kind == "generativekit-gan":
        if options["architecture"] != "report-dcgan":
            sys.exit("only the report's DCGAN is mapped in this script")
        prefix, model, dimension = "generator.", report_generator(options), options["noiseDimension"]
        to_unit = lambda x: (x + 1) / 2
    elif kind == "generativekit-vae":
        prefix, model, dimension = "decoder.", vae_decoder(options), options["latentDimension"]
        to_unit = lambda x: x
    else:
        sys.exit(f"{checkpoint}: not a GenerativeKit GAN or VAE checkpoint")
    state = {name[len(prefix):]: t for name, t in tensors.items() if name.startswith(prefix)}
    missing, unexpected = model.load_state_dict(state, strict=True), None
    model.eval()

    latents = np.random.default_rng(0).standard_normal((8, dimension)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        np.save(f"{folder}/z.npy", latents)
        subprocess.run([sample, checkpoint, "--latents", f"{folder}/z.npy", "--output", folder, "--count", "8"],
                       check=True, stdout=subprocess.DEVNULL)
        swift = np.load(f"{folder}/samples.npy")
    with torch.no_grad():
        torch_images = to_unit(model(torch.from_numpy(latents))).numpy()
    difference = float(np.abs(swift - torch_images).max())
    print(f"{kind}: load_state_dict(strict=True) ok, {len(state)} tensors; "
          f"max |GenerativeKit - PyTorch| over 8 images = {difference:.2e}")
    sys.exit(0 if difference < 1e-4 else 1)


if __name__ == "__main__":
    main()
