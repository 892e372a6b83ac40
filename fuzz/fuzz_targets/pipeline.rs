//! Coverage-guided fuzzing of the input readers and the whole per-document pipeline, with the
//! invariants of `tests/common/invariants.rs` (shared with the proptest `tests/fuzz_pipeline.rs`).
//!
//! Input layout: the first byte picks how the rest reaches the library (low 3 bits: JSONL, CSV,
//! `.txt`, each gzipped by us, gzip sniffed under a plain name, or straight into the pipeline as
//! a document's text); bit 7 stores the rest unchanged under the chosen name, so a `.gz` name
//! gets arbitrary (mostly corrupt) gzip data; bit 6 cuts the stored bytes in half.
#![no_main]

#[path = "../../tests/common/invariants.rs"]
mod invariants;

use invariants::{run_case, Kind, Outcome};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base =
            if std::path::Path::new("/dev/shm").is_dir() { PathBuf::from("/dev/shm") } else { std::env::temp_dir() };
        let d = base.join(format!("newsstance-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let kind = Kind::ALL[(mode & 7) as usize];
    let cut = (mode & 0x40 != 0).then_some(rest.len() / 2);
    if mode & 0x80 != 0 && kind != Kind::Text {
        let mut raw = rest.to_vec();
        if let Some(n) = cut {
            raw.truncate(n);
        }
        let path = dir().join(kind.file_name());
        std::fs::write(&path, &raw).unwrap();
        invariants::check_input(&path, &raw, &mut Outcome::default());
    } else {
        run_case(dir(), kind, rest, cut);
    }
});
