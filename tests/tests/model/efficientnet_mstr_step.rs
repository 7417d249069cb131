//! One ARNet *Full* training step on EfficientNet-Lite against PyTorch
//! (`efficientnet-step/`, written by `tests/fixtures/make_efficientnet_step_fixture.py`): MSTR
//! on the CNN's last feature map, every loss term (the recycling loss included), the gradients
//! of MSTR, the head and the backbone's last stage, and the parameters after one Adam step.
//! This is the step `arnet train --backbone efficientnet-lite0 --mstr` takes.

use std::collections::HashMap;

use arnet_model::burn::optim::GradientsParams;
use arnet_model::burn::tensor::{Device, Tensor};
use arnet_model::loss::{ArnetLoss, FourViews};
use arnet_model::params::{collect_grads, collect_host};
use arnet_model::weights::{LoadScope, WeightFile};
use arnet_model::{
    ArnetEncoderConfig, ArnetPair, BackboneConfig, Backend, EncoderRole, MstrConfig,
};
use arnet_tests::{assert_close, fixture, read_json, read_tensor, torch_adam_config, values};

const SET: &str = "efficientnet-step";

/// The pair of the fixture: the backbone read from the file's shapes at 64 px, MSTR as the
/// manifest says (its head count and windows are not in the shapes), every tensor loaded.
fn load_pair(device: &Device) -> ArnetPair {
    let manifest = read_json(&fixture(SET, "manifest.json"));
    let mstr = &manifest["mstr"];
    let file = WeightFile::read(&fixture(SET, "pair.safetensors")).unwrap();
    let sketch_dict = file.state_dict(EncoderRole::Sketch).unwrap();
    let mut backbone = sketch_dict.infer_backbone(None).unwrap();
    let BackboneConfig::EfficientNet(net) = &mut backbone else {
        panic!("the fixture's backbone is an EfficientNet")
    };
    net.image_size = manifest["image_size"].as_u64().unwrap() as usize;
    assert_eq!(net.grid_size(), 2);
    let windows = mstr["window_sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_u64().unwrap() as usize)
        .collect();
    let number = |key: &str| mstr[key].as_f64().unwrap();
    let mstr = MstrConfig::new()
        .with_window_sizes(windows)
        .with_layers_per_scale(number("layers_per_scale") as usize)
        .with_num_heads(number("num_heads") as usize)
        .with_feedforward_dim(number("feedforward_dim") as usize)
        .with_dropout(number("dropout"))
        .with_class_token_weight(number("class_token_weight"))
        .with_pooled_dim(number("pooled_dim") as usize);
    let config = ArnetEncoderConfig::new(backbone).with_mstr(Some(mstr));
    let mut pair = ArnetPair::init(&config, device).unwrap();
    sketch_dict
        .apply(&mut pair.sketch, LoadScope::Full, device)
        .unwrap();
    file.state_dict(EncoderRole::Photo)
        .unwrap()
        .apply(&mut pair.photo, LoadScope::Full, device)
        .unwrap();
    pair
}

fn input(key: &str, device: &Device) -> Tensor<4> {
    read_tensor(&fixture(SET, "step.safetensors"), key).to_tensor(device)
}

fn reference(key: &str) -> Vec<f32> {
    read_tensor(&fixture(SET, "step.safetensors"), key).data
}

#[test]
fn a_full_efficientnet_step_matches_pytorch_and_trains_mstr() {
    let device = Backend::Cpu.device().unwrap().autodiff();
    let mut pair = load_pair(&device);
    let sketches = input("input.sketches", &device);
    let photos = input("input.photos", &device);
    let views = FourViews::compute(
        &pair,
        sketches.clone(),
        sketches.flip([3]),
        photos.clone(),
        photos.flip([3]),
    );
    let loss = ArnetLoss::compute(&pair, &views, 0.07);
    let scalar = |t: &Tensor<1>| values(t.clone())[0];
    let recycling_sketch = loss
        .recycling_sketch
        .clone()
        .expect("Full: a recycling term");
    let recycling_photo = loss
        .recycling_photo
        .clone()
        .expect("Full: a recycling term");
    for (ours, key) in [
        (&loss.multi_modal, "multi_modal"),
        (&loss.inter_sample, "inter_sample"),
        (&loss.intra_sketch, "intra_sketch"),
        (&loss.intra_photo, "intra_photo"),
        (&recycling_sketch, "recycling_sketch"),
        (&recycling_photo, "recycling_photo"),
        (&loss.total, "total"),
    ] {
        let (got, want) = (scalar(ours), reference(&format!("loss.{key}"))[0]);
        assert!(
            (got - want).abs() <= 2e-4 * want.abs().max(1.0),
            "{key}: {got} vs PyTorch {want}"
        );
    }

    let grads = loss.total.backward();
    let mut compared = 0;
    for (encoder, tag) in [
        (&mut pair.sketch, "skt_model"),
        (&mut pair.photo, "img_model"),
    ] {
        let ours: HashMap<String, Option<Vec<f32>>> = collect_grads(encoder, &grads)
            .into_iter()
            .map(|(name, grad)| (name, grad.map(|g| g.data)))
            .collect();
        for (name, grad) in &ours {
            let key = format!("grad.{tag}.{name}");
            if !read_tensor_exists(&key) {
                continue;
            }
            let grad = grad
                .as_ref()
                .unwrap_or_else(|| panic!("{tag}.{name} received no gradient"));
            let want = reference(&key);
            let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs())).max(1e-3);
            assert_close(grad, &want, 2e-3 * scale, &key);
            if name.starts_with("mstr.") {
                assert!(grad.iter().any(|&g| g != 0.0), "{key} is all zero");
            }
            compared += 1;
        }
    }
    let manifest = read_json(&fixture(SET, "manifest.json"));
    assert_eq!(
        compared,
        manifest["gradients_compared"].as_array().unwrap().len(),
        "every gradient of the fixture compared"
    );

    // Adam with L2 weight decay added to the gradient, as torch.optim.Adam(weight_decay).
    let mut before: HashMap<(&str, String), Vec<f32>> = HashMap::new();
    for (encoder, tag) in [
        (&mut pair.sketch, "skt_model"),
        (&mut pair.photo, "img_model"),
    ] {
        for (name, t) in collect_host(encoder) {
            before.insert((tag, name), t.data);
        }
    }
    let before_of = |tag: &str, name: &str| -> Vec<f32> {
        before
            .iter()
            .find(|((t, n), _)| *t == tag && n == name)
            .map(|(_, v)| v.clone())
            .expect("a parameter of the pair")
    };
    let params = GradientsParams::from_grads(grads, &pair);
    let mut optimizer = torch_adam_config().init();
    let mut stepped = optimizer.step(1e-3, pair, params);
    let (mut moved, mut strict, mut loose) = (0, 0, 0);
    for (encoder, tag) in [
        (&mut stepped.sketch, "skt_model"),
        (&mut stepped.photo, "img_model"),
    ] {
        for (name, tensor) in collect_host(encoder) {
            let key = format!("after.{tag}.{name}");
            if !read_tensor_exists(&key) {
                continue;
            }
            // Adam's first step moves a parameter by lr * g / (|g| + eps), g the gradient
            // plus the L2 term: about +-lr whatever |g| is. Where g is rounding noise (the
            // query and key weights of a one-token scale, every key bias: softmax ignores
            // them), its sign is noise in PyTorch and in Burn alike, so there the parameter
            // must only have moved by at most one step; everywhere else it must match.
            let want = reference(&key);
            let grad = reference(&format!("grad.{tag}.{name}"));
            let start = before_of(tag, &name);
            for i in 0..want.len() {
                let effective = grad[i] + 1e-4 * start[i];
                if effective.abs() > 1e-5 {
                    let diff = (tensor.data[i] - want[i]).abs();
                    assert!(
                        diff <= 2e-5,
                        "{key}[{i}]: {} vs {}",
                        tensor.data[i],
                        want[i]
                    );
                    strict += 1;
                } else {
                    assert!((tensor.data[i] - start[i]).abs() <= 1.01e-3, "{key}[{i}]");
                    loose += 1;
                }
            }
            if tag == "skt_model"
                && name.starts_with("mstr.")
                && tensor.data != before_of(tag, &name)
            {
                moved += 1;
            }
        }
    }
    assert!(
        moved > 10,
        "the step changes MSTR's parameters ({moved} moved)"
    );
    assert!(
        strict > 10 * loose,
        "most values compared exactly ({strict} exactly, {loose} by the step size)"
    );
}

/// Whether the fixture holds `key` (its gradients and parameters cover MSTR, the head and the
/// backbone's last stage).
fn read_tensor_exists(key: &str) -> bool {
    use std::sync::OnceLock;
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let bytes = std::fs::read(fixture(SET, "step.safetensors")).unwrap();
        let header = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header]).unwrap();
        header.as_object().unwrap().keys().cloned().collect()
    })
    .iter()
    .any(|k| k == key)
}
