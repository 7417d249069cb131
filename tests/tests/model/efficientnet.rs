//! EfficientNet-Lite against timm's `tf_efficientnet_lite0` builder (random weights, a small
//! width/depth multiplier, BatchNorm with random running statistics), stage by stage, at two
//! input sizes (64 px, and 72 px where TensorFlow's "same" padding is asymmetric on odd sides).
//! Fixture: `tests/fixtures/make_efficientnet_fixture.py`.

use arnet_model::backbone::efficientnet::{BlockKind, EfficientNet};
use arnet_model::backbone::{Backbone, BackboneConfig};
use arnet_model::burn::tensor::{Device, Tensor, TensorData};
use arnet_model::weights::{self, LoadScope, WeightFile};
use arnet_model::{ArnetEncoder, ArnetEncoderConfig, Backend, EncoderRole};
use arnet_tests::{assert_close, fixture, read_tensor, values};

const SET: &str = "efficientnet-a";
/// 1e-4 relative to the tensor's largest magnitude (at least 1e-4 absolute): activations reach
/// 6 (ReLU6) after dozens of f32 convolutions, where rounding alone differs by ~2e-4.
const TOLERANCE: f32 = 1e-4;
const SIZES: [usize; 2] = [64, 72];
const INPUTS: [&str; 2] = ["sketch", "photo"];

fn expected(key: &str) -> arnet_tests::FixtureTensor {
    read_tensor(&fixture(SET, "expected.safetensors"), key)
}

/// The fixture's input image `name` at `size`, as the [0, 1] batch of one the model takes.
fn input(size: usize, name: &str, device: &Device) -> Tensor<4> {
    let u8s = expected(&format!("input.{size}.{name}"));
    let data: Vec<f32> = u8s.data.iter().map(|v| v / 255.0).collect();
    Tensor::from_data(TensorData::new(data, vec![1, 3, size, size]), device)
}

/// [`assert_close`] at [`TOLERANCE`] scaled by the reference's largest magnitude.
#[track_caller]
fn assert_matches(actual: Tensor<4>, reference: &[f32], what: &str) {
    assert_matches_values(&values(actual), reference, what);
}

#[track_caller]
fn assert_matches_values(actual: &[f32], reference: &[f32], what: &str) {
    let scale = reference.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    assert_close(actual, reference, TOLERANCE * scale, what);
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

fn efficientnet(encoder: &ArnetEncoder) -> &EfficientNet {
    match &encoder.encoder {
        Backbone::EfficientNet(net) => net,
        Backbone::Vit(_) => panic!("expected an EfficientNet"),
    }
}

#[test]
fn the_architecture_is_read_from_tensor_shapes() {
    let config = load(&Backend::Cpu.device().unwrap()).config();
    let BackboneConfig::EfficientNet(net) = &config.backbone else {
        panic!("not an EfficientNet: {config:?}");
    };
    let repeats: Vec<usize> = net.stages.iter().map(Vec::len).collect();
    assert_eq!(
        repeats,
        [1, 1, 1, 2, 2, 2, 1],
        "depth multiplier 0.5, first/last fixed"
    );
    let widths: Vec<usize> = net.stages.iter().map(|s| s[0].out_channels).collect();
    assert_eq!(
        widths,
        [8, 8, 16, 24, 32, 48, 80],
        "channel multiplier 0.25"
    );
    assert_eq!(net.stages[0][0].kind, BlockKind::DepthwiseSeparable);
    assert_eq!(net.stages[2][0].kernel_size, 5);
    assert_eq!((net.stem_channels, net.head_channels), (32, 1280));
    assert_eq!(config.embedding_dim, 512);
    let strides: Vec<usize> = net.stages.iter().map(|s| s[0].stride).collect();
    assert_eq!(strides, [1, 2, 2, 2, 1, 2, 1]);
}

#[test]
fn every_stage_features_and_embedding_match_timm() {
    let device = Backend::Cpu.device().unwrap();
    let encoder = load(&device);
    let net = efficientnet(&encoder);
    for size in SIZES {
        for name in INPUTS {
            let x = input(size, name, &device);
            let stages = net.forward_stages(x.clone());
            assert_eq!(stages.len(), 8, "stem + 7 stages");
            for (i, tensor) in stages.into_iter().enumerate() {
                let key = if i == 0 {
                    format!("stem.{size}.{name}")
                } else {
                    format!("stage{}.{size}.{name}", i - 1)
                };
                let reference = expected(&key);
                assert_eq!(&tensor.dims()[1..], reference.shape.as_slice(), "{key}");
                assert_matches(tensor, &reference.data, &key);
            }
            let what = |k: &str| format!("{k}.{size}.{name}");
            assert_matches(
                net.forward_features(x.clone()),
                &expected(&what("features")).data,
                &what("features"),
            );
            let out = encoder.forward(x.clone());
            assert_matches_values(
                &values(out.class_feature),
                &expected(&what("pooled")).data,
                &what("pooled"),
            );
            assert_matches_values(
                &values(out.embedding),
                &expected(&what("embedding")).data,
                &what("embedding"),
            );
            assert_close(
                &values(encoder.embed(x)),
                &expected(&what("embedding_l2")).data,
                TOLERANCE,
                &what("embedding_l2"),
            );
        }
    }
}

#[test]
fn a_timm_file_starts_a_backbone_and_its_classifier_is_ignored() {
    let device = Backend::Cpu.device().unwrap();
    let file = WeightFile::read(&fixture(SET, "timm_backbone.safetensors")).unwrap();
    let ignored: Vec<String> = file.ignored_tensors().into_iter().map(|t| t.name).collect();
    assert_eq!(ignored, ["classifier.bias", "classifier.weight"]);
    let dict = file.state_dict(EncoderRole::Sketch).unwrap();
    assert!(dict.is_timm_backbone);
    let backbone = dict.infer_backbone(None).unwrap();
    let mut encoder = ArnetEncoderConfig::new(backbone).init(&device).unwrap();
    dict.apply(&mut encoder, LoadScope::BackboneOnly, &device)
        .unwrap();
    let x = input(72, "photo", &device);
    assert_matches(
        efficientnet(&encoder).forward_features(x),
        &expected("features.72.photo").data,
        "features from the timm file",
    );
}

#[test]
fn saving_keeps_the_architecture_and_every_trainable_tensor_gets_a_gradient() {
    let device = Backend::Cpu.device().unwrap();
    let mut encoder = load(&device);
    let dir = arnet_tests::scratch_dir("efficientnet-save");
    let path = dir.join("encoder.safetensors");
    weights::save_encoder(&mut encoder, &path).unwrap();
    let reloaded = weights::load_encoder(&path, EncoderRole::Photo, None, &device).unwrap();
    assert_eq!(reloaded.config(), encoder.config());
    let x = input(64, "sketch", &device);
    assert_close(
        &values(reloaded.embed(x.clone())),
        &values(encoder.embed(x)),
        0.0,
        "reloaded",
    );

    let autodiff = device.clone().autodiff();
    let mut trained = weights::load_encoder(&path, EncoderRole::Photo, None, &autodiff).unwrap();
    let batch = Tensor::cat(
        vec![
            input(64, "sketch", &autodiff),
            input(64, "photo", &autodiff),
        ],
        0,
    );
    let embedding = trained.forward(batch).embedding;
    let loss = (embedding.clone() * embedding).mean();
    let grads = loss.backward();
    let mut missing = Vec::new();
    use arnet_model::params::VisitParams;
    trained.visit_params("", &mut |name, slot| {
        let frozen = name.ends_with("running_mean") || name.ends_with("running_var");
        let has = slot
            .grad(&grads)
            .is_some_and(|g| g.data.iter().any(|v| *v != 0.0));
        if has == frozen {
            missing.push(format!("{name}: gradient {has}"));
        }
    });
    assert!(missing.is_empty(), "{missing:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// One training backward pass against PyTorch's (BatchNorm on running statistics, as
/// training here): every convolution weight's gradient (the stem, the depthwise and 1 x 1
/// convolutions, which the CPU backend computes with `arnet_model::cpu_conv`, and the head),
/// every BatchNorm scale and shift's, and the input's, at 72 px where the stride-2 "same"
/// padding is asymmetric.
#[test]
fn a_training_backward_pass_matches_pytorchs_gradients() {
    let device = Backend::Cpu.device().unwrap().autodiff();
    let mut encoder = load(&device);
    let gradients = fixture(SET, "gradients.safetensors");
    let size = 72;
    let images = Tensor::cat(
        INPUTS
            .iter()
            .map(|name| input(size, name, &device))
            .collect(),
        0,
    )
    .require_grad();
    let loss_weights: Tensor<2> = read_tensor(&gradients, "loss_weights").to_tensor(&device);
    let embedding = encoder.forward(images.clone()).embedding;
    let loss = (embedding * loss_weights).sum();
    let expected_loss = read_tensor(&gradients, "loss").data[0];
    let actual_loss = values(loss.clone())[0];
    assert!(
        (actual_loss - expected_loss).abs() < 1e-4 * expected_loss.abs().max(1.0),
        "loss {actual_loss} against PyTorch's {expected_loss}"
    );
    let grads = loss.backward();

    // PyTorch's input gradient is with respect to the normalised input, (x - 127/255) /
    // (128/255); ours with respect to x in [0, 1].
    let input_grad: Vec<f32> = values(images.grad(&grads).expect("an input gradient"))
        .iter()
        .map(|g| g * (128.0 / 255.0))
        .collect();
    assert_matches_values(
        &input_grad,
        &read_tensor(&gradients, "grad.input").data,
        "grad.input",
    );

    let mut compared = 0;
    use arnet_model::params::VisitParams;
    encoder.visit_params("", &mut |name, slot| {
        let Some(timm_name) = name.strip_prefix("encoder.") else {
            return; // mlp_head
        };
        if name.ends_with("running_mean") || name.ends_with("running_var") {
            return; // frozen: no gradient in either
        }
        let key = format!("grad.{timm_name}");
        let reference = read_tensor(&gradients, &key).data;
        let actual = slot
            .grad(&grads)
            .unwrap_or_else(|| panic!("no gradient for {name}"));
        assert_matches_values(&actual.data, &reference, &key);
        compared += 1;
    });
    // Every conv weight and BatchNorm scale and shift of the fixture's network.
    assert_eq!(compared, 93, "gradients compared");
}

/// MSTR takes the CNN's last feature map as its grid: 3 x 3 at 72 px, so windows 1 and 3 work
/// (9 + 1 tokens) and a window of 2 is refused naming the grid.
#[test]
fn mstr_runs_on_the_last_feature_map_and_refuses_windows_that_do_not_divide_it() {
    use arnet_model::MstrConfig;
    let device = Backend::Cpu.device().unwrap();
    let BackboneConfig::EfficientNet(mut net) = load(&device).config().backbone else {
        unreachable!()
    };
    net.image_size = 72;
    assert_eq!(net.grid_size(), 3);
    let mstr = MstrConfig::new()
        .with_window_sizes(vec![1, 3])
        .with_feedforward_dim(64);
    let config = ArnetEncoderConfig::new(net.clone()).with_mstr(Some(mstr.clone()));
    let encoder = config.init(&device).unwrap();
    let out = encoder.forward(input(72, "photo", &device));
    assert_eq!(out.mstr_tokens.unwrap().dims(), [1, 10, 1280]);
    assert_eq!(out.embedding.dims(), [1, 512]);

    let bad = ArnetEncoderConfig::new(net).with_mstr(Some(mstr.with_window_sizes(vec![1, 2])));
    let err = bad.init(&device).unwrap_err().to_string();
    assert!(err.contains("3 x 3"), "{err}");
}
