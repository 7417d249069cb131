//! The ARNet losses against the PyTorch reference (`parity-a/loss_fixtures.json` and
//! `parity-a/train_step.json`).

use std::collections::HashMap;

use arnet_model::Backend;
use arnet_model::burn::optim::GradientsParams;
use arnet_model::burn::tensor::{Device, Tensor};
use arnet_model::loss::{ArnetLoss, FourViews, TEMPERATURE, info_nce};
use arnet_model::params::collect_grads;
use arnet_model::weights;
use arnet_tests::{
    assert_close, fixture, json_floats, read_json, read_tensor, torch_adam_config, values,
};

const SET: &str = "parity-a";

fn matrix(value: &serde_json::Value, device: &Device) -> Tensor<2> {
    let rows: Vec<Vec<f32>> = value.as_array().unwrap().iter().map(json_floats).collect();
    let (r, c) = (rows.len(), rows[0].len());
    let flat: Vec<f32> = rows.into_iter().flatten().collect();
    Tensor::from_data(
        arnet_model::burn::tensor::TensorData::new(flat, [r, c]),
        device,
    )
}

#[test]
fn info_nce_matches_the_authors_cross_loss() {
    let device = Backend::Cpu.device().unwrap();
    let fixtures = read_json(&fixture(SET, "loss_fixtures.json"));
    assert_eq!(fixtures["temperature"].as_f64().unwrap(), TEMPERATURE);
    for case in fixtures["cases"].as_array().unwrap() {
        let f1 = matrix(&case["feature_1"], &device);
        let f2 = matrix(&case["feature_2"], &device);
        let loss = values(info_nce(f1, f2, TEMPERATURE))[0];
        let expected = case["loss"].as_f64().unwrap() as f32;
        let what = format!("B={} D={}", case["B"], case["D"]);
        assert!(
            (loss - expected).abs() <= 1e-5 * expected.abs().max(1.0),
            "{what}: {loss} vs {expected}"
        );
    }
}

/// The train tensors of parity-a's inputs, `[3, 3, 224, 224]` in the given order.
fn batch(names: &[&str], device: &Device) -> Tensor<4> {
    let path = fixture(SET, "inputs.safetensors");
    let tensors = names
        .iter()
        .map(|name| {
            let key = if *name == "nonsquare" {
                "nonsquare.train_u8".to_string()
            } else {
                format!("{name}.eval_u8")
            };
            let mut t = read_tensor(&path, &key);
            t.data.iter_mut().for_each(|v| *v /= 255.0);
            t.shape.insert(0, 1);
            t.to_tensor::<4>(device)
        })
        .collect();
    Tensor::cat(tensors, 0)
}

#[test]
fn one_basic_training_step_matches_pytorch_losses_and_gradients() {
    let device = Backend::Cpu.device().unwrap().autodiff();
    let reference = read_json(&fixture(SET, "train_step.json"));
    let mut pair = weights::load_pair(&fixture(SET, "checkpoint.pth"), Some(4), &device).unwrap();
    let order = |key: &str| -> Vec<String> {
        reference["batch_order"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let sketch_names = order("skt_anchor");
    let photo_names = order("img_anchor");
    let sketch_refs: Vec<&str> = sketch_names.iter().map(String::as_str).collect();
    let photo_refs: Vec<&str> = photo_names.iter().map(String::as_str).collect();
    let sketches = batch(&sketch_refs, &device);
    let photos = batch(&photo_refs, &device);
    // The reference's augmented views are horizontal flips of the anchors.
    let views = FourViews::compute(
        &pair,
        sketches.clone(),
        sketches.flip([3]),
        photos.clone(),
        photos.flip([3]),
    );
    let loss = ArnetLoss::compute(&pair, &views, TEMPERATURE);
    let scalar = |t: &Tensor<1>| values(t.clone())[0];
    let expected = |key: &str| reference[key].as_f64().unwrap() as f32;
    // The authors' names: cross_loss_1 multi-modal (heads), 2 and 3 intra-sample
    // (sketch, photo), 4 inter-sample (class tokens).
    for (ours, key) in [
        (&loss.multi_modal, "cross_loss_1"),
        (&loss.intra_sketch, "cross_loss_2"),
        (&loss.intra_photo, "cross_loss_3"),
        (&loss.inter_sample, "cross_loss_4"),
        (&loss.total, "loss"),
    ] {
        let (got, want) = (scalar(ours), expected(key));
        assert!(
            (got - want).abs() <= 1e-4 * want.abs().max(1.0),
            "{key}: {got} vs {want}"
        );
    }
    assert!(loss.recycling_sketch.is_none() && loss.recycling_photo.is_none());

    let grads = loss.total.backward();
    for (encoder, tag) in [
        (&mut pair.sketch, "skt_model"),
        (&mut pair.photo, "img_model"),
    ] {
        let ours: HashMap<String, Vec<f32>> = collect_grads(encoder, &grads)
            .into_iter()
            .map(|(name, grad)| {
                let grad = grad.unwrap_or_else(|| panic!("{tag}.{name} received no gradient"));
                (name, grad.data)
            })
            .collect();
        let norms = reference["grad_l2_norm"][tag].as_object().unwrap();
        assert_eq!(norms.len(), ours.len(), "{tag}: parameter count");
        for (name, norm) in norms {
            let grad = &ours[name];
            let l2 = grad.iter().map(|g| g * g).sum::<f32>().sqrt();
            let want = norm.as_f64().unwrap() as f32;
            assert!(
                (l2 - want).abs() <= 1e-3 * want.max(1.0),
                "{tag}.{name}: gradient norm {l2} vs {want}"
            );
        }
        for (name, grad) in reference["grad"][tag].as_object().unwrap() {
            assert_close(
                &ours[name],
                &json_floats(grad),
                2e-4,
                &format!("{tag}.{name} grad"),
            );
        }
    }

    // Adam with L2 weight decay added to the gradient (not AdamW), the paper's recipe.
    let params = GradientsParams::from_grads(grads, &pair);
    let mut optimizer = torch_adam_config().init();
    let mut stepped = optimizer.step(6e-6, pair, params);
    for (encoder, tag) in [
        (&mut stepped.sketch, "skt_model"),
        (&mut stepped.photo, "img_model"),
    ] {
        let after: HashMap<String, Vec<f32>> = arnet_model::params::collect_host(encoder)
            .into_iter()
            .map(|(name, t)| (name, t.data))
            .collect();
        for (name, value) in reference["after_step"][tag].as_object().unwrap() {
            let what = format!("{tag}.{name} after the Adam step");
            assert_close(&after[name], &json_floats(value), 1e-6, &what);
        }
    }
}

/// The category term (`--class-weight`) against the PyTorch reference
/// (`tests/fixtures/make_category_loss_fixture.py`): the loss and its gradients with respect to
/// the raw sketch and photo rows, free-hand drawings without a photo of their kind included.
#[test]
fn category_term_matches_pytorchs_supervised_contrastive_loss() {
    use arnet_model::category_loss::category_contrastive;
    let device = Backend::Cpu.device().unwrap().autodiff();
    let fixtures = read_json(&fixture("category-loss", "cases.json"));
    let temperature = fixtures["temperature"].as_f64().unwrap();
    let classes = |value: &serde_json::Value| -> Vec<usize> {
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect()
    };
    let flat = |value: &serde_json::Value| -> Vec<f32> {
        value
            .as_array()
            .unwrap()
            .iter()
            .flat_map(json_floats)
            .collect()
    };
    for (index, case) in fixtures["cases"].as_array().unwrap().iter().enumerate() {
        let sketches = matrix(&case["sketches"], &device).require_grad();
        let photos = matrix(&case["photos"], &device).require_grad();
        let loss = category_contrastive(
            sketches.clone(),
            &classes(&case["sketch_classes"]),
            photos.clone(),
            &classes(&case["photo_classes"]),
            temperature,
        )
        .expect("every case has positives");
        let expected = case["loss"].as_f64().unwrap() as f32;
        let actual = values(loss.clone())[0];
        assert!(
            (actual - expected).abs() <= 1e-5 * expected.abs().max(1.0),
            "case {index}: {actual} vs PyTorch's {expected}"
        );
        let grads = loss.backward();
        assert_close(
            &values(sketches.grad(&grads).expect("sketch gradient")),
            &flat(&case["grad_sketches"]),
            1e-5,
            &format!("case {index}: gradient of the sketch rows"),
        );
        assert_close(
            &values(photos.grad(&grads).expect("photo gradient")),
            &flat(&case["grad_photos"]),
            1e-5,
            &format!("case {index}: gradient of the photo rows"),
        );
    }
}
