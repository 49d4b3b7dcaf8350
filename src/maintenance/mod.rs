//! Keeping the service's busiest tables lean (PostgreSQL).
//!
//! Every service write leaves a dead row version in the entity table and in
//! `_metadata_master`, with entries in their GIN indexes of documents that only `VACUUM`
//! removes; every delivery is inserted and deleted again. Autovacuum visits a database at
//! most once per `autovacuum_naptime` (a minute by default) and may be switched off: in
//! between, those indexes grow with every write and every write gets slower (see README,
//! Benchmarks). [`vacuum::run`] vacuums these tables itself once their dead rows pass a
//! threshold (a tenth of the live rows: below autovacuum's default fifth, so it usually
//! comes first).

pub mod vacuum;

pub use vacuum::{VacuumConfig, vacuum_due};
