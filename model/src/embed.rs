//! Embedding prepared images with an encoder, in batches.

use burn::tensor::Device;

use crate::encoder::ArnetEncoder;
use crate::preprocess::batch_tensor;

/// Embeds prepared inputs (each `3 * size * size`, see [`crate::preprocess::model_input`])
/// `batch_size` at a time; returns one L2-normalised embedding per input, in order.
pub fn embed_inputs(
    encoder: &ArnetEncoder,
    inputs: &[Vec<f32>],
    batch_size: usize,
    device: &Device,
) -> Vec<Vec<f32>> {
    let size = input_size(encoder);
    let mut out = Vec::with_capacity(inputs.len());
    for chunk in inputs.chunks(batch_size.max(1)) {
        let embeddings = encoder.embed(batch_tensor(chunk, size, device)); // [b, D]
        let [rows, dim] = embeddings.dims();
        let flat = embeddings
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32 embeddings");
        out.extend((0..rows).map(|r| flat[r * dim..(r + 1) * dim].to_vec()));
    }
    out
}

/// Input side length the encoder expects.
pub fn input_size(encoder: &ArnetEncoder) -> usize {
    encoder.encoder.image_size()
}

/// Width of the embeddings the encoder gives (its head's output).
pub fn embedding_width(encoder: &ArnetEncoder) -> usize {
    encoder.mlp_head.weight.dims()[1]
}
