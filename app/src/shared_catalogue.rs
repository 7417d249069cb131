//! The app on a shared catalogue (`arnet_model::gallery::database`): after the gallery is
//! indexed on this machine, the catalogue is brought up to date from that index (photos the
//! catalogue lacks are written from their local embeddings, not embedded again) and is then
//! searched. Whenever the database cannot be used, the app says so and answers from this
//! machine's index, which stays complete.

use std::sync::Arc;

use arnet_model::ArnetEncoder;
use arnet_model::burn::tensor::Device;
use arnet_model::gallery::{
    EXACT_SEARCH_UP_TO, GalleryIndex, IndexSettings, SharedCatalogue, database, sync_gallery,
};
use arnet_model::query::CatalogueSearch;

use crate::status::CatalogueStatus;

/// Connects to `url` and syncs `index`'s folder into it; reports each state through
/// `notify`. `None` when the catalogue cannot be used (the reason was reported). Searched
/// like the CLI's `search --store`, with the local index's palettes for colour re-ranking.
pub fn attach(
    url: &str,
    index: &Arc<GalleryIndex>,
    photo_encoder: &ArnetEncoder,
    device: &Device,
    settings: &IndexSettings,
    notify: impl Fn(CatalogueStatus),
) -> Option<CatalogueSearch> {
    let database = database::describe_database(url);
    notify(CatalogueStatus::Syncing(database.clone()));
    let dim = arnet_model::embed::embedding_width(photo_encoder);
    let name = database::default_catalogue_name(&index.root);
    let synced = SharedCatalogue::connect(url, &name, &settings.model_id, dim)
        .map_err(|e| e.to_string())
        .and_then(|mut catalogue| {
            let report = sync_gallery(
                &index.root,
                photo_encoder,
                device,
                settings,
                &mut catalogue,
                Some(index),
                &mut |_| true,
            )
            .map_err(|e| e.to_string())?;
            Ok((catalogue, report.photos.len()))
        });
    match synced {
        Ok((catalogue, photos)) => {
            notify(CatalogueStatus::Connected { database, photos });
            Some(CatalogueSearch::beside_index(
                catalogue,
                index.clone(),
                EXACT_SEARCH_UP_TO,
            ))
        }
        Err(reason) => {
            notify(CatalogueStatus::Unreachable(reason));
            None
        }
    }
}
