//! Parity with our own PyTorch reference `parity-b` (made by `fixtures/make_fixtures.py`):
//! another backbone shape, MSTR and the full objective, timm-named backbone files, and the
//! decoding of RGBA / non-square / JPEG images.

use arnet_model::burn::tensor::{Device, Tensor};
use arnet_model::loss::{ArnetLoss, FourViews, TEMPERATURE};
use arnet_model::preprocess::{decode_rgb, model_input};
use arnet_model::weights::{self, LoadScope, WeightFile};
use arnet_model::{ArnetPair, Backend, EncoderRole};
use arnet_tests::{FixtureTensor, assert_close, fixture, max_abs_diff, read_tensor, values};

const SET: &str = "parity-b";
const SIZE: usize = 64;
/// Inputs in the order of `manifest.json`'s `input_order`.
const INPUTS: [&str; 3] = ["rgba_sketch", "colour_wide", "colour_jpeg"];
const FILES: [&str; 3] = [
    "input_rgba_sketch.png",
    "input_colour_wide.png",
    "input_colour.jpg",
];
/// parity-b's backbone has 6 heads (shapes alone would say 48 / 64 -> 1).
const HEADS: Option<usize> = Some(6);
const TOLERANCE: f32 = 1e-4;

fn device() -> Device {
    Backend::Cpu.device().unwrap()
}

fn expected(key: &str) -> FixtureTensor {
    read_tensor(&fixture(SET, "expected.safetensors"), key)
}

/// The reference model inputs (PIL-made bytes / 255), `[3, 3, 64, 64]`.
fn inputs(device: &Device) -> Tensor<4> {
    let tensors = INPUTS
        .iter()
        .map(|name| {
            let mut t = expected(&format!("input.{name}"));
            t.data.iter_mut().for_each(|v| *v /= 255.0);
            t.shape.insert(0, 1);
            t.to_tensor::<4>(device)
        })
        .collect();
    Tensor::cat(tensors, 0)
}

fn pair(device: &Device) -> ArnetPair {
    weights::load_pair(&fixture(SET, "pair_mstr.safetensors"), HEADS, device).unwrap()
}

#[test]
fn png_decoding_matches_pil_including_transparency() {
    for (name, file) in INPUTS.iter().zip(FILES).take(2) {
        let ours = model_input(&decode_rgb(&fixture(SET, file)).unwrap(), SIZE);
        let ours: Vec<f32> = ours.iter().map(|v| (v * 255.0).round()).collect();
        let pil = expected(&format!("input.{name}")).data;
        // Alpha compositing may round half-way values the other way: at most one level.
        let diff = max_abs_diff(&ours, &pil);
        assert!(diff <= 1.0, "{name}: max diff {diff} levels");
        let exact = ours.iter().zip(&pil).filter(|(a, b)| a == b).count();
        assert!(
            exact * 100 >= ours.len() * 99,
            "{name}: only {exact} exact bytes"
        );
    }
}

#[test]
fn jpeg_decoding_is_close_to_pil() {
    // libjpeg and the image crate's decoder differ in IDCT/upsampling rounding.
    let ours = model_input(&decode_rgb(&fixture(SET, FILES[2])).unwrap(), SIZE);
    let ours: Vec<f32> = ours.iter().map(|v| v * 255.0).collect();
    let pil = expected("input.colour_jpeg").data;
    let mean = ours
        .iter()
        .zip(&pil)
        .map(|(a, b)| (a - b).abs())
        .sum::<f32>()
        / pil.len() as f32;
    assert!(mean < 1.5, "mean |diff| {mean} levels");
    assert!(max_abs_diff(&ours, &pil) <= 12.0);
}

#[test]
fn backbone_of_another_shape_matches_timm() {
    let device = device();
    let pair = pair(&device);
    let out = pair
        .sketch
        .encoder
        .vit()
        .unwrap()
        .forward_intermediates(inputs(&device));
    let check = |t: Tensor<3>, key: &str| {
        assert_close(
            &values(t),
            &expected(&format!("vit.{key}")).data,
            TOLERANCE,
            key,
        )
    };
    check(out.patch_embed, "patch_embed");
    assert_eq!(out.blocks.len(), 3);
    for (i, block) in out.blocks.into_iter().enumerate() {
        check(block, &format!("block{i}"));
    }
    check(out.norm, "norm");
}

#[test]
fn mstr_encoders_match_the_reference() {
    let device = device();
    let pair = pair(&device);
    for (role, tag) in [(EncoderRole::Sketch, "skt"), (EncoderRole::Photo, "img")] {
        let encoder = pair.get(role);
        let mstr = encoder.mstr.as_ref().expect("MSTR was read from the file");
        assert_eq!(mstr.window_sizes, vec![1, 2, 4]);
        let out = encoder.forward(inputs(&device));
        let tokens = out.mstr_tokens.clone().unwrap();
        assert_eq!(tokens.dims(), [3, 64 + 16 + 4, 48]);
        let check = |actual: Vec<f32>, key: &str| {
            assert_close(
                &actual,
                &expected(&format!("{tag}.{key}")).data,
                TOLERANCE,
                key,
            )
        };
        check(values(tokens.clone()), "mstr_tokens");
        check(values(out.class_feature), "class_feature");
        check(values(out.embedding), "embedding");
        check(values(encoder.embed(inputs(&device))), "embedding_l2");
        check(values(mstr.recycling_loss(tokens)), "recycling_loss");
    }
}

#[test]
fn full_objective_matches_the_reference() {
    let device = device();
    let pair = pair(&device);
    let sketches = inputs(&device);
    let photos = sketches.clone().flip([0]);
    let views = FourViews::compute(
        &pair,
        sketches.clone(),
        sketches.flip([3]),
        photos.clone(),
        photos.flip([3]),
    );
    let loss = ArnetLoss::compute(&pair, &views, TEMPERATURE);
    let scalar = |t: Tensor<1>| values(t)[0];
    for (ours, key) in [
        (loss.multi_modal, "multi_modal"),
        (loss.inter_sample, "inter_sample"),
        (loss.intra_sketch, "intra_sketch"),
        (loss.intra_photo, "intra_photo"),
        (loss.recycling_sketch.unwrap(), "recycling_sketch"),
        (loss.recycling_photo.unwrap(), "recycling_photo"),
        (loss.total, "total"),
    ] {
        let (got, want) = (scalar(ours), expected(&format!("loss.{key}")).data[0]);
        assert!(
            (got - want).abs() <= 1e-4 * want.abs().max(1.0),
            "{key}: {got} vs {want}"
        );
    }
}

#[test]
fn timm_backbone_files_load_in_both_formats() {
    let device = device();
    let reference = expected("timm.cls").data;
    for file in ["timm_backbone.safetensors", "timm_backbone.pth"] {
        let state = WeightFile::read(&fixture(SET, file))
            .unwrap()
            .state_dict(EncoderRole::Sketch)
            .unwrap();
        assert!(state.is_timm_backbone, "{file}");
        let config = state.infer_config(HEADS).unwrap();
        assert!(config.mstr.is_none());
        let mut encoder = config.init(&device).unwrap();
        state
            .apply(&mut encoder, LoadScope::BackboneOnly, &device)
            .unwrap();
        let out = encoder.forward(inputs(&device));
        assert_close(&values(out.class_feature), &reference, TOLERANCE, file);
    }
}

#[test]
fn saved_mstr_pair_reloads_to_identical_embeddings() {
    let device = device();
    let mut original = pair(&device);
    let dir = arnet_tests::scratch_dir("parity-b-save");
    let path = dir.join("pair.safetensors");
    weights::save_pair(&mut original, &path).unwrap();
    // Our format carries the configuration: no --heads needed.
    let reloaded = weights::load_pair(&path, None, &device).unwrap();
    for role in [EncoderRole::Sketch, EncoderRole::Photo] {
        let a = values(original.get(role).embed(inputs(&device)));
        let b = values(reloaded.get(role).embed(inputs(&device)));
        assert_eq!(a, b, "{role:?}");
    }
    assert_eq!(reloaded.sketch.config(), original.sketch.config());
}
