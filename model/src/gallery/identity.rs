//! Where a gallery's cache lives, and which model it belongs to.

use std::path::{Path, PathBuf};

use crate::hash::Fnv1a;

/// The platform cache folder of ARNet Sketch (`ARNET_CACHE_DIR` overrides it).
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ARNET_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "arnet-sketch")
        .map(|dirs| dirs.cache_dir().to_path_buf())
        .unwrap_or_else(|| std::env::temp_dir().join("arnet-sketch-cache"))
}

/// The identity of a model for the cache: a hash of the weight file's bytes and the head
/// count it is run with.
pub fn model_identity(weights: &Path, heads: Option<usize>) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(weights)?;
    let mut hash = Fnv1a::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hash.update(&buffer[..n]);
    }
    hash.update(format!("heads={heads:?}").as_bytes());
    Ok(format!("{:016x}", hash.finish()))
}

/// The folder holding the store of `gallery` for `model_id` under `cache_dir`
/// (`CACHE/galleries/<hash of the canonical folder path>/<model id>/`).
pub fn store_dir(cache_dir: &Path, gallery: &Path, model_id: &str) -> PathBuf {
    let canonical = gallery
        .canonicalize()
        .unwrap_or_else(|_| gallery.to_path_buf());
    let mut hash = Fnv1a::new();
    hash.update(canonical.to_string_lossy().as_bytes());
    cache_dir
        .join("galleries")
        .join(format!("{:016x}", hash.finish()))
        .join(model_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_identity_follows_the_bytes_and_heads() {
        let dir =
            std::env::temp_dir().join(format!("arnet-gallery-identity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.bin"), dir.join("b.bin"));
        std::fs::write(&a, b"weights one").unwrap();
        std::fs::write(&b, b"weights two").unwrap();
        let id = |p: &Path, h| model_identity(p, h).unwrap();
        assert_eq!(id(&a, None), id(&a, None));
        assert_ne!(id(&a, None), id(&b, None));
        assert_ne!(id(&a, None), id(&a, Some(4)));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
