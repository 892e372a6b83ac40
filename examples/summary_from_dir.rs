//! Rebuilds `summary.html` of a finished report folder from its files and prints how long that
//! took: `cargo run --release --example summary_from_dir -- REPORTS [OUT.html]`.

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let dir =
        std::path::PathBuf::from(args.next().ok_or_else(|| anyhow::anyhow!("usage: summary_from_dir DIR [OUT.html]"))?);
    let out = args.next().map(std::path::PathBuf::from).unwrap_or_else(|| dir.join("summary.html"));
    let clock = Instant::now();
    let page = newsstance::summary::from_report_dir(&dir)?;
    let ms = clock.elapsed().as_secs_f64() * 1e3;
    std::fs::write(&out, &page)?;
    eprintln!("{}: {} bytes in {ms:.1} ms (CSV reading included)", out.display(), page.len());
    Ok(())
}
