//! ARNet's objectives: the InfoNCE of Eq. 4 and the Basic / Full totals of Eq. 5-6.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Bool, Device, Tensor, TensorData};

use crate::encoder::{ArnetEncoder, ArnetPair, EncoderOutput};
use crate::retrieval::l2_normalize_rows;

/// InfoNCE temperature used by the paper (tau).
pub const TEMPERATURE: f64 = 0.07;

/// `L(F1, F2)` of Eq. 4 (NT-Xent).
///
/// Rows of `f1` and `f2` are L2-normalised and stacked into `2B` rows; row `i`'s positive is
/// its partner in the other half, its negatives the other `2B - 2` rows (the row itself is
/// excluded); the result is the cross-entropy averaged over the `2B` rows. With `B = 1` there
/// are no negatives and the loss is 0, as in the authors' code.
///
/// # Shapes
/// - f1, f2: `[batch, dim]`
/// - output: `[1]`
pub fn info_nce(f1: Tensor<2>, f2: Tensor<2>, temperature: f64) -> Tensor<1> {
    let [batch, _] = f1.dims();
    let device = f1.device();
    let z = Tensor::cat(vec![l2_normalize_rows(f1), l2_normalize_rows(f2)], 0); // [2B, D]
    let rows = 2 * batch;
    let logits = z.clone().matmul(z.transpose()) / temperature; // [2B, 2B]
    // A large finite value rather than -inf keeps the masked entries' gradients exactly 0
    // without risking inf - inf.
    let logits = logits.mask_fill(self_mask(rows, &device), -1.0e9);
    let log_probs = log_softmax(logits, 1);
    let picked = (log_probs * positive_mask(batch, &device)).sum();
    picked.neg() / rows as f64
}

/// `[2B, 2B]` mask with `true` on the diagonal (each row's own similarity).
fn self_mask(rows: usize, device: &Device) -> Tensor<2, Bool> {
    Tensor::<2, Bool>::diag_mask([rows, rows], 0, device).bool_not()
}

/// `[2B, 2B]` one-hot of each row's positive, `(i + B) mod 2B`.
fn positive_mask(batch: usize, device: &Device) -> Tensor<2> {
    let rows = 2 * batch;
    let mut mask = vec![0.0f32; rows * rows];
    for i in 0..rows {
        mask[i * rows + (i + batch) % rows] = 1.0;
    }
    Tensor::from_data(TensorData::new(mask, [rows, rows]), device)
}

/// The encoders' outputs for the four views of a training batch.
#[derive(Debug, Clone)]
pub struct FourViews {
    /// Sketch encoder on the anchor sketches.
    pub sketch: EncoderOutput,
    /// Sketch encoder on the augmented sketches.
    pub sketch_augmented: EncoderOutput,
    /// Photo encoder on the anchor photos.
    pub photo: EncoderOutput,
    /// Photo encoder on the augmented photos.
    pub photo_augmented: EncoderOutput,
}

impl FourViews {
    /// Runs both encoders on the four views (sketch `i` belongs to photo `i`).
    pub fn compute(
        pair: &ArnetPair,
        sketches: Tensor<4>,
        sketches_augmented: Tensor<4>,
        photos: Tensor<4>,
        photos_augmented: Tensor<4>,
    ) -> Self {
        Self {
            sketch: pair.sketch.forward(sketches),
            sketch_augmented: pair.sketch.forward(sketches_augmented),
            photo: pair.photo.forward(photos),
            photo_augmented: pair.photo.forward(photos_augmented),
        }
    }
}

/// Every term of the ARNet objective, and their total.
#[derive(Debug, Clone)]
pub struct ArnetLoss {
    /// Total: `L_B` (Eq. 5) or `L_+` (Eq. 6).
    pub total: Tensor<1>,
    /// Multi-modal: `L(head_skt, head_img)` on the 512-d embeddings.
    pub multi_modal: Tensor<1>,
    /// Inter-sample: `L(cls_skt, cls_img)` on the class features.
    pub inter_sample: Tensor<1>,
    /// Intra-sample, sketches: `L(cls_skt, cls_skt_aug)`.
    pub intra_sketch: Tensor<1>,
    /// Intra-sample, photos: `L(cls_img, cls_img_aug)`.
    pub intra_photo: Tensor<1>,
    /// Recycling loss of the sketch encoder (full model only).
    pub recycling_sketch: Option<Tensor<1>>,
    /// Recycling loss of the photo encoder (full model only).
    pub recycling_photo: Option<Tensor<1>>,
}

impl ArnetLoss {
    /// The single-view ablation: Eq. 5 without the two intra-sample terms (no augmented
    /// copies are encoded), plus the recycling terms with MSTR. The intra terms are reported
    /// as 0.
    pub fn compute_single_view(
        pair: &ArnetPair,
        sketch: &EncoderOutput,
        photo: &EncoderOutput,
        temperature: f64,
    ) -> Self {
        let multi_modal = info_nce(
            sketch.embedding.clone(),
            photo.embedding.clone(),
            temperature,
        );
        let inter_sample = info_nce(
            sketch.class_feature.clone(),
            photo.class_feature.clone(),
            temperature,
        );
        let zero = Tensor::<1>::zeros([1], &multi_modal.device());
        let recycling_sketch = recycling(&pair.sketch, sketch);
        let recycling_photo = recycling(&pair.photo, photo);
        let mut total = multi_modal.clone() + inter_sample.clone();
        for term in [&recycling_sketch, &recycling_photo].into_iter().flatten() {
            total = total + term.clone();
        }
        Self {
            total,
            multi_modal,
            inter_sample,
            intra_sketch: zero.clone(),
            intra_photo: zero,
            recycling_sketch,
            recycling_photo,
        }
    }

    /// Eq. 5 (basic), plus Eq. 6's recycling terms when the encoders have MSTR.
    ///
    /// The recycling loss is computed on the anchor views.
    pub fn compute(pair: &ArnetPair, views: &FourViews, temperature: f64) -> Self {
        let anchors = Self::compute_single_view(pair, &views.sketch, &views.photo, temperature);
        let intra_sketch = info_nce(
            views.sketch.class_feature.clone(),
            views.sketch_augmented.class_feature.clone(),
            temperature,
        );
        let intra_photo = info_nce(
            views.photo.class_feature.clone(),
            views.photo_augmented.class_feature.clone(),
            temperature,
        );
        Self {
            total: anchors.total + intra_sketch.clone() + intra_photo.clone(),
            intra_sketch,
            intra_photo,
            ..anchors
        }
    }
}

/// MSTR's recycling loss of one encoder's output (Eq. 3), when the encoder has MSTR.
fn recycling(encoder: &ArnetEncoder, out: &EncoderOutput) -> Option<Tensor<1>> {
    match (&encoder.mstr, &out.mstr_tokens) {
        (Some(mstr), Some(tokens)) => Some(mstr.recycling_loss(tokens.clone())),
        _ => None,
    }
}

/// The triplet-loss baseline of FG-SBIR (Yu et al., "Sketch me that shoe"), for ablations.
///
/// Distances are Euclidean between L2-normalised embeddings; every other photo of the batch is
/// a negative of each sketch, and the hinge `max(0, d(s, p) - d(s, n) + margin)` is averaged
/// over all `B (B - 1)` triplets.
///
/// # Shapes
/// - sketches, photos: `[batch, dim]`, row `i` of each belonging together (batch >= 2)
/// - output: `[1]`
pub fn triplet_loss(sketches: Tensor<2>, photos: Tensor<2>, margin: f64) -> Tensor<1> {
    let [batch, _] = sketches.dims();
    let device = sketches.device();
    let s = l2_normalize_rows(sketches);
    let p = l2_normalize_rows(photos);
    // For unit vectors, |s - p|^2 = 2 - 2 s.p; the small floor keeps sqrt's gradient finite.
    let to_distance = |cosine: Tensor<2>| (cosine.neg() * 2.0 + 2.0).clamp_min(1e-12).sqrt();
    let positive = to_distance((s.clone() * p.clone()).sum_dim(1)); // [B, 1]: d(s_i, p_i)
    let distance = to_distance(s.matmul(p.transpose())); // [B, B]: d(s_i, p_j)
    let hinge = (positive - distance + margin).clamp_min(0.0); // [B, B]
    let off_diagonal = Tensor::<2, Bool>::diag_mask([batch, batch], 0, &device); // true off it
    let hinge = hinge.mask_fill(off_diagonal.bool_not(), 0.0);
    hinge.sum() / (batch * (batch - 1).max(1)) as f64
}
