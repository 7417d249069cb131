//! Parity with PyTorch/timm on the shared `parity-a` fixture (64-d, 2 blocks, 4 heads, 224 px).
//!
//! Every number compared here was computed by PyTorch/timm (see `fixtures/parity-a/manifest.json`).

use arnet_model::burn::tensor::{Device, Tensor};
use arnet_model::encoder::ArnetEncoder;
use arnet_model::preprocess::{MODEL_INPUT_SIZE, decode_rgb, model_input};
use arnet_model::weights::{self, WeightFile};
use arnet_model::{Backend, EncoderRole};
use arnet_tests::{
    FixtureTensor, assert_close, fixture, json_floats, read_json, read_tensor, scratch_dir, values,
};

const SET: &str = "parity-a";
/// Fixture inputs and which stored tensor is the model's input (train where it differs).
const INPUTS: [(&str, &str); 4] = [
    ("sketch", "sketch.eval_u8"),
    ("colour", "colour.eval_u8"),
    ("nonsquare", "nonsquare.train_u8"),
    ("sketch256", "sketch256.eval_u8"),
];
const TOLERANCE: f32 = 1e-4;

fn device() -> Device {
    Backend::Cpu.device().unwrap()
}

/// The fixture's model input for `key`: u8 / 255 (`ToTensor`), as `[1, 3, 224, 224]`.
fn input(key: &str) -> FixtureTensor {
    let mut t = read_tensor(&fixture(SET, "inputs.safetensors"), key);
    t.data.iter_mut().for_each(|v| *v /= 255.0);
    t.shape.insert(0, 1);
    t
}

/// parity-a was made with 4 heads; shapes alone would give 64 / 64 = 1.
const HEADS: Option<usize> = Some(4);

fn load(file: &str, role: EncoderRole) -> ArnetEncoder {
    weights::load_encoder(&fixture(SET, file), role, HEADS, &device()).unwrap()
}

fn expected(input: &str, role: EncoderRole) -> serde_json::Value {
    let json = read_json(&fixture(SET, "expected_outputs.json"));
    let tag = if input == "nonsquare" {
        "train"
    } else {
        "eval"
    };
    json["inputs"][input][tag][role.state_dict_key()].clone()
}

#[test]
fn decoding_and_resizing_match_pil_exactly() {
    for (name, key) in INPUTS {
        let png = fixture(SET, &format!("input_{name}.png"));
        let ours = model_input(&decode_rgb(&png).unwrap(), MODEL_INPUT_SIZE);
        let pil = read_tensor(&fixture(SET, "inputs.safetensors"), key);
        let ours_u8: Vec<f32> = ours.iter().map(|v| (v * 255.0).round()).collect();
        assert_eq!(ours_u8, pil.data, "{name}: resized bytes differ from PIL");
        // ToTensor divides by 255 (not multiply by the reciprocal).
        let reference: Vec<f32> = pil.data.iter().map(|v| v / 255.0).collect();
        assert_eq!(
            ours, reference,
            "{name}: [0, 1] values differ from ToTensor"
        );
    }
}

#[test]
fn backbone_intermediates_match_timm() {
    let device = device();
    let encoder = load("weights.safetensors", EncoderRole::Sketch);
    let out = encoder
        .encoder
        .vit()
        .unwrap()
        .forward_intermediates(input("sketch.eval_u8").to_tensor(&device));
    let reference = fixture(SET, "intermediates_sketch.safetensors");
    let check = |tensor: Tensor<3>, key: &str| {
        assert_close(
            &values(tensor),
            &read_tensor(&reference, key).data,
            TOLERANCE,
            key,
        )
    };
    check(out.patch_embed, "patch_embed");
    assert_eq!(out.blocks.len(), 2);
    for (i, block) in out.blocks.into_iter().enumerate() {
        check(block, &format!("block{i}"));
    }
    check(out.norm, "norm");
}

/// Head output, normalised embedding and class token for every input, for one encoder.
fn check_encoder_outputs(encoder: &ArnetEncoder, role: EncoderRole, source: &str) {
    let device = device();
    for (name, key) in INPUTS {
        let out = encoder.forward(input(key).to_tensor(&device));
        let reference = expected(name, role);
        let what = |part: &str| format!("{source} {role:?} {name} {part}");
        assert_close(
            &values(out.class_feature),
            &json_floats(&reference["cls"]),
            TOLERANCE,
            &what("cls"),
        );
        assert_close(
            &values(out.embedding),
            &json_floats(&reference["mlp_feat"]),
            TOLERANCE,
            &what("mlp_feat"),
        );
        let embedded = encoder.embed(input(key).to_tensor(&device));
        assert_close(
            &values(embedded),
            &json_floats(&reference["mlp_feat_l2"]),
            TOLERANCE,
            &what("mlp_feat_l2"),
        );
    }
}

#[test]
fn embeddings_match_from_the_authors_checkpoint() {
    for role in [EncoderRole::Sketch, EncoderRole::Photo] {
        check_encoder_outputs(&load("checkpoint.pth", role), role, "checkpoint.pth");
    }
}

#[test]
fn embeddings_match_from_single_encoder_safetensors() {
    check_encoder_outputs(
        &load("weights.safetensors", EncoderRole::Sketch),
        EncoderRole::Sketch,
        "weights.safetensors",
    );
    check_encoder_outputs(
        &load("img.safetensors", EncoderRole::Photo),
        EncoderRole::Photo,
        "img.safetensors",
    );
}

#[test]
fn embeddings_match_after_a_round_trip_through_our_format() {
    let device = device();
    let dir = scratch_dir("parity-a-roundtrip");
    let mut pair = weights::load_pair(&fixture(SET, "checkpoint.pth"), HEADS, &device).unwrap();
    let path = dir.join("pair.safetensors");
    weights::save_pair(&mut pair, &path).unwrap();
    let file = WeightFile::read(&path).unwrap();
    assert!(file.is_pair());
    assert!(file.metadata.contains_key(weights::CONFIG_METADATA_KEY));
    for role in [EncoderRole::Sketch, EncoderRole::Photo] {
        let encoder = weights::load_encoder(&path, role, None, &device).unwrap();
        check_encoder_outputs(&encoder, role, "our pair format");
    }
    // A single encoder in our format.
    let mut sketch = load("checkpoint.pth", EncoderRole::Sketch);
    let single = dir.join("sketch.safetensors");
    weights::save_encoder(&mut sketch, &single).unwrap();
    let reloaded = weights::load_encoder(&single, EncoderRole::Sketch, None, &device).unwrap();
    check_encoder_outputs(&reloaded, EncoderRole::Sketch, "our single format");
}

#[test]
fn timm_named_weights_initialise_the_backbone() {
    let device = device();
    let dir = scratch_dir("parity-a-timm");
    // timm's own file layout: the backbone names without `encoder.`, plus a classifier.
    let file = WeightFile::read(&fixture(SET, "weights.safetensors")).unwrap();
    let mut tensors: Vec<(String, arnet_model::params::HostTensor)> = file
        .tensors
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("encoder.")
                .map(|k| (k.to_string(), v.clone()))
        })
        .collect();
    tensors.push((
        "head.weight".into(),
        arnet_model::params::HostTensor::new(vec![10, 64], vec![0.5; 640]),
    ));
    tensors.push((
        "head.bias".into(),
        arnet_model::params::HostTensor::new(vec![10], vec![0.0; 10]),
    ));
    let path = dir.join("timm.safetensors");
    weights::write_safetensors(&path, tensors, Default::default()).unwrap();

    let state = WeightFile::read(&path)
        .unwrap()
        .state_dict(EncoderRole::Sketch)
        .unwrap();
    assert!(state.is_timm_backbone);
    let config = state.infer_config(Some(4)).unwrap();
    let mut encoder = config.init(&device).unwrap();
    state
        .apply(&mut encoder, weights::LoadScope::BackboneOnly, &device)
        .unwrap();
    let out = encoder.forward(input("sketch.eval_u8").to_tensor(&device));
    assert_close(
        &values(out.class_feature),
        &json_floats(&expected("sketch", EncoderRole::Sketch)["cls"]),
        TOLERANCE,
        "class token from timm-named weights",
    );
    // A timm file has no head: loading it as a full encoder must say so.
    let err = weights::load_encoder(&path, EncoderRole::Sketch, Some(4), &device)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing") && err.contains("mlp_head.0.weight"),
        "{err}"
    );
}

#[test]
fn configuration_is_read_from_shapes() {
    let state = WeightFile::read(&fixture(SET, "checkpoint.pth"))
        .unwrap()
        .state_dict(EncoderRole::Photo)
        .unwrap();
    let config = state.infer_config(None).unwrap();
    let backbone = config.backbone.vit().expect("a ViT");
    assert_eq!(
        (
            backbone.image_size,
            backbone.patch_size,
            backbone.embed_dim,
            backbone.depth,
            backbone.mlp_hidden_dim
        ),
        (224, 16, 64, 2, 256)
    );
    assert_eq!(backbone.num_heads, 1, "default heads = embed_dim / 64");
    assert_eq!(config.embedding_dim, 512);
    assert!(config.mstr.is_none());
    assert_eq!(
        state
            .infer_config(Some(4))
            .unwrap()
            .backbone
            .vit()
            .unwrap()
            .num_heads,
        4
    );
}

#[test]
fn cross_modal_similarity_matrix_matches() {
    let device = device();
    let pair = weights::load_pair(&fixture(SET, "checkpoint.pth"), HEADS, &device).unwrap();
    let batch = |role: EncoderRole| {
        let tensors: Vec<Tensor<4>> = INPUTS
            .iter()
            .map(|(_, key)| input(key).to_tensor(&device))
            .collect();
        values(pair.get(role).embed(Tensor::cat(tensors, 0)))
    };
    let (sketches, photos) = (batch(EncoderRole::Sketch), batch(EncoderRole::Photo));
    let reference =
        read_json(&fixture(SET, "expected_outputs.json"))["similarity"]["matrix"].clone();
    for i in 0..4 {
        let row: Vec<f32> = (0..4)
            .map(|j| {
                let (s, p) = (
                    &sketches[i * 512..(i + 1) * 512],
                    &photos[j * 512..(j + 1) * 512],
                );
                arnet_model::retrieval::dot(s, p)
            })
            .collect();
        assert_close(
            &row,
            &json_floats(&reference[i]),
            1e-5,
            &format!("similarity row {i}"),
        );
    }
}

#[test]
fn an_image_embeds_the_same_alone_or_in_a_batch() {
    let device = device();
    let encoder = load("checkpoint.pth", EncoderRole::Sketch);
    let tensors: Vec<Tensor<4>> = INPUTS
        .iter()
        .map(|(_, key)| input(key).to_tensor(&device))
        .collect();
    let batched = values(encoder.embed(Tensor::cat(tensors.clone(), 0)));
    for (i, single) in tensors.into_iter().enumerate() {
        let alone = values(encoder.embed(single));
        assert_close(
            &alone,
            &batched[i * 512..(i + 1) * 512],
            1e-5,
            "alone vs batched",
        );
    }
}

#[test]
fn heads_flag_changes_nothing_when_it_matches_the_checkpoint() {
    // The fixture was made with 4 heads; 1 head (the shape default for 64-d) gives other
    // numbers, which is why `--heads` exists.
    let device = device();
    let four = weights::load_encoder(
        &fixture(SET, "checkpoint.pth"),
        EncoderRole::Sketch,
        Some(4),
        &device,
    )
    .unwrap();
    let one = weights::load_encoder(
        &fixture(SET, "checkpoint.pth"),
        EncoderRole::Sketch,
        Some(1),
        &device,
    )
    .unwrap();
    let x = input("sketch.eval_u8");
    let reference = json_floats(&expected("sketch", EncoderRole::Sketch)["mlp_feat_l2"]);
    assert_close(
        &values(four.embed(x.to_tensor(&device))),
        &reference,
        TOLERANCE,
        "4 heads",
    );
    let wrong = values(one.embed(x.to_tensor(&device)));
    assert!(
        arnet_tests::max_abs_diff(&wrong, &reference) > 1e-3,
        "1 head should differ"
    );
}
