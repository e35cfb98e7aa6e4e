//! The warm-run cache (`.n1lint_cache/`): each file's facts keyed by the build and the file's
//! content, and each run's findings keyed by the build, the configuration and every file's
//! content hash. Facts never depend on other files, so a changed file only re-parses itself;
//! the project index and the rules run again whenever any file changed, which keeps
//! cross-file findings right.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::facts::{FileFacts, Span};
use crate::lang::Lang;

pub const BUILD_HASH: &str = env!("N1LINT_BUILD_HASH");
pub const DEFAULT_DIR: &str = ".n1lint_cache";

pub struct Cache {
    dir: PathBuf,
}

/// A bound on what one cache entry may claim to hold: a damaged entry is an error, never a
/// huge allocation.
const LIMIT: usize = 256 * 1024 * 1024;

fn config() -> bincode::config::Configuration<
    bincode::config::LittleEndian,
    bincode::config::Varint,
    bincode::config::Limit<LIMIT>,
> {
    bincode::config::standard().with_limit::<LIMIT>()
}

/// Decodes an entry; a damaged or foreign entry is `None`, whatever its bytes.
fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    std::panic::catch_unwind(|| {
        bincode::serde::decode_from_slice(bytes, config())
            .ok()
            .map(|(v, _)| v)
    })
    .ok()
    .flatten()
}

/// A file's facts as bytes, for the cache and for holding them between the passes.
/// The bytes go to `buf` (cleared first), so that one buffer serves many files.
pub fn encode_facts(facts: &FileFacts, buf: &mut Vec<u8>) -> bool {
    buf.clear();
    bincode::encode_into_std_write(facts, buf, config()).is_ok()
}

/// The facts [`encode_facts`] wrote; `None` for damaged bytes, whatever they hold.
pub fn decode_facts(bytes: &[u8]) -> Option<FileFacts> {
    std::panic::catch_unwind(|| {
        bincode::decode_from_slice(bytes, config())
            .ok()
            .map(|(v, _)| v)
    })
    .ok()
    .flatten()
}

/// A content key: the build, the language and the bytes.
pub fn facts_key(lang: Lang, bytes: &[u8]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(BUILD_HASH.as_bytes());
    h.update(lang.name().as_bytes());
    h.update(bytes);
    h.finalize().to_hex()[..32].to_string()
}

#[derive(Serialize, Deserialize)]
pub struct CachedRelated {
    pub span: Span,
    pub message: String,
    pub path: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub struct CachedFinding {
    pub path: String,
    pub rule: String,
    pub severity: crate::rules::Severity,
    pub span: Span,
    pub message: String,
    pub label: String,
    pub help: String,
    pub related: Vec<CachedRelated>,
    pub code_hash: u64,
    pub fix: Option<(String, Vec<(Span, String)>)>,
    pub scope: String,
    pub fingerprint: String,
}

#[derive(Serialize, Deserialize)]
pub struct CachedScanned {
    pub path: String,
    pub lang: Lang,
    pub lines: u32,
    pub parse_errors: bool,
}

/// What a run found, for an unchanged project.
#[derive(Serialize, Deserialize)]
pub struct CachedRun {
    pub scanned: Vec<CachedScanned>,
    pub skipped: Vec<(String, String)>,
    pub findings: Vec<CachedFinding>,
    pub handlers: BTreeMap<String, usize>,
    pub reached: usize,
}

impl Cache {
    /// Opens (creating) the cache folder; `None` when it cannot be created (the run goes on
    /// without a cache).
    pub fn open(dir: &Path) -> Option<Cache> {
        std::fs::create_dir_all(dir.join("facts")).ok()?;
        let tag = dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            let _ = std::fs::write(
                &tag,
                "Signature: 8a477f597d28d172789f06886806bc55\n# n1lint's cache: safe to delete.\n",
            );
            let _ = std::fs::write(dir.join(".gitignore"), "*\n");
        }
        Some(Cache {
            dir: dir.to_path_buf(),
        })
    }

    fn facts_path(&self, key: &str) -> PathBuf {
        self.dir.join("facts").join(&key[..2]).join(key)
    }

    pub fn has_facts(&self, key: &str) -> bool {
        self.facts_path(key).is_file()
    }

    pub fn load_facts(&self, key: &str) -> Option<FileFacts> {
        let bytes = std::fs::read(self.facts_path(key)).ok()?;
        decode_facts(&bytes)
    }

    /// Stores facts encoded by [`encode_facts`]; false when the entry could not be written.
    pub fn store_facts(&self, key: &str, bytes: &[u8]) -> bool {
        write_atomic(&self.facts_path(key), bytes)
    }

    fn run_path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("run-{key}"))
    }

    pub fn load_run(&self, key: &str) -> Option<CachedRun> {
        let bytes = std::fs::read(self.run_path(key)).ok()?;
        decode(&bytes)
    }

    pub fn store_run(&self, key: &str, run: &CachedRun) {
        // One run record per project state is enough: drop the older ones.
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with("run-") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        if let Ok(bytes) = bincode::serde::encode_to_vec(run, config()) {
            let _ = write_atomic(&self.run_path(key), &bytes);
        }
    }
}

/// A cache entry is written whole or not at all (temp file, then rename); errors only
/// mean the next run does the work again.
fn write_atomic(path: &Path, bytes: &[u8]) -> bool {
    let Some(dir) = path.parent() else {
        return false;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return false;
    }
    let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
        return false;
    };
    tmp.write_all(bytes).is_ok() && tmp.persist(path).is_ok()
}

/// The key of a whole run: the build, the configuration, and every file with its content.
pub fn run_key(config_digest: &str, files: &[(String, String)]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(BUILD_HASH.as_bytes());
    h.update(config_digest.as_bytes());
    for (p, k) in files {
        h.update(p.as_bytes());
        h.update(b"\0");
        h.update(k.as_bytes());
        h.update(b"\n");
    }
    h.finalize().to_hex()[..32].to_string()
}
