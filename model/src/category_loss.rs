//! The category term: a supervised-contrastive loss across the two modalities, added beside
//! ARNet's instance objective when training data says which kind of garment each photo is.
//!
//! ARNet's InfoNCE (Eq. 4) treats every other photo of a batch as a negative, a coat as much as
//! a trouser: nothing in it says that two coats are both coats, and a free-hand coat drawn from
//! the idea of a coat has no photo of its own to be pulled to. This term (Khosla et al.,
//! "Supervised Contrastive Learning", NeurIPS 2020, Eq. 2, taken across modalities) pulls each
//! sketch towards *every* photo of its kind in the batch and each photo towards every sketch of
//! its kind, against the rest. docs/model.md ("The kind of garment") says why and how it is
//! weighed against the instance term.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Tensor, TensorData};

use crate::retrieval::l2_normalize_rows;

/// One direction of the term: anchors (rows of `anchors`, class `anchor_classes[i]`) against
/// candidates. For anchor `i` with positives `P(i)` (candidates of its class),
/// `l_i = -1/|P(i)| Σ_{p∈P(i)} log softmax_j(a_i·c_j / τ)_p`; the result is the mean over the
/// anchors that have a positive, `None` when none has.
fn one_direction(
    anchors: Tensor<2>,
    anchor_classes: &[usize],
    candidates: Tensor<2>,
    candidate_classes: &[usize],
    temperature: f64,
) -> Option<Tensor<1>> {
    let (n, m) = (anchor_classes.len(), candidate_classes.len());
    // Each positive of anchor i weighs 1/|P(i)|; anchors without a positive weigh nothing.
    let mut weights = vec![0.0f32; n * m];
    let mut counted = 0usize;
    for (i, &class) in anchor_classes.iter().enumerate() {
        let positives = candidate_classes.iter().filter(|&&c| c == class).count();
        if positives == 0 {
            continue;
        }
        counted += 1;
        for (j, &c) in candidate_classes.iter().enumerate() {
            if c == class {
                weights[i * m + j] = 1.0 / positives as f32;
            }
        }
    }
    if counted == 0 {
        return None;
    }
    let device = anchors.device();
    let weights = Tensor::<2>::from_data(TensorData::new(weights, [n, m]), &device);
    let logits = anchors.matmul(candidates.transpose()) / temperature;
    let picked = (log_softmax(logits, 1) * weights).sum();
    Some(picked.neg() / counted as f64)
}

/// The cross-modal supervised-contrastive term: the mean of its two directions, sketches to
/// photos and photos to sketches, over L2-normalised rows.
///
/// `sketch_classes[i]` and `photo_classes[j]` are class ids (any numbering shared by both);
/// rows without a class are left out by the caller. `None` when no sketch has a photo of its
/// class (and so no photo a sketch of its class) in the batch.
///
/// # Shapes
/// - sketches: `[n, dim]`, photos: `[m, dim]`
/// - output: `[1]`
pub fn category_contrastive(
    sketches: Tensor<2>,
    sketch_classes: &[usize],
    photos: Tensor<2>,
    photo_classes: &[usize],
    temperature: f64,
) -> Option<Tensor<1>> {
    let sketches = l2_normalize_rows(sketches);
    let photos = l2_normalize_rows(photos);
    let to_photos = one_direction(
        sketches.clone(),
        sketch_classes,
        photos.clone(),
        photo_classes,
        temperature,
    )?;
    let to_sketches = one_direction(photos, photo_classes, sketches, sketch_classes, temperature)?;
    Some((to_photos + to_sketches) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Backend;

    fn tensor(rows: &[[f32; 2]]) -> Tensor<2> {
        let device = Backend::Cpu.device().unwrap();
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        Tensor::from_data(TensorData::new(flat, [rows.len(), 2]), &device)
    }

    fn value(t: Tensor<1>) -> f32 {
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap()[0]
    }

    #[test]
    fn lower_when_kinds_are_together() {
        // Two kinds on two axes: sketches next to their kind's photos score lower than
        // sketches next to the other kind's.
        let photos = tensor(&[[1.0, 0.0], [1.0, 0.1], [0.0, 1.0]]);
        let together = tensor(&[[1.0, 0.05], [0.05, 1.0]]);
        let swapped = tensor(&[[0.05, 1.0], [1.0, 0.05]]);
        let classes_p = [0, 0, 1];
        let classes_s = [0, 1];
        let good = value(
            category_contrastive(together, &classes_s, photos.clone(), &classes_p, 0.1).unwrap(),
        );
        let bad =
            value(category_contrastive(swapped, &classes_s, photos, &classes_p, 0.1).unwrap());
        assert!(good < bad, "{good} vs {bad}");
    }

    #[test]
    fn no_shared_kind_no_term() {
        let photos = tensor(&[[1.0, 0.0]]);
        let sketches = tensor(&[[0.0, 1.0]]);
        assert!(category_contrastive(sketches, &[1], photos, &[0], 0.1).is_none());
    }
}
