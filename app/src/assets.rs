//! The bundled demo: a gallery of synthetic garment photos and a model fine-tuned on a
//! separate synthetic set (see README, "The bundled demo", for the command that made them).

use std::path::PathBuf;

/// The `assets/` folder: `ARNET_ASSETS` if set, else next to the executable, else in
/// `../share/arnet-sketch/` from it (the Debian package: `/usr/share/arnet-sketch/assets`),
/// else the repository's (compiled in, so a build or `cargo install` from a clone finds it).
pub fn assets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ARNET_ASSETS") {
        return PathBuf::from(dir);
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(bin) = exe.parent()
    {
        let installed = bin.join("../share/arnet-sketch/assets");
        for dir in [bin.join("assets"), installed] {
            if dir.join("demo").is_dir() {
                return dir.canonicalize().unwrap_or(dir);
            }
        }
    }
    let repository = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../assets"));
    // Shown in the UI: `/path/to/clone/assets`, not `/path/to/clone/app/../assets`.
    repository.canonicalize().unwrap_or(repository)
}

/// The demo model (both encoders).
pub fn demo_weights() -> PathBuf {
    assets_dir().join("demo/model.safetensors")
}

/// The demo gallery folder.
pub fn demo_gallery() -> PathBuf {
    assets_dir().join("demo/gallery")
}

/// The real-photo demo gallery: 200 product photos of the Fashion-MNIST test split (Zalando,
/// MIT), made by `arnet data fashion-mnist --split test --limit 200 --seed 0 --size 128`.
pub fn real_demo_gallery() -> PathBuf {
    assets_dir().join("demo/real-gallery")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_repository_assets_folder_is_shown_canonical() {
        let dir = super::assets_dir();
        assert!(
            !dir.components()
                .any(|c| c == std::path::Component::ParentDir),
            "{}",
            dir.display()
        );
        assert!(dir.join("demo/gallery").is_dir(), "{}", dir.display());
        assert!(
            super::real_demo_gallery().read_dir().unwrap().count() >= 200,
            "the real-photo demo gallery is bundled"
        );
    }
}
