//! Retrieval maths: L2-normalised embeddings and cosine top-k.
//!
//! Gallery embeddings live on the host (they are cached on disk and searched on every stroke),
//! so ranking is plain Rust over a row-major matrix; only the encoder runs on a Burn device.

use std::cmp::Ordering;

use burn::tensor::Tensor;

/// `F.normalize`'s epsilon: rows shorter than this are divided by it instead.
pub const NORMALIZE_EPS: f64 = 1e-12;

/// Divides each row by its L2 norm (as `torch.nn.functional.normalize(x, dim=1)`).
///
/// # Shapes
/// - input and output: `[rows, dim]`
pub fn l2_normalize_rows(x: Tensor<2>) -> Tensor<2> {
    let norm = x
        .clone()
        .square()
        .sum_dim(1)
        .sqrt()
        .clamp_min(NORMALIZE_EPS); // [rows, 1]
    x / norm
}

/// Normalises `v` in place to unit length (leaves an all-zero vector as it is).
pub fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let norm = norm.max(NORMALIZE_EPS as f32);
    v.iter_mut().for_each(|x| *x /= norm);
}

/// Dot product.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// One ranked gallery item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Row of the gallery matrix.
    pub index: usize,
    /// Cosine similarity (dot product of unit vectors).
    pub score: f32,
}

/// Row-major matrix of unit-length embeddings, one row per gallery item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EmbeddingMatrix {
    dim: usize,
    data: Vec<f32>,
}

impl EmbeddingMatrix {
    /// An empty matrix of rows of width `dim`.
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            data: Vec::new(),
        }
    }

    /// A matrix of `rows` (normalised here); the width is the first row's.
    pub fn from_rows(rows: &[Vec<f32>]) -> Self {
        let mut matrix = Self::new(rows.first().map_or(0, Vec::len));
        rows.iter().for_each(|row| matrix.push(row));
        matrix
    }

    /// Appends a row, normalising it.
    ///
    /// # Panics
    /// Panics if the row's width is not the matrix's.
    pub fn push(&mut self, row: &[f32]) {
        assert_eq!(row.len(), self.dim, "embedding width mismatch");
        let start = self.data.len();
        self.data.extend_from_slice(row);
        l2_normalize(&mut self.data[start..]);
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Row width.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// The `k` rows most similar to `query` (normalised here), best first; ties keep
    /// gallery order so the ranking is deterministic.
    pub fn top_k(&self, query: &[f32], k: usize) -> Vec<Hit> {
        let mut query = query.to_vec();
        l2_normalize(&mut query);
        let mut hits: Vec<Hit> = (0..self.len())
            .map(|index| Hit {
                index,
                score: dot(&query, self.row(index)),
            })
            .collect();
        let best_first = |a: &Hit, b: &Hit| {
            b.score
                .partial_cmp(&a.score)
                .unwrap_or(Ordering::Equal)
                .then(a.index.cmp(&b.index))
        };
        // Partition around the k-th best (linear), then sort only those k: the same order as
        // sorting everything (the comparison is total), without sorting a large gallery.
        if k > 0 && k < hits.len() {
            hits.select_nth_unstable_by(k - 1, best_first);
        }
        hits.truncate(k);
        hits.sort_by(best_first);
        hits
    }

    /// Rank (0 = best) of row `target` for `query`.
    pub fn rank_of(&self, query: &[f32], target: usize) -> usize {
        let mut query = query.to_vec();
        l2_normalize(&mut query);
        let target_score = dot(&query, self.row(target));
        (0..self.len())
            .filter(|&i| {
                let s = dot(&query, self.row(i));
                s > target_score || (s == target_score && i < target)
            })
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_ranks_by_cosine_and_normalises() {
        let mut gallery = EmbeddingMatrix::new(2);
        gallery.push(&[1.0, 0.0]);
        gallery.push(&[10.0, 10.0]); // length must not matter
        gallery.push(&[0.0, 1.0]);
        let hits = gallery.top_k(&[0.2, 1.0], 2);
        assert_eq!(hits.iter().map(|h| h.index).collect::<Vec<_>>(), vec![2, 1]);
        let expected = 1.0 / 1.04f32.sqrt();
        assert!((hits[0].score - expected).abs() < 1e-6);
        assert_eq!(gallery.rank_of(&[0.2, 1.0], 0), 2);
        assert_eq!(gallery.top_k(&[1.0, 0.0], 10).len(), 3);
    }
}
