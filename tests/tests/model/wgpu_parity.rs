//! The wgpu backend computes what the CPU backend and PyTorch compute (parity-a, tiny model).
//!
//! Runs on any Vulkan/Metal/DX12 adapter; on the project's GPU-less machines that is Mesa's
//! software Vulkan (lavapipe), which `.ci/run` installs. Tiny model only: lavapipe is slow.

use arnet_model::burn::tensor::Tensor;
use arnet_model::{Backend, EncoderRole, weights};
use arnet_tests::{assert_close, fixture, json_floats, read_json, read_tensor, values};

#[test]
fn wgpu_embeddings_match_the_pytorch_reference() {
    let device = Backend::Wgpu
        .device()
        .expect("wgpu is compiled into default builds");
    let checkpoint = fixture("parity-a", "checkpoint.pth");
    let expected = read_json(&fixture("parity-a", "expected_outputs.json"));
    let inputs = fixture("parity-a", "inputs.safetensors");
    for role in [EncoderRole::Sketch, EncoderRole::Photo] {
        let encoder = weights::load_encoder(&checkpoint, role, Some(4), &device).unwrap();
        let batch: Vec<Tensor<4>> = ["sketch", "colour"]
            .iter()
            .map(|name| {
                let mut t = read_tensor(&inputs, &format!("{name}.eval_u8"));
                t.data.iter_mut().for_each(|v| *v /= 255.0);
                t.shape.insert(0, 1);
                t.to_tensor::<4>(&device)
            })
            .collect();
        let embedded = values(encoder.embed(Tensor::cat(batch, 0)));
        for (i, name) in ["sketch", "colour"].iter().enumerate() {
            let reference = json_floats(
                &expected["inputs"][name]["eval"][role.state_dict_key()]["mlp_feat_l2"],
            );
            let what = format!("wgpu {role:?} {name}");
            assert_close(&embedded[i * 512..(i + 1) * 512], &reference, 1e-4, &what);
        }
    }
}
