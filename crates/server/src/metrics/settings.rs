use serde::Deserialize;

/// `[metrics]`: whether the metrics are recorded and served, and where.
#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    pub enabled: bool,
    pub host: String,
    /// 0 picks a free port (for tests).
    pub port: u16,
}
