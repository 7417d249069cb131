//! The shared catalogue: a gallery's embeddings in PostgreSQL with the pgvector extension,
//! so that many machines index into and search one catalogue at once
//! (docs/shared-catalogue.md says why this engine, the schema, and how a team deploys it).
//!
//! # Schema
//! `arnet_models` lists each model identity, its embedding width and its table; each model
//! has its own table `arnet_photos_<model id>` with one row per photo, keyed like the local
//! store: (catalogue, path relative to the gallery folder) plus the file's size and
//! modification time, the unit-length embedding (`vector(dim)`) and an HNSW index over it for
//! inner product. A model never reads another model's rows, and a width that disagrees with
//! the registry is refused.
//!
//! # Concurrency
//! Rows are written with `INSERT .. ON CONFLICT DO UPDATE`, one transaction per batch, so two
//! machines indexing the same folder never duplicate a row and an interrupted run keeps every
//! finished batch. Before a batch is embedded, the rows another indexer wrote meanwhile are
//! dropped from it. A row is deleted only if its file is gone *and* the row is still the one
//! this run saw, so a photo that another machine re-adds meanwhile survives.

mod error;
mod sync;

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use pgvector::Vector;
use postgres::{Client, NoTls};

pub use error::CatalogueError;
pub use sync::{SyncReport, sync_gallery};

use super::files::FileKey;
use crate::retrieval::l2_normalize;

/// How long connecting may take before the catalogue counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a silent connection is waited on (the server gone without closing it).
const SILENCE_TIMEOUT: Duration = Duration::from_secs(10);
/// pgvector's largest HNSW search width: the approximate search's recall is best here.
const EF_SEARCH: usize = 1000;

/// A connection to one catalogue of one model in the database.
pub struct SharedCatalogue {
    client: Client,
    database: String,
    table: String,
    catalogue: String,
    dim: usize,
    /// Rows of this catalogue at the last sync or open (decides exact or approximate search).
    pub(crate) rows: usize,
}

impl std::fmt::Debug for SharedCatalogue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedCatalogue")
            .field("database", &self.database)
            .field("table", &self.table)
            .field("catalogue", &self.catalogue)
            .field("rows", &self.rows)
            .finish()
    }
}

/// `url` as it can be shown: `postgres://user@host:port/dbname`, never the password.
pub fn describe_database(url: &str) -> String {
    let Ok(config) = postgres::Config::from_str(url) else {
        return "the shared catalogue".into();
    };
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "postgres://{}@{host}:{port}/{}",
        config.get_user().unwrap_or(""),
        config.get_dbname().unwrap_or("")
    )
}

/// The default catalogue name of a gallery folder: its last component.
pub fn default_catalogue_name(gallery: &Path) -> String {
    let canonical = gallery
        .canonicalize()
        .unwrap_or_else(|_| gallery.to_path_buf());
    canonical
        .file_name()
        .map_or_else(|| "gallery".into(), |n| n.to_string_lossy().into_owned())
}

impl SharedCatalogue {
    /// Connects to `url`, creating the extension, the registry and this model's table and
    /// index when missing (serialised between clients by an advisory lock).
    pub fn connect(
        url: &str,
        catalogue: &str,
        model_id: &str,
        dim: usize,
    ) -> Result<Self, CatalogueError> {
        let mut config = postgres::Config::from_str(url).map_err(|e| CatalogueError::BadUrl {
            url: url.into(),
            reason: e.to_string(),
        })?;
        let database = describe_database(url);
        config
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_user_timeout(SILENCE_TIMEOUT)
            .keepalives_idle(SILENCE_TIMEOUT)
            .application_name("arnet-sketch");
        let mut client = config
            .connect(NoTls)
            .map_err(|source| CatalogueError::Unreachable {
                database: database.clone(),
                source,
            })?;
        let table = photos_table(model_id);
        {
            let error = |what| {
                let database = database.clone();
                move |source| CatalogueError::Query {
                    database,
                    what,
                    source,
                }
            };
            let mut setup = client.transaction().map_err(unreachable(&database))?;
            // One schema change at a time: concurrent CREATE .. IF NOT EXISTS can collide.
            setup
                .execute("SELECT pg_advisory_xact_lock(7314159265)", &[])
                .map_err(error("locking the schema"))?;
            setup
                .batch_execute("CREATE EXTENSION IF NOT EXISTS vector")
                .map_err(|source| CatalogueError::NoVector {
                    database: database.clone(),
                    source,
                })?;
            setup
                .batch_execute(
                    "CREATE TABLE IF NOT EXISTS arnet_models (
                        model_id text PRIMARY KEY,
                        dim integer NOT NULL,
                        photos_table text NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now())",
                )
                .map_err(error("creating the model registry"))?;
            let stored = setup
                .query_opt(
                    "SELECT dim FROM arnet_models WHERE model_id = $1",
                    &[&model_id],
                )
                .map_err(error("reading the model registry"))?;
            if let Some(row) = stored {
                let stored = row.get::<_, i32>(0) as usize;
                if stored != dim {
                    // Dropping the transaction rolls it back: nothing was changed.
                    return Err(CatalogueError::Width {
                        database: database.clone(),
                        model_id: model_id.into(),
                        stored,
                        dim,
                    });
                }
            } else {
                setup
                    .execute(
                        "INSERT INTO arnet_models (model_id, dim, photos_table) VALUES ($1, $2, $3)",
                        &[&model_id, &(dim as i32), &table],
                    )
                    .map_err(error("registering the model"))?;
            }
            setup
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {table} (
                        catalogue text NOT NULL,
                        path text NOT NULL,
                        size bigint NOT NULL,
                        modified_ns bigint NOT NULL,
                        embedding vector({dim}) NOT NULL,
                        indexed_at timestamptz NOT NULL DEFAULT now(),
                        PRIMARY KEY (catalogue, path));
                     CREATE INDEX IF NOT EXISTS {table}_hnsw ON {table}
                        USING hnsw (embedding vector_ip_ops) WITH (m = 16, ef_construction = 128)"
                ))
                .map_err(error("creating the model's table"))?;
            setup.commit().map_err(unreachable(&database))?;
        }
        let mut this = Self {
            client,
            database,
            table,
            catalogue: catalogue.into(),
            dim,
            rows: 0,
        };
        this.rows = this.count()?;
        Ok(this)
    }

    /// The database, without password.
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Rows of this catalogue as of the last sync or open.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the catalogue held no row at the last sync or open.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    fn query_error(
        &self,
        what: &'static str,
    ) -> impl FnOnce(postgres::Error) -> CatalogueError + use<> {
        let database = self.database.clone();
        move |source| {
            if source.is_closed() || source.as_db_error().is_none() {
                CatalogueError::Unreachable { database, source }
            } else {
                CatalogueError::Query {
                    database,
                    what,
                    source,
                }
            }
        }
    }

    pub(crate) fn count(&mut self) -> Result<usize, CatalogueError> {
        let sql = format!("SELECT count(*) FROM {} WHERE catalogue = $1", self.table);
        let row = self
            .client
            .query_one(&sql, &[&self.catalogue])
            .map_err(self.query_error("counting the catalogue"))?;
        Ok(row.get::<_, i64>(0) as usize)
    }

    /// Every stored photo of this catalogue: path -> (size, modification time).
    pub fn keys(&mut self) -> Result<HashMap<String, FileKey>, CatalogueError> {
        let sql = format!(
            "SELECT path, size, modified_ns FROM {} WHERE catalogue = $1",
            self.table
        );
        let rows = self
            .client
            .query(&sql, &[&self.catalogue])
            .map_err(self.query_error("listing the catalogue"))?;
        Ok(keys_by_path(&rows))
    }

    /// Of `keys`, those not stored as they are (missing, or another size or date).
    pub(crate) fn still_missing(&mut self, keys: &[&FileKey]) -> Result<Vec<bool>, CatalogueError> {
        let paths: Vec<&str> = keys.iter().map(|k| k.path.as_str()).collect();
        let sql = format!(
            "SELECT path, size, modified_ns FROM {} WHERE catalogue = $1 AND path = ANY($2)",
            self.table
        );
        let rows = self
            .client
            .query(&sql, &[&self.catalogue, &paths])
            .map_err(self.query_error("checking the catalogue"))?;
        let stored = keys_by_path(&rows);
        Ok(keys
            .iter()
            .map(|k| stored.get(&k.path) != Some(*k))
            .collect())
    }

    /// Writes `rows` (embeddings normalised here) in one transaction, replacing older rows of
    /// the same paths.
    pub fn upsert(&mut self, rows: &[(FileKey, Vec<f32>)]) -> Result<(), CatalogueError> {
        if rows.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO {} (catalogue, path, size, modified_ns, embedding)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (catalogue, path) DO UPDATE SET size = EXCLUDED.size,
                modified_ns = EXCLUDED.modified_ns, embedding = EXCLUDED.embedding,
                indexed_at = now()",
            self.table
        );
        let dim = self.dim;
        let error = self.query_error("writing embeddings");
        let catalogue = self.catalogue.clone();
        let result = (|| {
            let mut batch = self.client.transaction()?;
            let statement = batch.prepare(&sql)?;
            for (key, embedding) in rows {
                assert_eq!(embedding.len(), dim, "embedding width mismatch");
                let mut unit = embedding.clone();
                l2_normalize(&mut unit);
                let (size, modified_ns) = key_columns(key);
                batch.execute(
                    &statement,
                    &[
                        &catalogue,
                        &key.path,
                        &size,
                        &modified_ns,
                        &Vector::from(unit),
                    ],
                )?;
            }
            batch.commit()
        })();
        result.map_err(error)
    }

    /// Deletes the row of `key` if it is still exactly `key` (not re-added meanwhile).
    pub(crate) fn remove_if_unchanged(&mut self, key: &FileKey) -> Result<bool, CatalogueError> {
        let sql = format!(
            "DELETE FROM {} WHERE catalogue = $1 AND path = $2 AND size = $3 AND modified_ns = $4",
            self.table
        );
        let (size, modified_ns) = key_columns(key);
        let removed = self
            .client
            .execute(&sql, &[&self.catalogue, &key.path, &size, &modified_ns])
            .map_err(self.query_error("removing a photo"))?;
        Ok(removed > 0)
    }

    /// The `k` stored photos most similar to `query` (normalised here), best first, as
    /// (path relative to the gallery, cosine similarity). Exact (a full scan) up to
    /// `exact_up_to` rows, like the local store; through the HNSW index above.
    pub fn top_k(
        &mut self,
        query: &[f32],
        k: usize,
        exact_up_to: usize,
    ) -> Result<Vec<(String, f32)>, CatalogueError> {
        let mut unit = query.to_vec();
        l2_normalize(&mut unit);
        // Exact: a scan ranked like the local store (ties by path, the local order). The
        // graph can only order by the distance alone.
        let (settings, order) = if self.rows <= exact_up_to {
            (
                "SET LOCAL enable_indexscan = off; SET LOCAL enable_bitmapscan = off".to_string(),
                "embedding <#> $1, path",
            )
        } else {
            (
                // Iterative scans (pgvector 0.8) keep the filter on the catalogue from
                // leaving fewer than k rows when the table holds several catalogues.
                format!(
                    "SET LOCAL hnsw.ef_search = {EF_SEARCH}; \
                     SET LOCAL hnsw.iterative_scan = strict_order"
                ),
                "embedding <#> $1",
            )
        };
        let sql = format!(
            "SELECT path, (embedding <#> $1) FROM {} WHERE catalogue = $2 ORDER BY {order} LIMIT $3",
            self.table
        );
        let error = self.query_error("searching the catalogue");
        let catalogue = self.catalogue.clone();
        let result = (|| {
            let mut search = self.client.transaction()?;
            search.batch_execute(&settings)?;
            let rows = search.query(&sql, &[&Vector::from(unit), &catalogue, &(k as i64)])?;
            search.commit()?;
            Ok(rows
                .iter()
                .map(|row| {
                    let negative: f64 = row.get(1);
                    (row.get::<_, String>(0), -negative as f32)
                })
                .collect())
        })();
        result.map_err(error)
    }
}

fn unreachable(database: &str) -> impl FnOnce(postgres::Error) -> CatalogueError + use<> {
    let database = database.to_string();
    move |source| CatalogueError::Unreachable { database, source }
}

/// The table of `model_id`'s rows (model ids are hex hashes; anything else is hashed).
fn photos_table(model_id: &str) -> String {
    let plain = !model_id.is_empty()
        && model_id.len() <= 40
        && model_id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if plain {
        format!("arnet_photos_{model_id}")
    } else {
        let hash = model_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        format!("arnet_photos_{hash:016x}")
    }
}

/// A key's size and modification time as the `size` and `modified_ns` columns (`bigint`,
/// clamped: no real file reaches `i64::MAX` bytes or nanoseconds).
fn key_columns(key: &FileKey) -> (i64, i64) {
    (
        i64::try_from(key.size).unwrap_or(i64::MAX),
        i64::try_from(key.modified_ns).unwrap_or(i64::MAX),
    )
}

/// Rows of `SELECT path, size, modified_ns`, by path.
fn keys_by_path(rows: &[postgres::Row]) -> HashMap<String, FileKey> {
    rows.iter()
        .map(|row| {
            let key = key_from_row(row);
            (key.path.clone(), key)
        })
        .collect()
}

fn key_from_row(row: &postgres::Row) -> FileKey {
    FileKey {
        path: row.get(0),
        size: row.get::<_, i64>(1).max(0) as u64,
        modified_ns: row.get::<_, i64>(2).max(0) as u128,
    }
}
