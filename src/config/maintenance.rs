//! Settings of the vacuum checks (see `crate::maintenance`).

use std::time::Duration;

use clap::Args;

use crate::maintenance::VacuumConfig;
use crate::maintenance::vacuum::DEFAULT_INTERVAL_SECS;

#[derive(Debug, Args)]
pub struct MaintenanceArgs {
    /// Seconds between the checks that vacuum the service's churned tables on PostgreSQL
    /// once their dead rows pass a threshold (autovacuum visits a database once a minute, or
    /// never when it is off); 0 turns the checks off.
    #[arg(long, env = "VACUUM_INTERVAL_SECS", default_value_t = DEFAULT_INTERVAL_SECS, global = true)]
    pub vacuum_interval_secs: u64,
}

impl MaintenanceArgs {
    /// The vacuum checks to run, or `None` when they are off.
    pub fn vacuum_config(&self) -> Option<VacuumConfig> {
        (self.vacuum_interval_secs > 0).then(|| VacuumConfig {
            interval: Duration::from_secs(self.vacuum_interval_secs),
            ..VacuumConfig::default()
        })
    }
}
