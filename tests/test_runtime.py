"""helpers/runtime.py on a tiny (untrained) token classifier: every available variant is a
NerPredictor that tags every word, the ONNX graph computes what PyTorch computes (and a graph
that does not is caught), graphs are reused while fresh, and exporting prints nothing."""

from __future__ import annotations

import sys

import pytest

from helpers import corpora, runtime

pytestmark = pytest.mark.usefixtures("keep_torch_threads")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("runtime")


@pytest.fixture(scope="module")
def sentences():
    return list(corpora.load_health_ner()["test"]["tokens"][:40])


@pytest.mark.parametrize("name", list(runtime.VARIANTS))
def test_every_available_variant_tags_every_word(name, tiny_tagger, workdir, sentences):
    available, reason = runtime.variant_available(name)
    if not available:
        pytest.skip(reason)
    ner = runtime.load_variant(tiny_tagger, name, workdir, max_length=16, stride=4, threads=1)
    assert ner.variant == name
    words = sentences[:6] + [[], ["took"] + ["ibuprofen"] * 40]  # empty, and past the window
    tagged = ner.tag_batch(words, batch_size=4)
    assert [len(tags) for tags, _ in tagged] == [len(w) for w in words]
    assert all(t in ner.labels for tags, _ in tagged for t in tags)
    assert all(0 < s <= 1 for _, scores in tagged for s in scores)
    assert isinstance(ner("took 400 mg ibuprofen"), list)


def test_onnx_matches_eager_reuses_its_graph_and_prints_nothing(tiny_tagger, workdir, sentences,
                                                                capsys):
    pytest.importorskip("onnxruntime")
    fresh = workdir / "fresh"
    onnx = runtime.load_variant(tiny_tagger, "onnx", fresh)
    assert capsys.readouterr() == ("", "")  # the exporter's progress lines are silenced
    reference = runtime.load_variant(tiny_tagger, "fp32", fresh)
    # 40 sentences in batches of 32 windows: two batch sizes and many sequence lengths
    assert runtime.check_onnx(onnx, reference, sentences) <= 1e-3
    stamp = onnx.onnx_path.stat().st_mtime_ns
    again = runtime.load_variant(tiny_tagger, "onnx", fresh)
    assert again.onnx_path == onnx.onnx_path and onnx.onnx_path.stat().st_mtime_ns == stamp
    assert [p.name for p in fresh.iterdir() if "partial" in p.name] == []


def test_check_onnx_names_the_graph_when_it_computes_something_else(tiny_tagger, workdir,
                                                                    sentences):
    pytest.importorskip("onnxruntime")
    onnx = runtime.load_variant(tiny_tagger, "onnx", workdir)
    reference = runtime.load_variant(tiny_tagger, "fp32", workdir)
    right = onnx.forward
    onnx.forward = lambda inputs: right(inputs) + 0.01
    with pytest.raises(ValueError, match=rf"{onnx.onnx_path.name}.*differ.*0\.01"):
        runtime.check_onnx(onnx, reference, sentences[:5])
    assert runtime.check_onnx(onnx, reference, sentences[:5], atol=0.02) == pytest.approx(0.01, abs=1e-3)


def test_int8_logits_differ_a_little_and_are_reported(tiny_tagger, workdir, sentences):
    int8 = runtime.load_variant(tiny_tagger, "int8", workdir)
    reference = runtime.load_variant(tiny_tagger, "fp32", workdir)
    assert "quantized" in type(int8.model.classifier).__module__
    assert 0 <= runtime.logit_difference(int8, reference, sentences[:5]) < 1


def test_a_graph_is_named_by_the_weights_it_was_made_from(tmp_path):
    from helpers.bundle import model_version

    model, copy, other = tmp_path / "best", tmp_path / "copy" / "best", tmp_path / "other"
    for folder, weights in ((model, b"w"), (copy, b"w"), (other, b"v")):
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(weights)
    graph = runtime._onnx_file(model, tmp_path / "work")
    assert graph == tmp_path / "work" / f"best-{model_version(model)}.onnx"
    assert runtime._onnx_file(copy, tmp_path / "work") == graph  # the same weights, elsewhere
    assert runtime._onnx_file(other, tmp_path / "work") != graph
    (model / "model.safetensors").write_bytes(b"retrained")
    assert runtime._onnx_file(model, tmp_path / "work") != graph  # new weights, a new graph


def test_unknown_and_unavailable_variants_say_why(monkeypatch, tiny_tagger, workdir):
    with pytest.raises(ValueError, match="unknown variant 'fp16'.*onnx-int8"):
        runtime.variant_available("fp16")
    monkeypatch.setattr(runtime, "cpu_supports_bf16", lambda: False)
    available, reason = runtime.variant_available("bf16")
    assert not available and "bf16" in reason
    with pytest.raises(RuntimeError, match="not available here"):
        runtime.load_variant(tiny_tagger, "bf16", workdir)
    monkeypatch.setattr(runtime.importlib.util, "find_spec", lambda name: None)
    available, reason = runtime.variant_available("onnx")
    assert not available and "onnxruntime" in reason


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes are Python 3.11+")
def test_quiet_export_keeps_what_was_printed_for_an_error():
    with pytest.raises(RuntimeError) as caught, runtime.quiet_export():
        print("exporter: step 3 failed")
        raise RuntimeError("export failed")
    assert "step 3 failed" in "\n".join(caught.value.__notes__)
