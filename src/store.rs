//! Facts between the passes. Each file's facts are encoded once, after extraction, and
//! decoded again when the index scan and then the rules reach that file; meanwhile a run
//! holds only the file's skeleton (functions, classes, imports) in memory. The bytes go to
//! the cache entry when there is a cache, else to one anonymous temporary file, else (no
//! temporary directory) to memory. Peak memory so follows the skeletons and the files in
//! flight, not every file's facts.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use crate::cache::{self, Cache};
use crate::facts::FileFacts;

/// Where one file's encoded facts are.
#[derive(Debug)]
pub enum Stored {
    /// In the cache, under this content key.
    Cache(String),
    /// In the spill file, at this offset and length.
    Spill(u64, u64),
    Memory(Box<[u8]>),
}

pub struct FactStore<'a> {
    cache: Option<&'a Cache>,
    /// The spill file and its length so far.
    spill: Option<Mutex<(File, u64)>>,
}

impl<'a> FactStore<'a> {
    pub fn new(cache: Option<&'a Cache>) -> Self {
        // With a cache the entries are the store; a failed write falls back to memory.
        let spill = match cache {
            Some(_) => None,
            None => tempfile::tempfile().ok().map(|f| Mutex::new((f, 0))),
        };
        FactStore { cache, spill }
    }

    /// Keeps `facts` (with content key `key`) for [`FactStore::get`]; `None` when they
    /// cannot be encoded.
    pub fn put(&self, key: &str, facts: &FileFacts) -> Option<Stored> {
        let bytes = cache::encode_facts(facts)?;
        if let Some(c) = self.cache {
            if c.store_facts(key, &bytes) {
                return Some(Stored::Cache(key.to_string()));
            }
        }
        if let Some(spill) = &self.spill {
            if let Ok(mut g) = spill.lock() {
                let (file, len) = &mut *g;
                let at = *len;
                if file.seek(SeekFrom::Start(at)).is_ok() && file.write_all(&bytes).is_ok() {
                    *len += bytes.len() as u64;
                    return Some(Stored::Spill(at, bytes.len() as u64));
                }
            }
        }
        Some(Stored::Memory(bytes.into_boxed_slice()))
    }

    /// The facts kept by `put`; `None` if they cannot be read back (a damaged or removed
    /// cache entry, an I/O error): the caller extracts the file again.
    pub fn get(&self, stored: &Stored) -> Option<FileFacts> {
        match stored {
            Stored::Cache(key) => self.cache?.load_facts(key),
            Stored::Memory(bytes) => cache::decode_facts(bytes),
            Stored::Spill(at, len) => {
                let mut bytes = vec![0; usize::try_from(*len).ok()?];
                {
                    let mut g = self.spill.as_ref()?.lock().ok()?;
                    let (file, _) = &mut *g;
                    file.seek(SeekFrom::Start(*at)).ok()?;
                    file.read_exact(&mut bytes).ok()?;
                }
                cache::decode_facts(&bytes)
            }
        }
    }
}
