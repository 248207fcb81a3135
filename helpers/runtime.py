"""The ways to run a saved NER model on a CPU: the same predictor, five runtimes behind it.

Each variant is a ``predict.NerPredictor`` whose ``forward`` (padded inputs in, logits out) runs
another runtime, so windows, tags, offsets and scores are computed the same way for all of
them and only speed and accuracy can differ:

* ``fp32``: PyTorch eager, float32 (the reference every other variant is compared with);
* ``bf16``: PyTorch eager under bf16 autocast (fast only where the CPU has native bf16);
* ``int8``: PyTorch dynamic quantisation of the Linear layers (int8 weights and matmuls);
* ``onnx``: ONNX Runtime on the float32 graph exported by ``torch.onnx.export(dynamo=True)``;
* ``onnx-int8``: ONNX Runtime on that graph after ``onnxruntime`` dynamic quantisation.

    >>> ner = load_variant("build/models/ner-smoke/best", "onnx", "build/runtime")  # doctest: +SKIP
    >>> ner.variant, ner("took 400 mg ibuprofen")[0]["type"]                           # doctest: +SKIP
    ('onnx', 'DOSAGE')
    >>> variant_available("nope")
    Traceback (most recent call last):
    ...
    ValueError: unknown variant 'nope'; expected one of fp32, bf16, int8, onnx, onnx-int8

``check_onnx`` compares an exported graph's logits with PyTorch's on real inputs, so a graph
that exported but computes something else is caught before it is timed. How fast each variant
is, and what it costs, is ``latency``'s job.

Imports: ``bundle`` (the model version), ``device``, ``predict``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import warnings
from pathlib import Path

from helpers.bundle import model_version
from helpers.device import cpu_count, cpu_supports_bf16, set_threads
from helpers.predict import NerPredictor

VARIANTS = {
    "fp32": "PyTorch eager, float32 (the reference)",
    "bf16": "PyTorch eager under bf16 autocast",
    "int8": "PyTorch dynamic quantisation of the Linear layers (qint8)",
    "onnx": "ONNX Runtime, float32 graph (torch.onnx.export, dynamo, opset 18)",
    "onnx-int8": "ONNX Runtime, the graph dynamically quantised (QInt8 weights)",
}
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OPSET = 18


def _known(name: str) -> None:
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; expected one of {', '.join(VARIANTS)}")


def variant_available(name: str) -> tuple[bool, str]:
    """``(available, reason)`` for a variant on this machine; a ``ValueError`` for a name
    that is not in ``VARIANTS``.

    >>> variant_available("fp32")
    (True, 'PyTorch runs everywhere')
    """
    _known(name)
    if name == "fp32":
        return True, "PyTorch runs everywhere"
    if name == "bf16":
        if cpu_supports_bf16():
            return True, "this CPU has native bf16 (AVX512-BF16/AMX)"
        return False, "this CPU has no native bf16 (AVX512-BF16/AMX): bf16 would be slower than fp32"
    if name == "int8":
        import torch

        engines = set(torch.backends.quantized.supported_engines) - {"none"}
        if engines:
            return True, f"quantised kernels: {', '.join(sorted(engines))}"
        return False, "this PyTorch build has no quantised CPU kernels"
    missing = [m for m in ("onnxruntime", "onnx", "onnxscript") if importlib.util.find_spec(m) is None]
    if missing:
        return False, f"{', '.join(missing)} not installed (pip install onnxruntime onnx onnxscript)"
    return True, "onnxruntime, onnx and onnxscript are installed"


def load_variant(model_dir: str | Path, variant: str, workdir: str | Path, max_length: int = 128,
                 stride: int = 32, threads: int | None = None) -> NerPredictor:
    """A ``NerPredictor`` on the CPU whose ``forward`` runs ``variant`` (see ``VARIANTS``); it
    has ``.variant`` (the name) and, for the ONNX variants, ``.onnx_path``.

    ONNX graphs are written under ``workdir``, named by the weights' version, and reused.
    ``threads``: CPU threads of the runtime (ONNX Runtime's intra-op threads, default every
    usable core; for PyTorch variants it sets torch's process-wide count, ``device.set_threads``).
    """
    _known(variant)
    available, reason = variant_available(variant)
    if not available:
        raise RuntimeError(f"variant {variant!r} is not available here: {reason}")
    precision = "bf16" if variant == "bf16" else "fp32"
    predictor = NerPredictor(model_dir, device="cpu", max_length=max_length, stride=stride,
                             precision=precision)
    if variant.startswith("onnx"):
        path = export_onnx(predictor, model_dir, workdir)
        if variant == "onnx-int8":
            path = quantize_onnx(path)
        predictor.onnx_path = path
        predictor.forward = _onnx_forward(path, threads or cpu_count())
    elif threads:
        set_threads(threads)
    if variant == "int8":
        predictor.model = _quantize_torch(predictor.model)
    predictor.variant = variant
    return predictor


def _quantize_torch(model):
    """The model with its Linear layers dynamically quantised to int8 (weights int8, activations
    quantised per batch); torch's deprecation notices for ``torch.ao`` are silenced."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


@contextlib.contextmanager
def quiet_export():
    """Silence what exporting and quantising print (progress lines on stdout and stderr, log
    records, warnings), so a notebook's output stays readable; on an error the silenced text
    is added to the exception's notes."""
    captured = io.StringIO()
    disabled = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(captured), \
                contextlib.redirect_stderr(captured):
            warnings.simplefilter("ignore")
            yield
    except Exception as error:
        if captured.getvalue().strip() and hasattr(error, "add_note"):
            error.add_note("what the exporter printed:\n" + captured.getvalue()[-4000:])
        raise
    finally:
        logging.disable(disabled)


def _onnx_file(model_dir: str | Path, workdir: str | Path) -> Path:
    """Where the graph of ``model_dir`` goes: named after the folder and the version of its
    weights (``bundle.model_version``), so a graph is reused only for the weights it was made
    from, wherever they were copied."""
    return Path(workdir) / f"{Path(model_dir).resolve().name}-{model_version(model_dir)}.onnx"


def _logits_module(model):
    """The token classifier as a module with the three inputs by name and the logits out (what
    the exporter traces), in eval mode."""
    import torch

    class Logits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).logits

    return Logits(model).eval()


def export_onnx(predictor: NerPredictor, model_dir: str | Path, workdir: str | Path) -> Path:
    """The predictor's float32 model as an ONNX graph (opset 18, batch and sequence axes
    dynamic) under ``workdir``; a graph already made from the same weights is reused."""
    import torch

    path = _onnx_file(model_dir, workdir)
    if path.exists():  # whole: written to a .partial file, then renamed
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    example = predictor.tokenizer(["took 400 mg ibuprofen", "a bad headache since monday morning"],
                                  padding=True, return_tensors="pt")
    inputs = {name: example[name] for name in INPUT_NAMES}
    batch, sequence = torch.export.Dim("batch", min=1), torch.export.Dim("sequence", min=2)
    partial = path.with_suffix(".partial.onnx")
    with quiet_export():
        torch.onnx.export(_logits_module(predictor.model), (), str(partial), kwargs=inputs, dynamo=True,
                          opset_version=OPSET, input_names=list(INPUT_NAMES),
                          output_names=["logits"], external_data=False, verbose=False,
                          dynamic_shapes={name: {0: batch, 1: sequence} for name in INPUT_NAMES})
    partial.replace(path)  # a graph that is there is a whole one
    return path


def quantize_onnx(path: Path) -> Path:
    """``path``'s graph with dynamically quantised weights (QInt8), beside it as ``*-int8.onnx``;
    reused once made (its name comes from the float graph's, which names the weights)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantized = path.with_name(path.stem + "-int8.onnx")
    if quantized.exists():
        return quantized
    partial = quantized.with_suffix(".partial.onnx")
    with quiet_export():
        quantize_dynamic(str(path), str(partial), weight_type=QuantType.QInt8)
    partial.replace(quantized)
    return quantized


def onnx_session(path: str | Path, threads: int):
    """An ONNX Runtime session on the CPU: ``threads`` intra-op threads, every graph
    optimisation, warnings off (errors still raise)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # ONNX Runtime's threads spin, waiting for the next run, by default: on a small CPU they then
    # steal the cores from the tokenizer and from torch between runs (measured on the 2-core CI
    # machine, it tripled onnx-int8's throughput at batch 1: lesson 07, "Pitfalls").
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _onnx_forward(path: Path, threads: int):
    """A ``forward`` (dict of int64 tensors in, float logits on the CPU out) running ``path``."""
    import numpy as np
    import torch

    session = onnx_session(path, threads)
    wanted = [i.name for i in session.get_inputs()]  # the exporter may drop an unused input

    def forward(inputs: dict) -> torch.Tensor:
        feed = {name: np.ascontiguousarray(inputs[name].cpu().numpy(), dtype=np.int64)
                for name in wanted}
        return torch.from_numpy(session.run(None, feed)[0]).float()

    return forward


def check_onnx(onnx_predictor: NerPredictor, reference_predictor: NerPredictor,
               word_lists: list[list[str]], atol: float = 1e-3) -> float:
    """Largest absolute difference between the two predictors' logits (real positions only)
    on the inputs ``onnx_predictor`` builds for ``word_lists``; a ``ValueError`` naming the
    graph and the difference when it is above ``atol``."""
    diff = logit_difference(onnx_predictor, reference_predictor, word_lists)
    if not diff <= atol:  # NaN fails too
        where = getattr(onnx_predictor, "onnx_path", "the predictor's forward")
        raise ValueError(f"{where}: logits differ from the reference by up to {diff:.3g} "
                         f"(atol {atol:g}); the exported graph does not compute the model")
    return diff


def logit_difference(predictor: NerPredictor, reference: NerPredictor,
                     word_lists: list[list[str]]) -> float:
    """Largest absolute difference of the two forwards' logits over the real (unpadded)
    positions of the batches ``predictor`` builds for ``word_lists``."""
    seen = []
    forward = predictor.forward

    def recording(inputs):
        logits = forward(inputs)
        seen.append((inputs, logits))
        return logits

    predictor.forward = recording
    try:
        predictor.tag_batch(word_lists)
    finally:
        predictor.forward = forward
    diff = 0.0
    for inputs, logits in seen:
        real = inputs["attention_mask"].bool()
        gap = (logits - reference.forward(inputs))[real].abs()
        diff = max(diff, float(gap.max()) if gap.numel() else 0.0)
        if gap.isnan().any():
            return float("nan")
    return diff
