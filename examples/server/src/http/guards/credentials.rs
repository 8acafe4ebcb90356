//! The projects' API credentials, as the guard checks them.

use std::sync::Arc;

use subtle::ConstantTimeEq;

use crate::config::Project;

/// The projects' credentials, held as keyed digests: a presented pair is
/// digested the same way and compared in constant time, so neither the
/// tokens' contents nor their lengths show in the time a check takes.
pub struct Credentials {
    /// A key drawn at start; never leaves the process.
    key: [u8; 32],
    projects: Vec<(Arc<str>, [u8; 32])>,
}

impl std::fmt::Debug for Credentials {
    // Digests and key stay out of Debug on purpose.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.projects.iter().map(|(id, _)| &**id).collect();
        f.debug_struct("Credentials")
            .field("projects", &ids)
            .finish_non_exhaustive()
    }
}

impl Drop for Credentials {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
        for (_, digest) in &mut self.projects {
            zeroize::Zeroize::zeroize(digest);
        }
    }
}

impl Credentials {
    /// Digests every project's id and token under a fresh random key.
    pub fn new(projects: &[Project]) -> Result<Credentials, getrandom::Error> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)?;
        let projects = projects
            .iter()
            .map(|p| (Arc::from(p.id.as_str()), digest(&key, &p.id, &p.token)))
            .collect();
        Ok(Credentials { key, projects })
    }

    /// The project whose id and token these are: every project is
    /// compared, in constant time.
    pub fn check(&self, id: &str, token: &str) -> Option<Arc<str>> {
        let presented = digest(&self.key, id, token);
        let mut found = None;
        for (project, expected) in &self.projects {
            if bool::from(expected.ct_eq(&presented)) {
                found = Some(project.clone());
            }
        }
        found
    }
}

fn digest(key: &[u8; 32], id: &str, token: &str) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_keyed(key);
    for part in [id, token] {
        hasher.update(&(part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    *hasher.finalize().as_bytes()
}
