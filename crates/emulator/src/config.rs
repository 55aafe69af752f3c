//! Start-up configuration: the library's [`Config`] and the command line's [`Args`].

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

/// Command-line flags; `clap::Args` so the fjordsync CLI can embed them as
/// `fjordsync emulator [flags]`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// TCP port to listen on (0 = any free port).
    #[arg(long, default_value_t = 8089)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Keep state (metadata snapshot and file blobs) in this directory so it
    /// survives restarts; without it everything lives in memory and a temp dir.
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    pub token_lifetime: u64,
    /// Account capacity in bytes (default: unlimited).
    #[arg(long)]
    pub quota: Option<i64>,
    /// Make personal login tokens single-use, like the real service.
    #[arg(long)]
    pub single_use_tokens: bool,
    /// Require this SMS code on the legacy `/auth/v1/token` login.
    #[arg(long, value_name = "CODE")]
    pub require_2fa: Option<String>,
    /// Added latency per request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Fraction of requests answered 429 or 503.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Fraction of upload/download bodies cut mid-body (connection reset).
    #[arg(long, default_value_t = 0.0)]
    pub reset_rate: f64,
    /// Seconds to add to the server's clock (negative: behind), e.g. 3600:
    /// every time the service sets (revision `updated`, default
    /// `modified`/`created`, trash times) is an hour ahead of this computer's.
    #[arg(long, default_value_t = 0, allow_hyphen_values = true, value_name = "SECONDS")]
    pub clock_offset: i64,
    /// Append one JSON line per request to this file.
    #[arg(long)]
    pub log: Option<PathBuf>,
    /// Read a literal `+` in a JFS path as a space.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub plus_as_space: bool,
    /// Fixed internal username of the demo account.
    #[arg(long)]
    pub username: Option<String>,
    /// Fixed password of the demo account.
    #[arg(long)]
    pub password: Option<String>,
}

/// Everything [`crate::Emulator::start`] needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub port: u16,
    pub bind: IpAddr,
    pub state_dir: Option<PathBuf>,
    pub token_lifetime: Duration,
    pub quota: Option<i64>,
    pub single_use_tokens: bool,
    pub require_2fa: Option<String>,
    pub latency: Duration,
    pub fail_rate: f64,
    pub reset_rate: f64,
    /// Seconds added to the server's clock (see [`Args::clock_offset`]).
    pub clock_offset: i64,
    pub log: Option<PathBuf>,
    pub plus_as_space: bool,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl Default for Config {
    /// Any free port on 127.0.0.1, in memory, one-hour tokens, no faults.
    fn default() -> Self {
        Config {
            port: 0,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            state_dir: None,
            token_lifetime: Duration::from_secs(3600),
            quota: None,
            single_use_tokens: false,
            require_2fa: None,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            reset_rate: 0.0,
            clock_offset: 0,
            log: None,
            plus_as_space: true,
            username: None,
            password: None,
        }
    }
}

impl From<Args> for Config {
    fn from(a: Args) -> Self {
        Config {
            port: a.port,
            bind: a.bind,
            state_dir: a.state_dir,
            token_lifetime: Duration::from_secs(a.token_lifetime.max(1)),
            quota: a.quota,
            single_use_tokens: a.single_use_tokens,
            require_2fa: a.require_2fa,
            latency: Duration::from_millis(a.latency_ms),
            fail_rate: a.fail_rate,
            reset_rate: a.reset_rate,
            clock_offset: a.clock_offset,
            log: a.log,
            plus_as_space: a.plus_as_space,
            username: a.username,
            password: a.password,
        }
    }
}
