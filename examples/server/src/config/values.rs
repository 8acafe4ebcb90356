//! The values flags take: project credentials, send and lockout
//! policies, SQLite URLs.

use std::fmt;
use std::str::FromStr;

use mfa_core::throttle::{LockoutPolicy, SendPolicy, Window};

/// A project's credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Project {
    /// Project id (the Basic-auth user name).
    pub id: String,
    /// API token (the Basic-auth password).
    pub token: String,
}

impl fmt::Debug for Project {
    // The token stays out of Debug on purpose.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Project")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl FromStr for Project {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            Some((id, token)) if !id.is_empty() && !token.is_empty() => Ok(Project {
                id: id.to_string(),
                token: token.to_string(),
            }),
            _ => Err("expected PROJECT_ID:API_TOKEN, both non-empty".to_string()),
        }
    }
}

/// A `--project` value as given, checked by [`super::Config::projects_or_dev`]:
/// parsing it there, not in the argument parser, keeps a malformed entry
/// (which may hold a token) out of the argument error, which would echo
/// it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProjectEntry(pub(super) String);

impl fmt::Debug for ProjectEntry {
    // It may hold a token: left out of Debug on purpose.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProjectEntry(..)")
    }
}

impl FromStr for ProjectEntry {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(ProjectEntry(s.to_string()))
    }
}

/// Reads a project file: one `PROJECT_ID:API_TOKEN` a line; blank lines
/// and `#` comments skipped. An error names the line, never its text.
pub fn read_project_file(path: &std::path::Path) -> Result<Vec<Project>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("project file {}: {e}", path.display()))?;
    let mut projects = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        projects.push(
            line.parse()
                .map_err(|e| format!("project file {}, line {}: {e}", path.display(), n + 1))?,
        );
    }
    Ok(projects)
}

/// `5/600,10/86400` → two windows.
pub fn parse_send_policy(s: &str) -> Result<SendPolicy, String> {
    let mut windows = Vec::new();
    for part in s.split(',') {
        let (max, secs) = part
            .trim()
            .split_once('/')
            .ok_or("expected MAX/SECONDS windows, comma-separated")?;
        let max: u8 = max.parse().map_err(|_| "MAX must be 1 to 64")?;
        let secs: u32 = secs
            .parse()
            .map_err(|_| "SECONDS must be a positive integer")?;
        windows.push(Window::new(max, secs).map_err(|e| e.to_string())?);
    }
    SendPolicy::new(&windows).map_err(|e| e.to_string())
}

/// `5,1,900,100` → free failures, base delay, max delay, hard limit.
pub fn parse_lockout(s: &str) -> Result<LockoutPolicy, String> {
    let n: Vec<u32> = s
        .split(',')
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| "expected FREE,BASE_DELAY_SECS,MAX_DELAY_SECS,HARD_LIMIT")?;
    let [free, base, max, hard] = n[..] else {
        return Err("expected four numbers: FREE,BASE_DELAY_SECS,MAX_DELAY_SECS,HARD_LIMIT".into());
    };
    let small =
        |v: u32| u8::try_from(v).map_err(|_| "FREE and HARD_LIMIT must be at most 100".to_string());
    LockoutPolicy::new(small(free)?, base, max, small(hard)?).map_err(|e| e.to_string())
}

/// The file of a `sqlite:` URL, if it is one.
pub fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    Some(rest.split('?').next().unwrap_or(rest))
}
