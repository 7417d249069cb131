//! Splitting independent per-item work (decoding, resizing, augmenting) over threads.

/// `f(0..count)` on `workers` scoped threads (contiguous chunks), results in index order, so
/// the output never depends on scheduling.
pub fn parallel_map<T: Send>(
    count: usize,
    workers: usize,
    f: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let chunk = count.div_ceil(workers.max(1)).max(1);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = (0..count)
            .step_by(chunk)
            .map(|start| {
                scope.spawn(move || {
                    (start..(start + chunk).min(count))
                        .map(f)
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("worker panicked"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order() {
        assert_eq!(parallel_map(7, 3, |i| i * i), vec![0, 1, 4, 9, 16, 25, 36]);
        assert!(parallel_map(0, 3, |i| i).is_empty());
    }
}
