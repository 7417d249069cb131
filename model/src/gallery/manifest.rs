//! The manifest of a gallery store (`entries.bin`): which photo has which id in the vector
//! file, and what that file must be. Replacing it is the store's commit point.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::files::FileKey;
use super::store::{OpenMode, Storage, VectorStore, io_error};
use crate::colour::{PALETTE_BYTES, Palette};
use crate::shadow::{LINE_BYTES, LineDrawing};

const MANIFEST: &str = "entries.bin";
const MAGIC: &[u8; 8] = b"ARNETGAL";
/// Version 2 added each photo's colour palette; version 1 stores are read (palettes missing,
/// filled in by the next indexing without re-embedding). Version 3 added each photo's line
/// drawing for the shadow ([`crate::shadow`]); stores of versions 1 and 2 are read with them
/// missing (made when first needed, [`super::GalleryIndex::line_drawing`]).
const VERSION: u8 = 3;

/// One stored photo: its id in the vector file and the file it was embedded from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Key of its vector in the vector file (never reused within a store).
    pub id: u64,
    /// The photo file.
    pub key: FileKey,
    /// Its garment colours ([`crate::colour`]); none in stores of version 1.
    pub palette: Option<Palette>,
    /// Its line drawing ([`crate::shadow`]); none in stores before version 3.
    pub lines: Option<LineDrawing>,
}

/// What a store holds: read from and written to `entries.bin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The model the embeddings come from ([`super::model_identity`]).
    pub model_id: String,
    /// Embedding width.
    pub dim: usize,
    /// Precision of the stored vectors.
    pub storage: Storage,
    /// Name of the vector file in the store folder.
    pub vectors_file: String,
    /// Its length in bytes: a vector file that is not the one committed is not opened.
    pub vectors_bytes: u64,
    /// The next unused id.
    pub next_id: u64,
    /// The stored photos, each once.
    pub entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
struct ManifestHeader {
    model_id: String,
    dim: usize,
    storage: Storage,
    vectors_file: String,
    vectors_bytes: u64,
    next_id: u64,
    count: usize,
}

impl Manifest {
    /// Path of the vector file this manifest names, in `dir`.
    pub fn vectors_path(&self, dir: &Path) -> PathBuf {
        dir.join(&self.vectors_file)
    }

    /// Opens the vector file this manifest names, in `dir`, after checking that it is the
    /// committed one (its length) and, once open, that it holds as many vectors as entries.
    pub fn open_vectors(&self, dir: &Path, mode: OpenMode) -> std::io::Result<VectorStore> {
        let path = self.vectors_path(dir);
        let bytes = std::fs::metadata(&path)?.len();
        if bytes != self.vectors_bytes {
            return Err(io_error(
                &path.to_string_lossy(),
                format!("{bytes} bytes, the manifest says {}", self.vectors_bytes),
            ));
        }
        let store = VectorStore::open(&path, self.dim, self.storage, mode)?;
        if store.len() != self.entries.len() {
            return Err(io_error(
                &path.to_string_lossy(),
                format!("{} vectors for {} entries", store.len(), self.entries.len()),
            ));
        }
        Ok(store)
    }

    /// `MAGIC`, version, u32 header length, JSON header, then per entry: id u64, size u64,
    /// modification time u128, path length u32, UTF-8 path, then (version 2) a byte saying
    /// whether a palette follows and the palette's bytes, then (version 3) a byte saying
    /// whether a line drawing follows and its 512 bytes (all little-endian). Binary rather
    /// than JSON so that a million entries parse in a fraction of a second.
    fn to_bytes(&self) -> Vec<u8> {
        let header = ManifestHeader {
            model_id: self.model_id.clone(),
            dim: self.dim,
            storage: self.storage,
            vectors_file: self.vectors_file.clone(),
            vectors_bytes: self.vectors_bytes,
            next_id: self.next_id,
            count: self.entries.len(),
        };
        let json = serde_json::to_vec(&header).expect("the header serialises");
        let mut bytes = Vec::with_capacity(13 + json.len() + self.entries.len() * 64);
        bytes.extend_from_slice(MAGIC);
        bytes.push(VERSION);
        bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&json);
        for entry in &self.entries {
            bytes.extend_from_slice(&entry.id.to_le_bytes());
            bytes.extend_from_slice(&entry.key.size.to_le_bytes());
            bytes.extend_from_slice(&entry.key.modified_ns.to_le_bytes());
            bytes.extend_from_slice(&(entry.key.path.len() as u32).to_le_bytes());
            bytes.extend_from_slice(entry.key.path.as_bytes());
            match &entry.palette {
                Some(palette) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&palette.to_bytes());
                }
                None => bytes.push(0),
            }
            match &entry.lines {
                Some(lines) => {
                    bytes.push(1);
                    bytes.extend_from_slice(&lines.to_bytes());
                }
                None => bytes.push(0),
            }
        }
        bytes
    }

    /// Parses what [`Manifest::to_bytes`] wrote; `None` for anything else (truncated,
    /// foreign, another version).
    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let mut reader = Reader { bytes, at: 0 };
        if reader.take(8)? != MAGIC {
            return None;
        }
        let version = reader.take(1)?[0];
        if !(1..=VERSION).contains(&version) {
            return None;
        }
        let length = u32::from_le_bytes(reader.take(4)?.try_into().ok()?) as usize;
        let header: ManifestHeader = serde_json::from_slice(reader.take(length)?).ok()?;
        let mut entries = Vec::with_capacity(header.count.min(bytes.len() / 36));
        for _ in 0..header.count {
            let id = u64::from_le_bytes(reader.take(8)?.try_into().ok()?);
            let size = u64::from_le_bytes(reader.take(8)?.try_into().ok()?);
            let modified_ns = u128::from_le_bytes(reader.take(16)?.try_into().ok()?);
            let path_length = u32::from_le_bytes(reader.take(4)?.try_into().ok()?) as usize;
            let path = std::str::from_utf8(reader.take(path_length)?)
                .ok()?
                .to_string();
            let palette = match version {
                1 => None,
                _ => match reader.take(1)?[0] {
                    0 => None,
                    1 => Some(Palette::from_bytes(
                        reader.take(PALETTE_BYTES)?.try_into().ok()?,
                    )),
                    _ => return None,
                },
            };
            let lines = match version {
                1 | 2 => None,
                _ => match reader.take(1)?[0] {
                    0 => None,
                    1 => Some(LineDrawing::from_bytes(
                        reader.take(LINE_BYTES)?.try_into().ok()?,
                    )),
                    _ => return None,
                },
            };
            entries.push(Entry {
                id,
                key: FileKey {
                    path,
                    size,
                    modified_ns,
                },
                palette,
                lines,
            });
        }
        if reader.at != bytes.len() || entries.iter().any(|e| e.id >= header.next_id) {
            return None;
        }
        Some(Self {
            model_id: header.model_id,
            dim: header.dim,
            storage: header.storage,
            vectors_file: header.vectors_file,
            vectors_bytes: header.vectors_bytes,
            next_id: header.next_id,
            entries,
        })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let slice = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(slice)
    }
}

/// The manifest in `dir`, when it parses and belongs to `model_id`.
pub fn read_manifest(dir: &Path, model_id: &str) -> Option<Manifest> {
    let bytes = std::fs::read(dir.join(MANIFEST)).ok()?;
    Manifest::from_bytes(&bytes).filter(|m| m.model_id == model_id)
}

/// Replaces the manifest in `dir` atomically (the store's commit point).
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> std::io::Result<()> {
    crate::fsutil::write_atomic(&dir.join(MANIFEST), &manifest.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str, size: u64, modified_ns: u128) -> FileKey {
        FileKey {
            path: path.into(),
            size,
            modified_ns,
        }
    }

    #[test]
    fn the_manifest_round_trips_and_rejects_other_models_and_corruption() {
        let dir = std::env::temp_dir().join(format!("arnet-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = Manifest {
            model_id: "model-1".into(),
            dim: 2,
            storage: Storage::F16,
            vectors_file: "vectors-1.usearch".into(),
            vectors_bytes: 1234,
            next_id: 5,
            entries: vec![
                Entry {
                    id: 0,
                    key: key("a.png", 10, 1),
                    palette: None,
                    lines: None,
                },
                Entry {
                    id: 4,
                    key: key("sub/é.png", 20, u128::MAX),
                    palette: Some(Palette::from_bytes(&[7; PALETTE_BYTES])),
                    lines: Some(LineDrawing::from_bytes(&[0x5a; LINE_BYTES])),
                },
            ],
        };
        write_manifest(&dir, &manifest).unwrap();
        assert_eq!(read_manifest(&dir, "model-1").unwrap(), manifest);
        assert!(read_manifest(&dir, "model-2").is_none(), "another model's");
        let bytes = std::fs::read(dir.join(MANIFEST)).unwrap();
        for cut in [1, 3, 20] {
            std::fs::write(dir.join(MANIFEST), &bytes[..bytes.len() - cut]).unwrap();
            assert!(
                read_manifest(&dir, "model-1").is_none(),
                "truncated by {cut}"
            );
        }
        // A version 1 store (no palettes) is still read, its palettes missing.
        let mut v1 = manifest.clone();
        v1.entries.iter_mut().for_each(|e| {
            e.palette = None;
            e.lines = None;
        });
        let mut old = v1.to_bytes();
        old[8] = 1;
        let body_start = 13 + u32::from_le_bytes(old[9..13].try_into().unwrap()) as usize;
        let mut version_1 = old[..body_start].to_vec();
        for entry in &v1.entries {
            version_1.extend_from_slice(&entry.id.to_le_bytes());
            version_1.extend_from_slice(&entry.key.size.to_le_bytes());
            version_1.extend_from_slice(&entry.key.modified_ns.to_le_bytes());
            version_1.extend_from_slice(&(entry.key.path.len() as u32).to_le_bytes());
            version_1.extend_from_slice(entry.key.path.as_bytes());
        }
        std::fs::write(dir.join(MANIFEST), &version_1).unwrap();
        assert_eq!(read_manifest(&dir, "model-1").unwrap(), v1, "version 1");
        // A version 2 store (palettes, no line drawings) is read, its line drawings missing.
        let mut v2 = manifest.clone();
        v2.entries.iter_mut().for_each(|e| e.lines = None);
        let mut version_2 = old[..body_start].to_vec();
        version_2[8] = 2;
        for entry in &v2.entries {
            version_2.extend_from_slice(&entry.id.to_le_bytes());
            version_2.extend_from_slice(&entry.key.size.to_le_bytes());
            version_2.extend_from_slice(&entry.key.modified_ns.to_le_bytes());
            version_2.extend_from_slice(&(entry.key.path.len() as u32).to_le_bytes());
            version_2.extend_from_slice(entry.key.path.as_bytes());
            match &entry.palette {
                Some(palette) => {
                    version_2.push(1);
                    version_2.extend_from_slice(&palette.to_bytes());
                }
                None => version_2.push(0),
            }
        }
        std::fs::write(dir.join(MANIFEST), &version_2).unwrap();
        assert_eq!(read_manifest(&dir, "model-1").unwrap(), v2, "version 2");
        std::fs::write(dir.join(MANIFEST), b"garbage").unwrap();
        assert!(read_manifest(&dir, "model-1").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
