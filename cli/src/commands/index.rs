//! `arnet index`: every photo of a gallery folder embedded into the cache the app uses, or
//! with `--store` into the shared catalogue.

use std::path::PathBuf;

use arnet_model::burn::tensor::Device;
use arnet_model::{ArnetEncoder, embed, gallery};

use crate::args::{ModelArgs, StoreArgs, warn_kept, warn_skipped};
use crate::index_progress;

#[derive(clap::Args, Debug)]
pub struct IndexArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Folder of photos (searched recursively).
    #[arg(long)]
    gallery: PathBuf,
    /// End with one JSON line: {"indexed", "cached", "skipped": [{"path", "reason"}]}.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

pub fn run(args: IndexArgs) -> anyhow::Result<()> {
    if !args.gallery.is_dir() {
        anyhow::bail!("{}: not a folder", args.gallery.display());
    }
    let (photo_encoder, device) = args.model.load_photo_encoder()?;
    let settings = args.model.index_settings(&args.store)?;
    let dim = embed::embedding_width(&photo_encoder);
    if let Some(mut catalogue) = args.store.connect(&args.gallery, &settings, dim)? {
        return index_into_catalogue(&args, &photo_encoder, &device, &settings, &mut catalogue);
    }
    let mut progress = index_progress::IndexProgress::new();
    let index = gallery::index_gallery(
        &args.gallery,
        &photo_encoder,
        &device,
        &settings,
        &mut |p| progress.update(p),
    )?;
    progress.finish();
    warn_skipped(&index.skipped);
    if args.json {
        /// The line checks read: field order as documented.
        #[derive(serde::Serialize)]
        struct Line<'a> {
            indexed: usize,
            cached: usize,
            skipped: &'a [gallery::Skipped],
        }
        let line = Line {
            indexed: index.photos.len(),
            cached: index.cached,
            skipped: &index.skipped,
        };
        println!("{}", serde_json::to_string(&line)?);
    } else {
        println!(
            "{}: {} photos indexed ({} from the cache), {} skipped; searched {}",
            args.gallery.display(),
            index.photos.len(),
            index.cached,
            index.skipped.len(),
            if index.is_approximate() {
                "through the HNSW graph (approximate)"
            } else {
                "exactly"
            }
        );
    }
    Ok(())
}

/// `arnet index --store URL`: the folder synced into the shared catalogue.
fn index_into_catalogue(
    args: &IndexArgs,
    photo_encoder: &ArnetEncoder,
    device: &Device,
    settings: &gallery::IndexSettings,
    catalogue: &mut gallery::SharedCatalogue,
) -> anyhow::Result<()> {
    let mut progress = index_progress::IndexProgress::new();
    let report = gallery::sync_gallery(
        &args.gallery,
        photo_encoder,
        device,
        settings,
        catalogue,
        None,
        &mut |p| progress.update(p),
    )?;
    progress.finish();
    warn_skipped(&report.skipped);
    warn_kept(&report, catalogue);
    if args.json {
        /// The local index's line (same fields, same order), then the catalogue's own.
        #[derive(serde::Serialize)]
        struct Line<'a> {
            indexed: usize,
            cached: usize,
            skipped: &'a [gallery::Skipped],
            embedded: usize,
            removed: usize,
            kept_gone: usize,
            store: &'a str,
        }
        let line = Line {
            indexed: report.photos.len(),
            cached: report.cached,
            skipped: &report.skipped,
            embedded: report.embedded,
            removed: report.removed,
            kept_gone: report.kept_gone,
            store: catalogue.database(),
        };
        println!("{}", serde_json::to_string(&line)?);
    } else {
        println!(
            "{}: {} photos in the shared catalogue {} ({} already there, {} embedded, {} removed), \
             {} skipped",
            args.gallery.display(),
            report.photos.len(),
            catalogue.database(),
            report.cached,
            report.embedded,
            report.removed,
            report.skipped.len(),
        );
    }
    Ok(())
}
