//! `merge`: combines report folders (the shards of one run, or nights) into one, as if one run
//! had scored all their inputs.
//!
//! Folders are checked first (complete, not being written, same state version, same lexicons,
//! every shard of a sharded run present once); any refusal names the folder and nothing is
//! written. Folders that share an input listing (shards of one run) are interleaved by input
//! position; different listings follow each other in argument order, their positions offset so
//! they continue one another, as one run over the inputs in that order would number them.
//!
//! Rows are never all in memory: each folder's row files are read as streams, and each record's
//! rows are copied as the byte slices `state_records.tsv` names, in merged order. The aggregate
//! reports are rebuilt from the records' exact contributions (integer sums), so they equal those
//! of one run. An article in several folders is kept from the first folder in argument order;
//! each later copy becomes a row of `errors.csv`. Publication is `score`'s (staging folder,
//! atomic exchange).

use crate::aggregate::Aggregate;
use crate::document::Date;
use crate::report::{ErrorRow, ReportError, ReportWriter, RowEncoder};
use crate::run::{self, exit, Counts, InputEntry, LexiconEntry, Manifest, OutputEntry, PartEntry};
use crate::state::{self, RecordBlock, RecordHead, RecordReader, Shard};
use crate::summary;
use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// Options of one `merge`.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    pub parts: Vec<PathBuf>,
    pub out: PathBuf,
    /// Keep only articles dated from this day (inclusive); undated records are dropped when a
    /// window is given.
    pub from: Option<Date>,
    /// ... to this day (inclusive).
    pub to: Option<Date>,
    pub allow_lexicon_change: bool,
    pub bom: bool,
    /// Write `summary.html` beside the CSVs (`--no-summary` turns it off).
    pub summary: bool,
    /// The command line, for the manifest.
    pub args: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{folder}: {reason}; nothing written")]
    Refused { folder: String, reason: String },
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    #[error("writing reports: {0}")]
    Report(#[from] ReportError),
    #[error("summary page: {0}")]
    Summary(#[from] crate::summary::SummaryError),
    #[error("{0}")]
    Run(#[from] run::RunError),
}

impl MergeError {
    pub fn exit_code(&self) -> i32 {
        match self {
            MergeError::Refused { .. } | MergeError::Usage(_) => exit::USAGE,
            MergeError::Run(e) => e.exit_code(),
            _ => exit::FATAL,
        }
    }
}

/// What a finished merge reports.
#[derive(Debug, Clone)]
pub struct MergeSummary {
    pub documents: u64,
    pub duplicates: u64,
    pub error_rows: u64,
    pub seconds: f64,
    pub exit_code: i32,
}

/// The parts of a part's manifest that merge needs.
#[derive(serde::Deserialize)]
struct PartManifest {
    #[serde(default)]
    inputs: Vec<InputEntry>,
    #[serde(default)]
    lexicons: Vec<LexiconEntry>,
    #[serde(default)]
    outputs: Vec<OutputEntry>,
    shard: Shard,
    listing: String,
}

/// A folder that passed the checks.
struct Part {
    dir: PathBuf,
    name: String,
    manifest: PartManifest,
    manifest_blake3: String,
}

const ROW_FILES: [&str; 4] = ["paragraphs.csv", "mentions.csv", "stances.csv", "errors.csv"];

fn refuse(dir: &Path, reason: impl Into<String>) -> MergeError {
    MergeError::Refused { folder: dir.display().to_string(), reason: reason.into() }
}

fn read_error(path: &Path, e: impl std::fmt::Display) -> MergeError {
    MergeError::Read { path: path.display().to_string(), message: e.to_string() }
}

/// Checks one folder: complete, not being written, this state version, files as the manifest
/// lists them.
fn check_part(dir: &Path) -> Result<Part, MergeError> {
    if !dir.is_dir() {
        return Err(refuse(dir, "not a folder"));
    }
    // A run writes into `.NAME.staging-PID` beside its folder; one there means a run is writing
    // (or was killed: remove it once no run is writing).
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let prefix = format!(".{name}.staging-");
    if let Ok(entries) = std::fs::read_dir(&parent) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                return Err(refuse(
                    dir,
                    format!(
                        "a run is writing it ({} exists; remove it if no run is writing)",
                        parent.join(e.file_name()).display()
                    ),
                ));
            }
        }
    }
    if !dir.join("_SUCCESS").is_file() {
        return Err(refuse(dir, "no _SUCCESS: not a complete report folder (a failed or unfinished run)"));
    }
    let manifest_path = dir.join("manifest.json");
    let bytes = std::fs::read(&manifest_path).map_err(|e| refuse(dir, format!("manifest.json: {e}")))?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| refuse(dir, format!("manifest.json: {e}")))?;
    let version = value.get("schema_version").and_then(|v| v.as_u64()).unwrap_or(0);
    if version != u64::from(state::VERSION) {
        return Err(refuse(
            dir,
            format!("schema version {version}, this newsstance reads version {} (score it again)", state::VERSION),
        ));
    }
    let manifest: PartManifest =
        serde_json::from_value(value).map_err(|e| refuse(dir, format!("manifest.json: {e}")))?;
    // Sizes as listed: a file cut or rewritten since the run is not merged.
    for o in &manifest.outputs {
        let len = std::fs::metadata(dir.join(&o.file)).map(|m| m.len());
        if o.bytes > 0 && len.as_ref().ok() != Some(&o.bytes) {
            return Err(refuse(dir, format!("{} is not the file the manifest lists ({} bytes)", o.file, o.bytes)));
        }
    }
    let records = dir.join(state::RECORDS_FILE);
    let f = File::open(&records).map_err(|e| refuse(dir, format!("{}: {e}", state::RECORDS_FILE)))?;
    RecordReader::new(BufReader::new(f)).map_err(|e| refuse(dir, format!("{}: {e}", state::RECORDS_FILE)))?;
    Ok(Part {
        dir: dir.to_path_buf(),
        name: dir.display().to_string(),
        manifest,
        manifest_blake3: blake3::hash(&bytes).to_hex().to_string(),
    })
}

fn lexicon_hashes(m: &PartManifest) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> = m.lexicons.iter().map(|l| (l.name.as_str(), l.blake3.as_str())).collect();
    v.sort();
    v
}

/// One folder's streams during the merge.
struct Reader {
    part: usize,
    records: RecordReader<BufReader<File>>,
    rows: [BufReader<File>; 4],
    block: RecordBlock,
    /// `block` holds a record not yet merged.
    live: bool,
}

impl Reader {
    fn open(part: usize, dir: &Path) -> Result<Reader, MergeError> {
        let path = dir.join(state::RECORDS_FILE);
        let f = File::open(&path).map_err(|e| read_error(&path, e))?;
        let records = RecordReader::new(BufReader::with_capacity(1 << 16, f)).map_err(|e| read_error(&path, e))?;
        let open = |name: &str| -> Result<BufReader<File>, MergeError> {
            let path = dir.join(name);
            let f = File::open(&path).map_err(|e| read_error(&path, e))?;
            let mut r = BufReader::with_capacity(1 << 16, f);
            // The header line (with a byte-order mark if the folder has one).
            let mut header = Vec::new();
            r.read_until(b'\n', &mut header).map_err(|e| read_error(&path, e))?;
            Ok(r)
        };
        let rows = [open(ROW_FILES[0])?, open(ROW_FILES[1])?, open(ROW_FILES[2])?, open(ROW_FILES[3])?];
        let mut r = Reader { part, records, rows, block: RecordBlock::default(), live: false };
        r.advance(dir)?;
        Ok(r)
    }

    fn advance(&mut self, dir: &Path) -> Result<(), MergeError> {
        self.live =
            self.records.next_block(&mut self.block).map_err(|e| read_error(&dir.join(state::RECORDS_FILE), e))?;
        Ok(())
    }
}

/// Runs the merge; returns what the manifest says, or why nothing was written.
pub fn merge(opts: &MergeOptions) -> Result<MergeSummary, MergeError> {
    let started = SystemTime::now();
    let clock = Instant::now();
    if opts.parts.is_empty() {
        return Err(MergeError::Usage("merge needs at least one report folder".into()));
    }
    if let (Some(f), Some(t)) = (opts.from, opts.to) {
        if f > t {
            return Err(MergeError::Usage(format!("--from {f} is after --to {t}")));
        }
    }
    let parts: Vec<Part> = opts.parts.iter().map(|d| check_part(d)).collect::<Result<_, _>>()?;
    if !opts.allow_lexicon_change {
        let first = lexicon_hashes(&parts[0].manifest);
        for p in &parts[1..] {
            if lexicon_hashes(&p.manifest) != first {
                return Err(refuse(
                    &p.dir,
                    format!(
                        "scored with other lexicons than {} (hashes differ; --allow-lexicon-change merges anyway)",
                        parts[0].name
                    ),
                ));
            }
        }
    }
    // Groups: folders sharing an input listing, in order of first appearance; each must hold
    // every shard of its run exactly once.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<&str, usize> = HashMap::new();
    for (i, p) in parts.iter().enumerate() {
        let g = *group_of.entry(p.manifest.listing.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    for g in &groups {
        let count = parts[g[0]].manifest.shard.count;
        // More shards than folders: one is missing (checked before allocating by the count).
        if count > g.len() as u64 {
            let have: std::collections::BTreeSet<u64> = g.iter().map(|&i| parts[i].manifest.shard.index).collect();
            let missing = (0..count).find(|i| !have.contains(i)).unwrap_or(0);
            return Err(refuse(
                &parts[g[0]].dir,
                format!("shard {missing}/{count} of this run is missing (a failed shard?): every shard is needed"),
            ));
        }
        let mut seen = vec![None::<usize>; count as usize];
        for &i in g {
            let s = parts[i].manifest.shard;
            if s.count != count {
                return Err(refuse(
                    &parts[i].dir,
                    format!("shard {}/{} of a run that {} splits in {count}", s.index, s.count, parts[g[0]].name),
                ));
            }
            match seen.get_mut(s.index as usize) {
                Some(Some(j)) => {
                    return Err(refuse(
                        &parts[i].dir,
                        format!("shard {}/{} given twice (also {})", s.index, s.count, parts[*j].name),
                    ))
                }
                Some(slot) => *slot = Some(i),
                None => return Err(refuse(&parts[i].dir, "shard index out of range")),
            }
        }
        if let Some(missing) = seen.iter().position(|s| s.is_none()) {
            return Err(refuse(
                &parts[g[0]].dir,
                format!("shard {missing}/{count} of this run is missing (a failed shard?): every shard is needed"),
            ));
        }
    }

    let in_window = |date: Option<Date>| -> bool {
        if opts.from.is_none() && opts.to.is_none() {
            return true;
        }
        match date {
            None => false,
            Some(d) => opts.from.is_none_or(|f| d >= f) && opts.to.is_none_or(|t| d <= t),
        }
    };

    // First pass over the state (record lines only), folders in argument order: which folder
    // keeps each article (the first), and how many positions each listing spans.
    let mut owner: HashMap<u128, u32> = HashMap::new();
    let mut span = vec![0u64; groups.len()];
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (i, p) in parts.iter().enumerate() {
        let gi = group_of[p.manifest.listing.as_str()];
        let path = p.dir.join(state::RECORDS_FILE);
        let f = File::open(&path).map_err(|e| read_error(&path, e))?;
        let mut r = RecordReader::new(BufReader::with_capacity(1 << 16, f)).map_err(|e| read_error(&path, e))?;
        let mut b = RecordBlock::default();
        while r.next_block(&mut b).map_err(|e| read_error(&path, e))? {
            span[gi] = span[gi].max(b.position + 1);
            if b.document && in_window(b.date) {
                owner.entry(b.fingerprint).or_insert(i as u32);
            }
        }
    }
    for p in &parts {
        let path = p.dir.join(state::SUMS_FILE);
        let f = File::open(&path).map_err(|e| read_error(&path, e))?;
        state::read_country_names(BufReader::new(f), &mut names).map_err(|e| read_error(&path, e))?;
    }

    let mut writer = ReportWriter::create(&opts.out, opts.bom)?;
    let mut agg = Aggregate::default();
    let mut counts = Counts::default();
    let mut duplicates = 0;
    let mut encoder = RowEncoder::default();
    let mut buf = Vec::new();
    let mut block_out = Vec::new();
    let mut offset = 0u64;
    for (gi, g) in groups.iter().enumerate() {
        let mut readers: Vec<Reader> = g.iter().map(|&i| Reader::open(i, &parts[i].dir)).collect::<Result<_, _>>()?;
        // The folder whose next record comes first in the listing (few folders: a scan).
        while let Some(k) = (0..readers.len())
            .filter(|&k| readers[k].live)
            .min_by_key(|&k| (readers[k].block.position, readers[k].part))
        {
            let r = &mut readers[k];
            let dir = &parts[r.part].dir;
            let b = &r.block;
            let keep_window = if b.document { in_window(b.date) } else { opts.from.is_none() && opts.to.is_none() };
            let duplicate = keep_window && b.document && owner.get(&b.fingerprint) != Some(&(r.part as u32));
            let keep = keep_window && !duplicate;
            for (f, rows) in r.rows.iter_mut().enumerate() {
                let (bytes, n) = b.slices[f];
                if bytes == 0 {
                    continue;
                }
                let path = dir.join(ROW_FILES[f]);
                if keep {
                    buf.clear();
                    rows.by_ref().take(bytes).read_to_end(&mut buf).map_err(|e| read_error(&path, e))?;
                    if buf.len() as u64 != bytes {
                        return Err(read_error(&path, "shorter than state_records.tsv says"));
                    }
                    writer.append_raw(f, &buf, n)?;
                } else {
                    let skipped =
                        io::copy(&mut rows.by_ref().take(bytes), &mut io::sink()).map_err(|e| read_error(&path, e))?;
                    if skipped != bytes {
                        return Err(read_error(&path, "shorter than state_records.tsv says"));
                    }
                }
            }
            let position = b.position + offset;
            if keep {
                let head = RecordHead {
                    document: b.document,
                    position,
                    date: b.date,
                    input: b.input.clone(),
                    line: b.line,
                    record_id: b.record_id.clone(),
                    text_bytes: b.text_bytes,
                    slices: b.slices,
                };
                block_out.clear();
                if b.document {
                    let doc = state::parse_contributions(b.date, &b.contributions)
                        .map_err(|e| read_error(&dir.join(state::RECORDS_FILE), e))?;
                    state::encode_record(&mut block_out, &head, Some(&doc));
                    agg.merge(doc);
                    counts.scored += 1;
                    counts.paragraphs += b.slices[0].1;
                    counts.text_bytes += b.text_bytes;
                } else {
                    state::encode_record(&mut block_out, &head, None);
                    counts.failed += 1;
                }
                counts.error_rows += b.slices[3].1;
                writer.record(&block_out)?;
            } else if duplicate {
                duplicates += 1;
                counts.failed += 1;
                let row = ErrorRow {
                    input: b.input.clone(),
                    line: b.line,
                    record_id: b.record_id.clone(),
                    error: run::DUPLICATE_ID.into(),
                };
                run::write_error_record(&mut writer, &mut encoder, &mut block_out, position, row)?;
                counts.error_rows += 1;
            }
            let part_dir = parts[r.part].dir.clone();
            r.advance(&part_dir)?;
        }
        offset += span[gi];
    }
    counts.read = counts.scored + counts.failed;

    let exit_code = if counts.error_rows > 0 { exit::PARTIAL } else { exit::OK };
    let country_name = |code: &str| names.get(code).cloned().unwrap_or_default();
    let (finished, outputs) = writer.finish(&agg, &country_name)?;
    let inputs: Vec<InputEntry> = groups.iter().flat_map(|g| parts[g[0]].manifest.inputs.iter().cloned()).collect();
    let elapsed = clock.elapsed().as_secs_f64();
    let mut manifest = Manifest {
        schema_version: state::VERSION,
        tool: "newsstance",
        version: env!("CARGO_PKG_VERSION"),
        arguments: &opts.args,
        started: humantime::format_rfc3339_seconds(started).to_string(),
        finished: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        elapsed_seconds: (elapsed * 1000.0).round() / 1000.0,
        threads: 1,
        exit_code,
        records: counts.clone(),
        stage_seconds: Default::default(),
        stage_counts: Default::default(),
        listing: run::listing_hash(&inputs),
        inputs,
        lexicons: parts[0].manifest.lexicons.clone(),
        outputs: run::output_entries(outputs),
        shard: Shard::ALL,
        parts: parts
            .iter()
            .map(|p| PartEntry {
                path: p.name.clone(),
                manifest_blake3: p.manifest_blake3.clone(),
                shard: p.manifest.shard,
                listing: p.manifest.listing.clone(),
            })
            .collect(),
        summary_seconds: None,
    };
    if opts.summary {
        // The page of the merged folder: its exact aggregates and the evidence streamed back
        // from the merged `stances.csv`.
        let evidence = summary::evidence_from_stances(&finished.staging().join("stances.csv"))?;
        run::write_summary(&finished, &mut manifest, &agg, &evidence, &country_name)?;
    }
    let json = serde_json::to_vec_pretty(&manifest).map_err(|e| MergeError::Usage(e.to_string()))?;
    finished.write_file("manifest.json", &json)?;
    finished.publish()?;
    Ok(MergeSummary {
        documents: counts.scored,
        duplicates,
        error_rows: counts.error_rows,
        seconds: elapsed,
        exit_code,
    })
}
