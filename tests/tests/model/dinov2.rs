//! DINOv2's ViT (LayerScale, 14 px patches, ImageNet input normalisation) against timm's
//! `vit_small_patch14_dinov2` built small (56 px, 48 wide, 2 blocks, 2 heads; random weights,
//! LayerScale gammas far from timm's 1e-5), block by block.
//! Fixture: `tests/fixtures/make_dinov2_fixture.py`.

use arnet_model::burn::tensor::{Device, Tensor, TensorData};
use arnet_model::vit::{IMAGENET_MEAN, IMAGENET_STD, VitConfig};
use arnet_model::weights::{self, LoadScope, WeightFile};
use arnet_model::{ArnetEncoder, ArnetEncoderConfig, BackboneConfig, Backend, EncoderRole};
use arnet_tests::{assert_close, fixture, read_tensor, values};

const SET: &str = "dinov2-a";
const SIZE: usize = 56;
const INPUTS: [&str; 2] = ["sketch", "photo"];
/// 1e-4 relative to the tensor's largest magnitude, as the EfficientNet tests.
const TOLERANCE: f32 = 1e-4;

fn device() -> Device {
    Backend::Cpu.device().unwrap()
}

fn expected(key: &str) -> arnet_tests::FixtureTensor {
    read_tensor(&fixture(SET, "expected.safetensors"), key)
}

/// The fixture's input image `name` as the [0, 1] batch of one the model takes.
fn input(name: &str, device: &Device) -> Tensor<4> {
    let u8s = expected(&format!("input.{name}"));
    let data: Vec<f32> = u8s.data.iter().map(|v| v / 255.0).collect();
    Tensor::from_data(TensorData::new(data, vec![1, 3, SIZE, SIZE]), device)
}

#[track_caller]
fn assert_matches<const D: usize>(actual: Tensor<D>, key: &str) {
    let reference = expected(key);
    assert_eq!(
        &actual.dims()[1..],
        reference.shape.as_slice(),
        "{key}: shape"
    );
    let scale = reference.data.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    assert_close(&values(actual), &reference.data, TOLERANCE * scale, key);
}

fn load(device: &Device) -> ArnetEncoder {
    weights::load_encoder(
        &fixture(SET, "encoder.safetensors"),
        EncoderRole::Photo,
        None,
        device,
    )
    .unwrap()
}

fn vit_config(encoder: &ArnetEncoder) -> VitConfig {
    encoder.config().backbone.vit().expect("a ViT").clone()
}

#[test]
fn the_file_is_read_as_dinov2_layer_scale_patch_14_and_imagenet_normalisation() {
    let vit = vit_config(&load(&device()));
    assert!(vit.layer_scale);
    assert_eq!(
        (vit.image_size, vit.patch_size, vit.embed_dim, vit.depth),
        (56, 14, 48, 2)
    );
    assert_eq!(vit.num_heads, 2, "from the converter's num_heads metadata");
    assert_eq!(vit.input_mean, IMAGENET_MEAN);
    assert_eq!(vit.input_std, IMAGENET_STD);
    assert!(!vit.patch_norm);
}

#[test]
fn every_block_and_the_embedding_match_timm() {
    let device = device();
    let encoder = load(&device);
    let vit = encoder.encoder.vit().expect("a ViT");
    for name in INPUTS {
        let x = input(name, &device);
        let steps = vit.forward_intermediates(x.clone());
        assert_matches(steps.patch_embed, &format!("patch_embed.{name}"));
        assert_eq!(steps.blocks.len(), 2);
        for (i, block) in steps.blocks.into_iter().enumerate() {
            assert_matches(block, &format!("block{i}.{name}"));
        }
        assert_matches(steps.norm, &format!("norm.{name}"));
        assert_matches(
            encoder.forward(x.clone()).embedding,
            &format!("embedding.{name}"),
        );
        assert_close(
            &values(encoder.embed(x)),
            &expected(&format!("embedding_l2.{name}")).data,
            TOLERANCE,
            &format!("embedding_l2.{name}"),
        );
    }
}

/// The bare timm file (what `scripts/convert_pretrained.sh` writes) starts a backbone: the
/// loader reads LayerScale and the normalisation from it, and the result is timm's.
#[test]
fn a_timm_file_starts_a_backbone() {
    let device = device();
    let file = WeightFile::read(&fixture(SET, "timm_backbone.safetensors")).unwrap();
    assert!(file.ignored_tensors().is_empty());
    let dict = file.state_dict(EncoderRole::Sketch).unwrap();
    assert!(dict.is_timm_backbone);
    let backbone = dict.infer_backbone(None).unwrap();
    let BackboneConfig::Vit(vit) = &backbone else {
        panic!("not a ViT: {backbone:?}");
    };
    assert!(vit.layer_scale && vit.num_heads == 2);
    let mut encoder = ArnetEncoderConfig::new(backbone).init(&device).unwrap();
    dict.apply(&mut encoder, LoadScope::BackboneOnly, &device)
        .unwrap();
    let tokens = encoder
        .encoder
        .vit()
        .unwrap()
        .forward(input("photo", &device));
    assert_matches(tokens, "norm.photo");
}

/// LayerScale and the normalisation are part of the saved model: a reloaded encoder is the
/// same network, and without them it would not be (the checks above would fail).
#[test]
fn saving_keeps_layer_scale_and_the_normalisation() {
    let device = device();
    let mut encoder = load(&device);
    let dir = arnet_tests::scratch_dir("dinov2-save");
    let path = dir.join("encoder.safetensors");
    weights::save_encoder(&mut encoder, &path).unwrap();
    let reloaded = weights::load_encoder(&path, EncoderRole::Photo, None, &device).unwrap();
    assert_eq!(reloaded.config(), encoder.config());
    let x = input("sketch", &device);
    assert_close(
        &values(reloaded.embed(x.clone())),
        &values(encoder.embed(x)),
        0.0,
        "reloaded",
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A ViT file from before these fields (no `layer_scale`, `input_mean`, `input_std` in its
/// saved config) is read as the authors' ViT: no LayerScale, [0, 1] input.
#[test]
fn configs_saved_before_layer_scale_existed_still_load() {
    let old = r#"{"image_size":224,"patch_size":32,"in_channels":3,"embed_dim":192,
                  "depth":4,"num_heads":3,"mlp_hidden_dim":768,"patch_norm":true}"#;
    let config: BackboneConfig = serde_json::from_str(old).unwrap();
    let vit = config.vit().unwrap();
    assert!(!vit.layer_scale);
    assert_eq!((vit.input_mean, vit.input_std), ([0.0; 3], [1.0; 3]));
}

/// The preset is timm's `vit_small_patch14_dinov2` at the asked size.
#[test]
fn the_dinov2_small_preset_is_timms() {
    let vit = VitConfig::dinov2_small_patch14(224);
    assert_eq!(
        (vit.embed_dim, vit.depth, vit.num_heads, vit.mlp_hidden_dim),
        (384, 12, 6, 1536)
    );
    assert_eq!(vit.grid_size(), 16);
    assert!(vit.layer_scale);
    assert!(VitConfig::dinov2_small_patch14(220).validate().is_err());
}
