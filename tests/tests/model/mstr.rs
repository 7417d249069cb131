//! MSTR properties: shapes, finiteness, gradients reach every parameter, batch independence,
//! the recycling target's structure, and clear errors for grids the windows do not divide.

use arnet_model::burn::tensor::{Device, Distribution, Tensor};
use arnet_model::loss::{ArnetLoss, FourViews, TEMPERATURE};
use arnet_model::mstr::{MstrError, recycling_target};
use arnet_model::params::collect_grads;
use arnet_model::{ArnetEncoderConfig, ArnetPair, Backend, MstrConfig, VitConfig};
use arnet_tests::{fixture, read_json, values};

/// ViT-B/16's 14 x 14 grid on a narrow, shallow backbone so the test is fast.
fn config() -> ArnetEncoderConfig {
    ArnetEncoderConfig::new(VitConfig::custom(224, 16, 32, 1, 2))
        .with_mstr(Some(MstrConfig::new().with_feedforward_dim(64)))
}

fn images(batch: usize, device: &Device) -> Tensor<4> {
    Tensor::random(
        [batch, 3, 224, 224],
        Distribution::Uniform(0.0, 1.0),
        device,
    )
}

#[test]
fn output_shapes_and_values_are_sane() {
    let device = Backend::Cpu.device().unwrap();
    let encoder = config().init(&device).unwrap();
    let out = encoder.forward(images(2, &device));
    assert_eq!(out.embedding.dims(), [2, 512]);
    assert_eq!(out.class_feature.dims(), [2, 32]);
    let tokens = out.mstr_tokens.unwrap();
    assert_eq!(tokens.dims(), [2, 196 + 49 + 4, 32]);
    assert!(values(tokens).iter().all(|v| v.is_finite()));
    assert!(values(out.embedding).iter().all(|v| v.is_finite()));
}

#[test]
fn every_parameter_receives_a_gradient_from_the_full_objective() {
    let device = Backend::Cpu.device().unwrap().autodiff();
    let mut pair = ArnetPair::init(&config(), &device).unwrap();
    let (s, p) = (images(3, &device), images(3, &device));
    let views = FourViews::compute(&pair, s.clone(), s.flip([3]), p.clone(), p.flip([3]));
    let loss = ArnetLoss::compute(&pair, &views, TEMPERATURE);
    assert!(loss.recycling_sketch.is_some() && loss.recycling_photo.is_some());
    let grads = loss.total.backward();
    let all = collect_grads(&mut pair, &grads);
    assert!(
        all.iter()
            .any(|(name, _)| name.contains("mstr.scales.2.layers.1."))
    );
    for (name, grad) in all {
        let grad = grad.unwrap_or_else(|| panic!("{name} received no gradient"));
        assert!(
            grad.data.iter().all(|g| g.is_finite()),
            "{name}: non-finite gradient"
        );
        assert!(
            grad.data.iter().any(|&g| g != 0.0),
            "{name}: gradient is all zero"
        );
    }
}

#[test]
fn an_embedding_does_not_depend_on_its_batch() {
    // The authors' MSTR attends across the batch; ours attends across tokens.
    let device = Backend::Cpu.device().unwrap();
    let encoder = config().init(&device).unwrap();
    let batch = images(3, &device);
    let together = values(encoder.embed(batch.clone()));
    for i in 0..3 {
        let alone = values(encoder.embed(batch.clone().narrow(0, i, 1)));
        let diff = arnet_tests::max_abs_diff(&alone, &together[i * 512..(i + 1) * 512]);
        assert!(diff < 1e-5, "sample {i}: {diff}");
    }
}

#[test]
fn recycling_target_has_the_structure_the_paper_describes() {
    let (grid, windows) = (14, [1, 2, 7]);
    let target = recycling_target(grid, &windows);
    let n = 249;
    assert_eq!(target.len(), n * n);
    let at = |i: usize, j: usize| target[i * n + j];
    for i in 0..n {
        assert_eq!(at(i, i), 1.0);
        for j in 0..n {
            assert_eq!(at(i, j), at(j, i), "not symmetric at ({i}, {j})");
        }
    }
    // Same scale, different tokens: 0.
    assert_eq!(at(0, 1), 0.0);
    assert_eq!(at(196, 197), 0.0);
    assert_eq!(at(245, 246), 0.0);
    // Patch (0, 0) lies in the first 2 x 2 window and the first 7 x 7 window only.
    assert_eq!(at(0, 196), 0.5);
    assert_eq!(at(0, 197), 0.0);
    assert_eq!(at(0, 245), 0.5);
    assert_eq!(at(0, 246), 0.0);
    // The 2 x 2 window at cell (3, 3) covers patches 6..8 on each axis: it straddles all four
    // 7 x 7 windows, and partial overlap counts.
    let straddling = 196 + 3 * 7 + 3;
    for seven in 245..249 {
        assert_eq!(at(straddling, seven), 0.5);
    }
    // 1x1-2x2: 196 pairs, 1x1-7x7: 196 pairs, 2x2-7x7: 8 x 8 pairs; both directions.
    let halves = target.iter().filter(|&&v| v == 0.5).count();
    assert_eq!(halves, 2 * (196 + 196 + 64));

    // The authors' builder (verbatim in the fixture) is not symmetric: the departure that
    // `mstr.rs` documents.
    let official = read_json(&fixture("parity-a", "mstr_contrast_matrix_249.json"));
    let mut matrix = vec![0.0f64; n * n];
    for entry in official["nonzero_row_col_value"].as_array().unwrap() {
        let (r, c) = (
            entry[0].as_u64().unwrap() as usize,
            entry[1].as_u64().unwrap() as usize,
        );
        matrix[r * n + c] = entry[2].as_f64().unwrap();
    }
    let asymmetric = (0..n * n)
        .filter(|&k| matrix[k] != matrix[(k % n) * n + k / n])
        .count();
    assert!(asymmetric > 0);
}

#[test]
fn windows_that_do_not_divide_the_grid_are_refused_clearly() {
    let device = Backend::Cpu.device().unwrap();
    // 128 px / 16 px patches = an 8 x 8 grid, which a 7 x 7 window does not tile.
    let config = ArnetEncoderConfig::new(VitConfig::custom(128, 16, 32, 1, 2))
        .with_mstr(Some(MstrConfig::new()));
    let err = config.init(&device).unwrap_err();
    assert_eq!(
        err,
        MstrError::WindowDoesNotDivideGrid { window: 7, grid: 8 }
    );
    assert!(
        err.to_string()
            .contains("does not divide the 8 x 8 patch grid")
    );
    // Windows that do divide it work, with the token count following the grid.
    let ok = ArnetEncoderConfig::new(VitConfig::custom(128, 16, 32, 1, 2)).with_mstr(Some(
        MstrConfig::new()
            .with_window_sizes(vec![1, 2, 4, 8])
            .with_feedforward_dim(64),
    ));
    let encoder = ok.init(&device).unwrap();
    let out = encoder.forward(Tensor::zeros([1, 3, 128, 128], &device));
    assert_eq!(out.mstr_tokens.unwrap().dims(), [1, 64 + 16 + 4 + 1, 32]);
}
