//! Peak memory of `score` (README, "Performance"): the corpus run must stay under 300 MB, and
//! what decides its peak shows on small runs too. The loaded weights and the allocator's page
//! size set the floor (`score seeds` peaked at 217 MiB with transparent huge pages and the old
//! weights layout, 123–128 MiB now); documents that list every country in one paragraph set
//! the spikes (60 MB of stance candidates each, two at once on two workers made the corpus
//! run's peak) until such a list stopped giving candidates. Peaks are read from the kernel (`wait4`), so this runs on Linux only.

mod common;

#[cfg(target_os = "linux")]
mod linux {
    use super::common;
    use std::io::Write;
    use std::process::Stdio;

    /// Runs `newsstance score INPUT -j 2 -q -o OUT` and returns its exit code and peak RSS in MiB.
    // The child is reaped by `wait4`, which also gives its own peak (std's `wait` does not).
    #[allow(clippy::zombie_processes)]
    fn peak_rss_mib(input: &std::path::Path, out: &std::path::Path) -> (i32, f64) {
        let child = common::bin()
            .arg("score")
            .arg(input)
            .args(["-j", "2", "-q", "-o"])
            .arg(out)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run newsstance");
        let pid = child.id() as libc::pid_t;
        let mut status = 0;
        // SAFETY: rusage is plain data, all zero is a valid value; wait4 writes it and the
        // status for our own child, which `child` never waits for (it is only dropped).
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        assert_eq!(waited, pid, "wait4 failed");
        assert!(libc::WIFEXITED(status), "newsstance did not exit normally");
        // ru_maxrss is in KiB on Linux.
        (libc::WEXITSTATUS(status), usage.ru_maxrss as f64 / 1024.0)
    }

    /// Documents with one paragraph naming every state of the lexicon (as the boilerplate
    /// lists of real dumps do: 18 of the corpus's documents, 222 codes in one paragraph).
    fn crowded_documents(path: &std::path::Path, n: usize) {
        let countries = common::Table::read(&common::root().join("lexicons/countries.csv"));
        let names: Vec<&str> = countries
            .rows
            .iter()
            .filter(|r| countries.get(r, "kind") == "state")
            .map(|r| countries.get(r, "name"))
            .collect();
        assert!(names.len() > 150, "{} states", names.len());
        let list = format!("The conference was attended by delegations from {}.", names.join(", "));
        let mut f = std::fs::File::create(path).unwrap();
        for i in 0..n {
            let text = format!(
                "Russia accused Ukraine of shelling the plant.\n\n{list}\n\nChina criticised the United States."
            );
            let record =
                serde_json::json!({"id": format!("crowded-{i}"), "date": "2026-12-01", "source": "test", "text": text});
            writeln!(f, "{record}").unwrap();
        }
    }

    #[test]
    fn peak_memory_of_score_stays_low_with_documents_listing_every_country() {
        let dir = tempfile::tempdir().unwrap();
        let (code, seeds) = peak_rss_mib(&common::root().join("seeds"), &dir.path().join("seeds"));
        assert_eq!(code, 0);
        // 142–148 MiB measured (2026-12-07, the readers' word rows folded as they are read;
        // 167–188 MiB when both readers folded their whole tables on first use, 50 MB); 217 MiB
        // with transparent huge pages in mimalloc's arena (every touched page 2 MB) and 8-byte
        // weight entries.
        assert!(seeds < 180.0, "score seeds peaked at {seeds:.0} MiB");
        let input = dir.path().join("crowded.jsonl");
        crowded_documents(&input, 4);
        let (code, crowded) = peak_rss_mib(&input, &dir.path().join("crowded"));
        assert_eq!(code, 0);
        // A list gives no candidates: about 150 MiB above the seeds run when both workers held
        // a list's 49,000 candidates, about 95 with one at a time.
        assert!(
            crowded - seeds < 40.0,
            "4 crowded documents peaked at {crowded:.0} MiB, {:.0} MiB above the seeds run",
            crowded - seeds
        );
    }
}
