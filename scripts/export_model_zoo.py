#!/usr/bin/python3
"""Export a zoo of torchvision models as TorchScript files for the hwnas TorchScript importer tests.

Usage: /usr/bin/python3 scripts/export_model_zoo.py OUT_DIR [--models resnet18,vit_b_16] [--size 64]

Takes about 4 minutes on 2 cores (Debian's LibTorch runs matrix products on the reference BLAS, and
tracing ViT-B/16 runs it three times); the files take about 1.9 GB.

Needs Debian's python3-torch (1.13) and python3-torchvision (0.14), i.e. /usr/bin/python3, not a pyenv.
Every model is built with random weights (weights=None): nothing is downloaded. Each model is saved both
scripted (torch.jit.script) and traced (torch.jit.trace, under no_grad, in eval mode) where that works,
as OUT_DIR/<model>.script.pt and OUT_DIR/<model>.trace.pt, and OUT_DIR/manifest.json records, per file,
the input shape it was exported for, PyTorch's own parameter count (sum of p.numel() over parameters:
batch-norm running statistics are buffers and do not count) and the output shape PyTorch computes.
It also writes small models the importer must reject (an op it cannot lower), listed under
"error_cases" with the op name the error message must contain.
"""

import argparse
import json
import os
import sys
import time
import traceback

import torch
import torchvision

# name -> (constructor kwargs, spatial input size). Most models run at 64x64 to keep the tests fast;
# vit_b_16 needs 224 (its position embedding fixes 14x14 patches), vgg11 and alexnet need 224 because
# their adaptive average pool to 7x7 / 6x6 would have to upsample a smaller feature map.
MODELS = {
    "resnet18": ({}, 64),
    "resnet50": ({}, 64),
    "mobilenet_v2": ({}, 64),
    "mobilenet_v3_small": ({}, 64),
    "mobilenet_v3_large": ({}, 64),
    "efficientnet_b0": ({}, 64),
    "shufflenet_v2_x1_0": ({}, 64),
    "squeezenet1_0": ({}, 64),
    "mnasnet1_0": ({}, 64),
    "regnet_y_400mf": ({}, 64),
    "densenet121": ({}, 64),
    "googlenet": ({"aux_logits": False, "init_weights": False}, 64),
    "vgg11": ({}, 224),
    "alexnet": ({}, 224),
    "convnext_tiny": ({}, 64),
    "vit_b_16": ({}, 224),
}


class TransformerEncoderModel(torch.nn.Module):
    """Two nn.TransformerEncoderLayers over (N, 16, 64) tokens and a linear head on the mean token.

    Not a torchvision model: it covers nn.TransformerEncoderLayer, whose scripted form runs PyTorch's
    fused inference op, and (traced with autograd on, see TRACE_WITH_GRAD) the unfused attention ops."""

    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = torch.nn.Linear(64, 10)

    def forward(self, x):
        return self.head(self.encoder(x).mean(1))


# Extra (non-torchvision) models: name -> (factory, input shape).
EXTRA_MODELS = {
    "transformer_encoder": (TransformerEncoderModel, [1, 16, 64]),
}
# Traced with autograd enabled, as a user who forgets torch.no_grad() would, which records the unfused
# attention path instead of PyTorch's inference fast path.
TRACE_WITH_GRAD = {"transformer_encoder"}


class FftModel(torch.nn.Module):
    """A conv followed by an FFT: aten::fft_fft2 has no hwnas IR op."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)

    def forward(self, x):
        return torch.fft.fft2(self.conv(x)).abs()


class GridSampleModel(torch.nn.Module):
    """A conv followed by grid sampling (aten::grid_sampler)."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3)

    def forward(self, x):
        y = self.conv(x)
        grid = torch.zeros(y.shape[0], 4, 4, 2)
        return torch.nn.functional.grid_sample(y, grid, align_corners=False)


def param_count(model):
    return int(sum(p.numel() for p in model.parameters()))


def first_tensor(output):
    """The classification output: googlenet/inception return namedtuples when scripted."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        return first_tensor(output[0])
    raise TypeError(f"unexpected model output {type(output)}")


def export_model(name, model, shape, out_dir):
    x = torch.zeros(shape)
    with torch.no_grad():
        expected = list(first_tensor(model(x)).shape)
    params = param_count(model)
    entries = []
    for mode in ("script", "trace"):
        file = f"{name}.{mode}.pt"
        entry = {"name": name, "mode": mode, "file": file, "input_shape": shape, "params": params,
                 "output_shape": expected}
        start = time.time()
        try:
            with torch.set_grad_enabled(mode == "trace" and name in TRACE_WITH_GRAD):
                if mode == "script":
                    module = torch.jit.script(model)
                else:
                    # The trace check re-runs the model without autograd, which takes the fast path
                    # and so always differs for TRACE_WITH_GRAD models.
                    module = torch.jit.trace(model, x, check_trace=name not in TRACE_WITH_GRAD)
                got = list(first_tensor(module(x)).shape)
            if got != expected:
                raise RuntimeError(f"{mode}d model gives output {got}, eager gives {expected}")
            module.save(os.path.join(out_dir, file))
            entry["export_seconds"] = round(time.time() - start, 2)
            entries.append(entry)
            print(f"  {file}: params={params} output={expected} ({entry['export_seconds']} s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report the failure and go on with the other models
            first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(f"  {file}: FAILED: {first_line}", file=sys.stderr, flush=True)
            traceback.print_exc(limit=1)
    return entries


def export_error_cases(out_dir):
    cases = []
    for cls, op in ((FftModel, "aten::fft_fft2"), (GridSampleModel, "aten::grid_sampler")):
        torch.manual_seed(0)
        model = cls().eval()
        file = f"unsupported_{cls.__name__}.script.pt"
        torch.jit.script(model).save(os.path.join(out_dir, file))
        cases.append({"file": file, "input_shape": [1, 3, 16, 16], "error_contains": op})
        print(f"  {file}: must fail naming {op}", flush=True)
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    every = list(MODELS) + list(EXTRA_MODELS)
    parser.add_argument("--models", default=",".join(every), help="comma-separated subset of: " + ",".join(every))
    parser.add_argument("--size", type=int, default=0, help="override the spatial input size of every model")
    args = parser.parse_args()

    names = [n for n in args.models.split(",") if n]
    unknown = [n for n in names if n not in every]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; valid: {', '.join(every)}")
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

    entries = []
    for name in names:
        print(f"{name}:", flush=True)
        torch.manual_seed(0)
        if name in MODELS:
            kwargs, size = MODELS[name]
            model = getattr(torchvision.models, name)(weights=None, **kwargs)
            shape = [1, 3, args.size or size, args.size or size]
        else:
            factory, shape = EXTRA_MODELS[name]
            model = factory()
        entries += export_model(name, model.eval(), shape, args.out_dir)
    manifest = {
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "models": entries,
        "error_cases": export_error_cases(args.out_dir),
    }
    with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    failed = len(names) * 2 - len(entries)
    print(f"wrote {len(entries)} model files ({failed} failed) and manifest.json to {args.out_dir}")


if __name__ == "__main__":
    main()
