//! Expanding the command-line inputs into the list of files to read.
//!
//! Folders are recursed and their files sorted by full path in byte order, so a run over the
//! same tree always reads (and reports) in the same order whatever the file system returns.
//! Inputs given explicitly keep the order the user gave. Hidden entries (name starting with `.`)
//! are skipped while recursing — editor swap files, `.git` — but an explicitly named hidden
//! file is read. Symlinks are followed; a directory that is its own ancestor (a symlink loop)
//! is reported instead of recursed forever. While recursing, entries that are not regular files
//! (FIFOs, sockets, devices) are reported, not opened, since opening a FIFO can block the run;
//! named explicitly they are read, which is what `<(zcat …)` needs.

use std::fs;
use std::path::{Path, PathBuf};

use super::{classify, input_error, CorpusError, InputFile, RecordError};

/// Expands files and folders (recursed, sorted, hidden skipped). Paths that do not exist or
/// have an unsupported extension are returned as errors (they are record errors, not fatal).
/// `-` stands for standard input.
pub fn discover(inputs: &[PathBuf]) -> (Vec<InputFile>, Vec<RecordError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for given in inputs {
        let display = given.to_string_lossy().into_owned();
        if given.as_os_str() == "-" {
            files.push(InputFile::stdin());
            continue;
        }
        match fs::metadata(given) {
            Err(e) => errors.push(input_error(&display, stat_error(&e))),
            Ok(m) if m.is_dir() => {
                let mut found = Vec::new();
                let mut ancestors = Vec::new();
                walk(given, &mut ancestors, &mut found);
                found.sort_by(|a, b| path_bytes(&a.0).cmp(path_bytes(&b.0)));
                for (path, err) in found {
                    let display = path.to_string_lossy().into_owned();
                    match err {
                        Some(e) => errors.push(input_error(&display, e)),
                        None => files.push(InputFile { path, display }),
                    }
                }
            }
            Ok(_) => match classify(given) {
                Some(_) => files.push(InputFile { path: given.clone(), display }),
                None => errors.push(input_error(&display, CorpusError::UnsupportedExtension)),
            },
        }
    }
    (files, errors)
}

fn stat_error(e: &std::io::Error) -> CorpusError {
    if e.kind() == std::io::ErrorKind::NotFound {
        CorpusError::NotFound
    } else {
        CorpusError::Open(e.to_string())
    }
}

#[cfg(unix)]
fn path_bytes(p: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    p.as_os_str().as_bytes()
}

#[cfg(not(unix))]
fn path_bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_encoded_bytes()
}

/// Collects (path, error if any) for everything under `dir`; `ancestors` holds the canonical
/// paths of the directories being walked, to detect symlink loops.
fn walk(dir: &Path, ancestors: &mut Vec<PathBuf>, out: &mut Vec<(PathBuf, Option<CorpusError>)>) {
    let canonical = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if ancestors.contains(&canonical) {
        out.push((dir.to_path_buf(), Some(CorpusError::SymlinkLoop)));
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            out.push((dir.to_path_buf(), Some(CorpusError::ReadDir(e.to_string()))));
            return;
        }
    };
    ancestors.push(canonical);
    for entry in entries {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                out.push((dir.to_path_buf(), Some(CorpusError::ReadDir(e.to_string()))));
                continue;
            }
        };
        if path_bytes(Path::new(&entry.file_name())).first() == Some(&b'.') {
            continue;
        }
        let path = entry.path();
        match fs::metadata(&path) {
            Err(e) => out.push((path, Some(stat_error(&e)))),
            Ok(m) if m.is_dir() => walk(&path, ancestors, out),
            Ok(m) if !m.is_file() => out.push((path, Some(CorpusError::NotRegular))),
            Ok(_) => {
                let err = classify(&path).is_none().then_some(CorpusError::UnsupportedExtension);
                out.push((path, err));
            }
        }
    }
    ancestors.pop();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, b"x").unwrap();
    }

    #[test]
    fn recurses_sorts_by_full_path_and_skips_hidden() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        for f in ["b.jsonl", "a/z.csv", "a.txt", "a/.hidden.jsonl", ".git/x.jsonl", "A.NDJSON.GZ", "a/notes.md"] {
            touch(&root.join(f));
        }
        let (files, errors) = discover(&[root.to_path_buf()]);
        let rel: Vec<String> =
            files.iter().map(|f| f.path.strip_prefix(root).unwrap().to_string_lossy().into_owned()).collect();
        // Byte order on the full path: "a.txt" < "a/z.csv" because '.' < '/'.
        assert_eq!(rel, ["A.NDJSON.GZ", "a.txt", "a/z.csv", "b.jsonl"]);
        assert_eq!(files[0].display, root.join("A.NDJSON.GZ").to_string_lossy());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].input.ends_with("a/notes.md"));
        assert_eq!(errors[0].error, CorpusError::UnsupportedExtension.to_string());
        assert_eq!(errors[0].line, 0);
    }

    #[test]
    fn explicit_inputs_keep_their_order_and_missing_paths_are_errors() {
        let t = tempfile::tempdir().unwrap();
        let (b, a) = (t.path().join("b.csv"), t.path().join(".a.jsonl"));
        touch(&b);
        touch(&a);
        let missing = t.path().join("nope.jsonl");
        let (files, errors) = discover(&[b.clone(), missing.clone(), PathBuf::from("-"), a.clone()]);
        let paths: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
        assert_eq!(paths, [b.as_path(), Path::new("-"), a.as_path()]);
        assert_eq!(files[1].display, "-");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].input, missing.to_string_lossy());
        assert_eq!(errors[0].error, "no such file or directory");
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_reported_not_followed_forever() {
        let t = tempfile::tempdir().unwrap();
        touch(&t.path().join("d/x.jsonl"));
        std::os::unix::fs::symlink(t.path().join("d"), t.path().join("d/loop")).unwrap();
        let (files, errors) = discover(&[t.path().join("d")]);
        assert_eq!(files.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].error, CorpusError::SymlinkLoop.to_string());
    }
}
