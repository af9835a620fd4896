//! Crash safety: `phr import` killed with SIGKILL at random moments, many
//! times. After every kill the vault opens, verifies, and holds each file
//! either wholly or not at all.

use super::*;
use phr_model::{parse_time_zone, SampleKind, Samples, Stamp};
use phr_vault::Vault;
use std::time::{Duration, Instant};

struct Recording {
    path: PathBuf,
    range: std::ops::Range<i64>,
    epochs: usize,
}

fn recording(dir: &Path, name: &str, seed: u64, start: chrono::NaiveDate, days: u32) -> Recording {
    let path = dir.join(name);
    minute_csv(&path, seed, start, days);
    let tokyo = parse_time_zone("Asia/Tokyo").expect("zone");
    let from = Stamp::from_local(start.and_hms_opt(0, 0, 0).expect("midnight"), tokyo, None)
        .expect("from");
    Recording {
        path,
        range: from.utc..from.utc + i64::from(days) * 86_400,
        epochs: days as usize * 1440,
    }
}

fn stored(vault: &Vault, range: &std::ops::Range<i64>) -> usize {
    let owner = phr_model::PersonId(1);
    let mut n = 0;
    for device in vault.devices(owner).expect("devices") {
        if let Samples::Activity(v) = vault
            .samples(device.id, SampleKind::Activity, range.clone())
            .expect("read")
        {
            n += v.len();
        }
    }
    n
}

#[test]
fn sigkill_at_random_moments_leaves_whole_batches_only() {
    let dir = tempfile::tempdir().expect("tmp");
    let vault_path = init(dir.path());
    let files = [
        recording(dir.path(), "a.csv", 1, date(2026, 1, 1), 45),
        recording(dir.path(), "b.csv", 2, date(2026, 3, 1), 45),
        recording(dir.path(), "c.csv", 3, date(2026, 5, 1), 45),
    ];

    // How long one import takes here, to spread the kills over all of it.
    let scratch = dir.path().join("scratch.phr");
    ok(phr(&scratch).arg("init"));
    let started = Instant::now();
    ok(phr(&scratch).arg("import").arg(&files[0].path));
    let full = started.elapsed();

    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| fastrand::u64(..));
    eprintln!("crash test: seed {seed}, one import takes {full:?}");
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut killed_mid_way, mut completed) = (0, 0);
    for round in 0..40 {
        let file = &files[round % files.len()];
        let mut child = phr(&vault_path)
            .arg("import")
            .arg(&file.path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let delay = Duration::from_micros(rng.u64(0..(full.as_micros() as u64 * 12 / 10).max(1)));
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL on Unix
        let status = child.wait().expect("wait");
        if status.success() {
            completed += 1
        } else {
            killed_mid_way += 1
        }

        let vault = Vault::open(&vault_path, PASSPHRASE)
            .unwrap_or_else(|e| panic!("round {round} (seed {seed}): vault does not open: {e}"));
        let report = vault.verify().expect("verify");
        assert!(
            report.problems.is_empty(),
            "round {round} (seed {seed}): {:?}",
            report.problems
        );
        for f in &files {
            let n = stored(&vault, &f.range);
            assert!(
                n == 0 || n == f.epochs,
                "round {round} (seed {seed}): {} holds {n} of {} epochs",
                f.path.display(),
                f.epochs
            );
        }
    }
    eprintln!("crash test: {killed_mid_way} imports killed, {completed} finished before the kill");
    assert!(
        killed_mid_way >= 10,
        "too few kills landed mid-import ({killed_mid_way})"
    );

    // Importing each file to the end afterwards stores all of it, once.
    for f in &files {
        ok(phr(&vault_path).arg("import").arg(&f.path));
    }
    let vault = Vault::open(&vault_path, PASSPHRASE).expect("open");
    for f in &files {
        assert_eq!(stored(&vault, &f.range), f.epochs);
    }
    assert_eq!(
        vault
            .devices(phr_model::PersonId(1))
            .expect("devices")
            .len(),
        1
    );
}
