#!/usr/bin/python3
"""Writes the model zoo's ONNX models and a seeded input for each (scripts/make-zoo.sh runs this, then ONNX
Runtime for the reference outputs; docs/model-zoo.md).

Every model has random weights from a fixed seed (torchvision's `weights=None`: nothing is downloaded), is
small enough for CI (64x64 or 96x96 images, reduced widths where the constructor takes one) and has fixed
input shapes. The torchvision and torch models are exported with torch.onnx.export; the `tf_*` models are
written with onnx.helper in the forms TensorFlow converters (tf2onnx) produce.

    /usr/bin/python3 scripts/zoo/export_models.py OUT_DIR

writes OUT_DIR/<model>.onnx, OUT_DIR/<model>/input_<k>.npy, OUT_DIR/<model>/torch_output_<k>.npy (the
exporting framework's own outputs, which the ONNX Runtime step compares with its own) and
OUT_DIR/models.json, the list the ONNX Runtime step turns into manifest.json.
"""
import json
import math
import os
import sys
import warnings
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import torch
import torch.nn as nn
import torchvision

SEED = 20261205


def seeded_input(name, shape):
    """Standard normal, from a generator seeded by the model's name: the same bytes on every run."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    return rng.standard_normal(shape).astype(np.float32)


def randomise_batchnorm(model, seed):
    """Random running statistics and affine parameters for every BatchNorm: with the defaults (mean 0,
    variance 1, scale 1, shift 0) an inference BatchNorm is nearly the identity and a wrong folding of it
    would go unnoticed."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                c = module.num_features
                module.running_mean.copy_(0.1 * torch.randn(c, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(c, generator=generator))
                module.weight.copy_(0.75 + 0.5 * torch.rand(c, generator=generator))
                module.bias.copy_(0.1 * torch.randn(c, generator=generator))


# ---------------------------------------------------------------------------------------------------------
# Models written in torch


class SegmentationOut(nn.Module):
    """torchvision's segmentation models return a dict; ONNX wants tensors."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


class Attention(nn.Module):
    """ViT's (timm's) self-attention: one qkv projection, heads split by reshape/permute."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        n, t, c = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attention = (q @ k.transpose(-2, -1)) * self.scale
        attention = attention.softmax(dim=-1)
        return self.proj((attention @ v).transpose(1, 2).reshape(n, t, c))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp_ratio=2):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, dim * mlp_ratio), nn.GELU(), nn.Linear(dim * mlp_ratio, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class TinyViT(nn.Module):
    """A ViT-style classifier: 8x8 patches of a 32x32 image by a strided conv, a class token, learned
    position embeddings, pre-norm encoder blocks, a head on the class token."""

    def __init__(self, image=32, patch=8, dim=32, depth=2, heads=4, classes=10):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        tokens = (image // patch) ** 2
        self.cls_token = nn.Parameter(0.02 * torch.randn(1, 1, dim))
        self.pos_embed = nn.Parameter(0.02 * torch.randn(1, tokens + 1, dim))
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + self.pos_embed
        x = self.norm(self.blocks(x))
        return self.head(x[:, 0])


class Crnn(nn.Module):
    """A CRNN text recogniser: a small conv stack over a 32x64 grey text line, its columns as a sequence
    into a bidirectional LSTM and a bidirectional GRU, per-step class log-probabilities for CTC."""

    def __init__(self, classes=20, hidden=32):
        super().__init__()

        def conv(cin, cout):
            return [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(*conv(1, 16), nn.MaxPool2d(2), *conv(16, 32), nn.MaxPool2d(2),
                                      *conv(32, 32), nn.MaxPool2d((2, 1)))
        self.lstm = nn.LSTM(32 * 4, hidden, bidirectional=True)
        self.gru = nn.GRU(2 * hidden, hidden, bidirectional=True)
        self.classifier = nn.Linear(2 * hidden, classes)

    def forward(self, x):
        f = self.features(x)  # [N, C, H, W]
        n, c, h, w = f.shape
        sequence = f.permute(3, 0, 1, 2).reshape(w, n, c * h)  # [T=W, N, C*H]
        sequence, _ = self.lstm(sequence)
        sequence, _ = self.gru(sequence)
        return self.classifier(sequence).log_softmax(dim=-1)


class TransformerEncoder(nn.Module):
    """PyTorch's own nn.TransformerEncoder (post-norm, ReLU), batch first, with a linear input projection."""

    def __init__(self, features=16, dim=32, heads=4, layers=2):
        super().__init__()
        self.embed = nn.Linear(features, dim)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=64, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)

    def forward(self, x):
        return self.encoder(self.embed(x))


def unit_scale_head(model, x):
    """Scales the classifier head (the model's last nn.Linear, whose output is the model's) so that the
    logits have a standard deviation of 1: torchvision initialises heads with std 0.01, and logits of
    0.006 would pass any comparison at atol 1e-4."""
    head = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        scale = float(model(x).std())
        head.weight.div_(scale)
        head.bias.div_(scale)


def torchvision_model(name, **kwargs):
    return getattr(torchvision.models, name)(weights=None, **kwargs)


# name, builder, input shape, opset, small (run on every back end in CI), what it is
TORCH_MODELS = [
    ("resnet18", lambda: torchvision_model("resnet18"), [1, 3, 64, 64], 11, False,
     "torchvision resnet18 (11.7 M parameters)"),
    ("squeezenet1_1", lambda: torchvision_model("squeezenet1_1", num_classes=100), [1, 3, 64, 64], 11, True,
     "torchvision squeezenet1_1, 100 classes"),
    ("crnn", Crnn, [1, 1, 32, 64], 11, True, "CRNN: 3 conv blocks, bidirectional LSTM and GRU (hidden 32), CTC head"),
    ("mobilenet_v2", lambda: torchvision_model("mobilenet_v2", width_mult=0.5, num_classes=100), [1, 3, 96, 96],
     13, True, "torchvision mobilenet_v2, width 0.5, 100 classes"),
    ("shufflenet_v2", lambda: torchvision_model("shufflenet_v2_x0_5", num_classes=100), [1, 3, 64, 64], 13, True,
     "torchvision shufflenet_v2_x0_5, 100 classes"),
    ("lraspp_mobilenet_v3", lambda: SegmentationOut(torchvision.models.segmentation.lraspp_mobilenet_v3_large(
        weights=None, weights_backbone=None, num_classes=4)), [1, 3, 96, 96], 13, True,
     "torchvision lraspp_mobilenet_v3_large, 4 classes: segmentation, bilinear Resize to the input size"),
    ("transformer_encoder", TransformerEncoder, [1, 16, 16], 13, True,
     "nn.TransformerEncoder: 2 layers, d_model 32, 4 heads, batch first, 16 steps"),
    ("mobilenet_v3_small", lambda: torchvision_model("mobilenet_v3_small", width_mult=0.5, num_classes=100),
     [1, 3, 64, 64], 17, True, "torchvision mobilenet_v3_small, width 0.5, 100 classes"),
    ("efficientnet_b0", lambda: torchvision_model("efficientnet_b0", num_classes=100), [1, 3, 64, 64], 17, True,
     "torchvision efficientnet_b0, 100 classes"),
    ("vit", TinyViT, [1, 3, 32, 32], 17, True,
     "ViT-style: 8x8 patch conv, class token, 2 pre-norm blocks (d 32, 4 heads, GELU), head"),
]


# The classifiers whose logits come straight from their last nn.Linear and are small at torchvision's init.
UNIT_SCALE_HEADS = {"mobilenet_v2", "shufflenet_v2", "mobilenet_v3_small", "efficientnet_b0"}


def export_torch(out_dir, name, build, shape, opset, small, description):
    torch.manual_seed(SEED)
    model = build()
    randomise_batchnorm(model, SEED)
    model.eval()
    x = seeded_input(name, shape)
    if name in UNIT_SCALE_HEADS:
        unit_scale_head(model, torch.from_numpy(x))
    with torch.no_grad():
        outputs = model(torch.from_numpy(x))
    outputs = outputs if isinstance(outputs, (tuple, list)) else [outputs]
    output_names = ["output"] if len(outputs) == 1 else [f"output_{k}" for k in range(len(outputs))]
    path = os.path.join(out_dir, name + ".onnx")
    torch.onnx.export(model, (torch.from_numpy(x),), path, opset_version=opset, input_names=["input"],
                      output_names=output_names, do_constant_folding=True)
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "input_0.npy"), x)
    for k, output in enumerate(outputs):
        np.save(os.path.join(folder, f"torch_output_{k}.npy"), output.numpy())
    return {"name": name, "file": name + ".onnx", "source": "torch", "description": description, "opset": opset,
            "small": small, "inputs": [{"name": "input", "shape": shape, "file": f"{name}/input_0.npy"}],
            "torch_outputs": [f"{name}/torch_output_{k}.npy" for k in range(len(outputs))]}


# ---------------------------------------------------------------------------------------------------------
# Models in the forms TensorFlow converters write


def initializer(rng, name, shape, scale=None):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    scale = scale if scale is not None else 1.0 / math.sqrt(fan_in)
    return numpy_helper.from_array((scale * rng.standard_normal(shape)).astype(np.float32), name)


def tf_cnn(opset):
    """NHWC input transposed to NCHW; TF's SAME padding at stride 2 written as explicit asymmetric pads
    (pad at the end only: [0, 0, 1, 1]) and once as auto_pad SAME_UPPER; ReLU6 as Clip(0, 6) with bound
    inputs; FusedBatchNorm as BatchNormalization; the mean over H and W as ReduceMean in NHWC; a dense
    layer as MatMul + Add."""
    rng = np.random.default_rng(1)
    inits = [
        initializer(rng, "conv1/w", [16, 3, 3, 3]), initializer(rng, "conv1/b", [16], 0.1),
        initializer(rng, "conv2/w", [32, 16, 3, 3]),
        numpy_helper.from_array((0.75 + 0.5 * rng.random(32)).astype(np.float32), "bn/scale"),
        numpy_helper.from_array((0.1 * rng.standard_normal(32)).astype(np.float32), "bn/shift"),
        numpy_helper.from_array((0.1 * rng.standard_normal(32)).astype(np.float32), "bn/mean"),
        numpy_helper.from_array((0.5 + rng.random(32)).astype(np.float32), "bn/var"),
        numpy_helper.from_array(np.array(0.0, np.float32), "relu6/min"),
        numpy_helper.from_array(np.array(6.0, np.float32), "relu6/max"),
        initializer(rng, "dense/w", [32, 10], 1 / math.sqrt(32)), initializer(rng, "dense/b", [10], 0.1),
    ]
    nodes = [
        helper.make_node("Transpose", ["input"], ["nchw"], perm=[0, 3, 1, 2], name="to_nchw"),
        helper.make_node("Conv", ["nchw", "conv1/w", "conv1/b"], ["conv1"], kernel_shape=[3, 3], strides=[2, 2],
                         pads=[0, 0, 1, 1], name="conv1"),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("Conv", ["relu1", "conv2/w"], ["conv2"], kernel_shape=[3, 3], strides=[2, 2],
                         auto_pad="SAME_UPPER", name="conv2"),
        helper.make_node("BatchNormalization", ["conv2", "bn/scale", "bn/shift", "bn/mean", "bn/var"], ["bn"],
                         epsilon=1e-3, name="bn"),
        helper.make_node("Clip", ["bn", "relu6/min", "relu6/max"], ["relu6"], name="relu6"),
        helper.make_node("Transpose", ["relu6"], ["nhwc"], perm=[0, 2, 3, 1], name="to_nhwc"),
        helper.make_node("ReduceMean", ["nhwc"], ["pooled"], axes=[1, 2], keepdims=0, name="mean"),
        helper.make_node("MatMul", ["pooled", "dense/w"], ["dense"], name="dense/matmul"),
        helper.make_node("Add", ["dense", "dense/b"], ["logits"], name="dense/add"),
        helper.make_node("Softmax", ["logits"], ["output"], axis=-1, name="softmax"),
    ]
    shape = [1, 32, 32, 3]
    graph = helper.make_graph(nodes, "tf_cnn", [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])], inits)
    return graph, shape


def tf_if(opset):
    """A tf.cond on a static shape, as tf2onnx writes it: Shape -> Gather -> Greater -> If, each branch a
    subgraph reading the outer input (then: dense + tanh; else: sigmoid)."""
    rng = np.random.default_rng(2)
    shape = [1, 8, 16]
    then_nodes = [helper.make_node("MatMul", ["input", "then/w"], ["then/matmul"], name="then/matmul"),
                  helper.make_node("Tanh", ["then/matmul"], ["then/out"], name="then/tanh")]
    then_branch = helper.make_graph(then_nodes, "then", [],
                                    [helper.make_tensor_value_info("then/out", TensorProto.FLOAT, shape)],
                                    [initializer(rng, "then/w", [16, 16])])
    else_branch = helper.make_graph([helper.make_node("Sigmoid", ["input"], ["else/out"], name="else/sigmoid")],
                                    "else", [], [helper.make_tensor_value_info("else/out", TensorProto.FLOAT, shape)])
    nodes = [
        helper.make_node("Shape", ["input"], ["shape"], name="shape"),
        helper.make_node("Gather", ["shape", "axis1"], ["steps"], axis=0, name="steps"),
        helper.make_node("Greater", ["steps", "four"], ["long"], name="long"),
        helper.make_node("If", ["long"], ["output"], then_branch=then_branch, else_branch=else_branch, name="cond"),
    ]
    inits = [numpy_helper.from_array(np.array(1, np.int64), "axis1"),
             numpy_helper.from_array(np.array(4, np.int64), "four")]
    graph = helper.make_graph(nodes, "tf_if", [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, shape)], inits)
    return graph, shape


# name, builder, opset, small, what it is
ONNX_MODELS = [
    ("tf_if", tf_if, 11, True, "tf.cond on a static shape: Shape, Gather, Greater, If with two subgraphs"),
    ("tf_cnn", tf_cnn, 13, True, "TF-converter CNN: NHWC Transpose, SAME stride-2 Conv as pads [0,0,1,1] "
                                 "and as SAME_UPPER, BatchNormalization, Clip(0,6), ReduceMean over H,W, "
                                 "MatMul + Add, Softmax"),
]


def export_onnx(out_dir, name, build, opset, small, description):
    graph, shape = build(opset)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="ntp-zoo (onnx.helper, tf2onnx forms)")
    model.ir_version = 7  # what ONNX 1.12 writes for opsets 11..15, readable by every runtime here
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))
    folder = os.path.join(out_dir, name)
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, "input_0.npy"), seeded_input(name, shape))
    return {"name": name, "file": name + ".onnx", "source": "onnx.helper", "description": description,
            "opset": opset, "small": small, "inputs": [{"name": "input", "shape": shape,
                                                        "file": f"{name}/input_0.npy"}], "torch_outputs": []}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: export_models.py OUT_DIR")
    out_dir = sys.argv[1]
    # The exporter's notes on LSTM batch sizes and constant shape inference concern dynamic shapes, which
    # the zoo does not use.
    warnings.filterwarnings("ignore", category=UserWarning)
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(os.cpu_count() or 1)
    models = []
    for name, build, shape, opset, small, description in TORCH_MODELS:
        models.append(export_torch(out_dir, name, build, shape, opset, small, description))
        print(f"  {name}: opset {opset}, input {shape}", flush=True)
    for name, build, opset, small, description in ONNX_MODELS:
        models.append(export_onnx(out_dir, name, build, opset, small, description))
        print(f"  {name}: opset {opset}, input {models[-1]['inputs'][0]['shape']}", flush=True)
    for model in models:
        model["bytes"] = os.path.getsize(os.path.join(out_dir, model["file"]))
    versions = {"torch": torch.__version__, "torchvision": torchvision.__version__, "onnx": onnx.__version__,
                "numpy": np.__version__}
    with open(os.path.join(out_dir, "models.json"), "w") as f:
        json.dump({"versions": versions, "models": models}, f, indent=1)


if __name__ == "__main__":
    main()
