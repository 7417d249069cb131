//! What can go wrong with the shared catalogue, each naming the database.

/// Why the shared catalogue cannot be used. Each message names the database (without its
/// password) so that a user can tell which setting to fix.
#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    /// The URL does not parse.
    #[error("{url}: not a PostgreSQL URL (like postgres://user@host:5432/catalogue): {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The server cannot be reached, refused the login, or went away.
    #[error("{database}: the shared catalogue is unreachable: {source}")]
    Unreachable {
        /// The database, without password.
        database: String,
        /// The cause.
        source: postgres::Error,
    },
    /// The server answered with an error.
    #[error("{database}: {what} failed: {source}")]
    Query {
        /// The database, without password.
        database: String,
        /// What was being done.
        what: &'static str,
        /// The cause.
        source: postgres::Error,
    },
    /// The server has no pgvector.
    #[error(
        "{database}: the pgvector extension is not available ({source}); install pgvector on \
         the server, or have an administrator run CREATE EXTENSION vector"
    )]
    NoVector {
        /// The database, without password.
        database: String,
        /// The cause.
        source: postgres::Error,
    },
    /// The registry holds this model at another width.
    #[error(
        "{database}: model {model_id} is stored there with {stored}-wide embeddings, but this \
         model gives {dim}: refusing to mix them"
    )]
    Width {
        /// The database, without password.
        database: String,
        /// The model identity.
        model_id: String,
        /// Width in the registry.
        stored: usize,
        /// This model's width.
        dim: usize,
    },
}
