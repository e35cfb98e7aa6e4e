//! Facts between the passes. Each file's facts are encoded once, after extraction, and
//! decoded again when the index scan and then the rules reach that file; meanwhile a run
//! holds only the file's skeleton (functions, classes, imports) in memory. The bytes go to
//! the cache entry when there is a cache, else to one anonymous temporary file, else (no
//! temporary directory) to memory. Peak memory so follows the skeletons and the files in
//! flight, not every file's facts.

use std::cell::RefCell;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::Mutex;

use crate::cache::{self, Cache};
use crate::facts::FileFacts;

thread_local! {
    /// Buffers reused across files: the encoding of the facts being stored, and the bytes
    /// read back from the spill file.
    static ENCODED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static READ: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

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
        // One encoding buffer per thread: no fresh allocation (and its page faults) per file.
        ENCODED.with(|buf| {
            let mut buf = buf.try_borrow_mut().ok()?;
            if !cache::encode_facts(facts, &mut buf) {
                return None;
            }
            Some(self.keep(key, &buf))
        })
    }

    fn keep(&self, key: &str, bytes: &[u8]) -> Stored {
        if let Some(c) = self.cache {
            if c.store_facts(key, bytes) {
                return Stored::Cache(key.to_string());
            }
        }
        if let Some(spill) = &self.spill {
            if let Ok(mut g) = spill.lock() {
                let (file, len) = &mut *g;
                let at = *len;
                if file.seek(SeekFrom::Start(at)).is_ok() && file.write_all(bytes).is_ok() {
                    *len += bytes.len() as u64;
                    return Stored::Spill(at, bytes.len() as u64);
                }
            }
        }
        Stored::Memory(bytes.into())
    }

    /// The facts kept by `put`; `None` if they cannot be read back (a damaged or removed
    /// cache entry, an I/O error): the caller extracts the file again.
    pub fn get(&self, stored: &Stored) -> Option<FileFacts> {
        match stored {
            Stored::Cache(key) => self.cache?.load_facts(key),
            Stored::Memory(bytes) => cache::decode_facts(bytes),
            Stored::Spill(at, len) => READ.with(|buf| {
                let mut bytes = buf.try_borrow_mut().ok()?;
                bytes.clear();
                {
                    let mut g = self.spill.as_ref()?.lock().ok()?;
                    let (file, _) = &mut *g;
                    file.seek(SeekFrom::Start(*at)).ok()?;
                    (&mut *file).take(*len).read_to_end(&mut bytes).ok()?;
                }
                if bytes.len() as u64 != *len {
                    return None;
                }
                cache::decode_facts(&bytes)
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(f: &FileFacts) -> Vec<u8> {
        let mut buf = Vec::new();
        assert!(cache::encode_facts(f, &mut buf));
        buf
    }

    /// Facts come back as they were put, from the spill file and from memory, with the
    /// buffers reused from a larger file to a smaller one and back.
    #[test]
    fn facts_come_back_as_put() {
        let mut files: Vec<FileFacts> = crate::lang::fixture_sources()
            .into_iter()
            .filter_map(|(_, lang, src)| {
                crate::facts::extract(lang, &src, &Default::default()).ok()
            })
            .filter(|f| !f.calls.is_empty())
            .take(40)
            .collect();
        files.sort_by_key(|f| std::cmp::Reverse(f.calls.len()));
        files.swap(1, 39);
        let memory = FactStore {
            cache: None,
            spill: None,
        };
        for store in [FactStore::new(None), memory] {
            let kept: Vec<Stored> = files
                .iter()
                .map(|f| store.put("k", f).expect("encoded"))
                .collect();
            assert_eq!(matches!(kept[0], Stored::Spill(..)), store.spill.is_some());
            for (f, s) in files.iter().zip(&kept).rev() {
                let back = store.get(s).expect("read back");
                assert_eq!(encoded(&back), encoded(f));
            }
        }
    }
}
