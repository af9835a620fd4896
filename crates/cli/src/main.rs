//! `phr`: the command-line front end of the PHR companion. Thin by design:
//! it parses arguments, asks for passphrases, draws progress and prints; all
//! work happens in `phr-api`.

mod passphrase;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use phr_api::{ApiError, CsvKind, DaySummary, ErrorCode, Phr};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Personal health record companion for wearables: an encrypted local vault
/// of sleep and activity lifelogs.
#[derive(Parser)]
#[command(name = "phr", version, about, long_about = None)]
struct Cli {
    /// The vault file (default: the platform data directory).
    #[arg(long, global = true, env = "PHR_VAULT", value_name = "PATH")]
    vault: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new encrypted vault.
    Init {
        /// The owner's name as it should be shown.
        #[arg(long, default_value = "Me")]
        name: String,
        /// The owner's IANA time zone; local days are counted in it.
        #[arg(long, default_value = phr_api::DEFAULT_TIME_ZONE)]
        tz: String,
    },
    /// Import a minute activity CSV (`timestamp,count`, local time), all or nothing.
    Import {
        /// The file to import.
        file: PathBuf,
        #[command(flatten)]
        person: PersonArg,
        /// Name of the source the data came from (default "CSV import").
        #[arg(long, value_name = "LABEL")]
        device: Option<String>,
    },
    /// Analyse actigraphy: stored data over local days, or a file directly
    /// with `phr analyze actigraphy --input FILE`.
    Analyze(AnalyzeArgs),
    /// One line per local day: samples, total counts, completeness, steps.
    Days {
        #[command(flatten)]
        person: PersonArg,
    },
    /// Export stored data.
    Export {
        #[command(subcommand)]
        format: ExportFormat,
    },
    /// Change the vault passphrase (PHR_NEW_PASSPHRASE for scripts).
    Passwd,
    /// Show the audit log, or check that it is intact.
    Audit {
        /// Check the hash chain and sealed head; exit non-zero if broken.
        #[arg(long)]
        verify: bool,
    },
    /// Check every sealed record in the vault and the audit log.
    Verify,
    /// List the people in the vault.
    People,
    /// Run the built-in demo: a vault synced from a simulated wearable.
    Demo {
        /// Whole days before today the demo wearable holds.
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Seed of the simulated wearer.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
struct AnalyzeArgs {
    #[command(subcommand)]
    source: Option<AnalyzeSource>,
    #[command(flatten)]
    person: PersonArg,
    /// First local day (default: 14 days before --to).
    #[arg(long, value_name = "DATE")]
    from: Option<chrono::NaiveDate>,
    /// Last local day, inclusive (default: yesterday).
    #[arg(long, value_name = "DATE")]
    to: Option<chrono::NaiveDate>,
    /// Binarization threshold: counts above it are active.
    #[arg(long, default_value_t = 4.0)]
    threshold: f64,
}

#[derive(Subcommand)]
enum AnalyzeSource {
    /// Analyse an actigraphy file (minute CSV, Actiwatch .AWD, ActiGraph .agd); no vault needed.
    Actigraphy {
        /// The file; its format is detected from its content and name.
        #[arg(long, value_name = "FILE")]
        input: PathBuf,
        /// Binarization threshold: counts above it are active.
        #[arg(long, default_value_t = 4.0)]
        threshold: f64,
    },
}

#[derive(Args)]
struct PersonArg {
    /// The person (id or name); the vault owner by default.
    #[arg(long, value_name = "P")]
    person: Option<String>,
}

#[derive(Subcommand)]
enum ExportFormat {
    /// CSV of one sample kind (activity CSV re-imports with `phr import`).
    Csv {
        /// activity, steps, heart_rate or sleep.
        #[arg(long, default_value = "activity")]
        kind: String,
        #[command(flatten)]
        person: PersonArg,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let code = err.downcast_ref::<ApiError>().map(|e| e.code);
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code(code))
        }
    }
}

/// Exit codes scripts can rely on (documented in README.md).
fn exit_code(code: Option<ErrorCode>) -> u8 {
    match code {
        Some(ErrorCode::WrongPassphrase) => 3,
        Some(ErrorCode::Tampered) | Some(ErrorCode::AuditBroken) => 4,
        Some(ErrorCode::VaultNotFound) => 5,
        Some(ErrorCode::InvalidInput) => 65,
        _ => 1,
    }
}

fn vault_path(cli_path: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    cli_path
        .clone()
        .or_else(phr_api::default_vault_path)
        .context("no data directory on this system; pass --vault PATH")
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    if let Command::Analyze(AnalyzeArgs {
        source: Some(AnalyzeSource::Actigraphy { input, threshold }),
        ..
    }) = &cli.command
    {
        let report = phr_api::analyze_file(input, *threshold)?;
        return if json {
            print_json(&report)
        } else {
            print_report(&report, &input.display().to_string());
            Ok(())
        };
    }
    let path = match &cli.command {
        Command::Demo { .. } => cli
            .vault
            .clone()
            .or_else(|| phr_api::default_vault_path().map(|p| p.with_file_name("demo.phr")))
            .context("no data directory on this system; pass --vault PATH")?,
        _ => vault_path(&cli.vault)?,
    };
    match cli.command {
        Command::Init { name, tz } => {
            let passphrase = passphrase::new_passphrase("PHR_PASSPHRASE", "New vault passphrase")?;
            Phr::init(&path, &passphrase, &name, &tz)?;
            if json {
                print_json(&serde_json::json!({"vault": path, "owner": name, "time_zone": tz}))?;
            } else {
                println!(
                    "Created encrypted vault {} for {name} ({tz}).",
                    path.display()
                );
            }
        }
        Command::Import {
            file,
            person,
            device,
        } => {
            let mut phr = open(&path)?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} {bar:30} {bytes}/{total_bytes} {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.set_message(format!("importing {}", file.display()));
            let result = phr.import_file(&file, person.person.as_deref(), device.as_deref(), |p| {
                if let Some(total) = p.total {
                    bar.set_length(total);
                }
                bar.set_position(p.done);
            });
            bar.finish_and_clear();
            let summary = result?;
            if json {
                print_json(&summary)?;
            } else {
                println!(
                    "Imported {} ({}): {} epochs ({} to {}), {} new, {} replaced, {} already stored{}.",
                    summary.file,
                    summary.format,
                    summary.rows,
                    summary.first,
                    summary.last,
                    summary.added,
                    summary.replaced,
                    summary.unchanged,
                    if summary.missing > 0 {
                        format!(
                            ", {} listed without a count (kept as gaps)",
                            summary.missing
                        )
                    } else {
                        String::new()
                    }
                );
            }
        }
        Command::Analyze(args) => {
            let to = args
                .to
                .unwrap_or_else(|| chrono::Local::now().date_naive() - chrono::Days::new(1));
            let from = args.from.unwrap_or(to - chrono::Days::new(13));
            let phr = open(&path)?;
            let report = phr.analyze(args.person.person.as_deref(), from, to, args.threshold)?;
            if json {
                print_json(&report)?;
            } else {
                print_report(&report, &format!("{from} to {to}"));
            }
        }
        Command::Days { person } => {
            let phr = open(&path)?;
            let days = phr.days(person.person.as_deref())?;
            if json {
                print_json(&days)?;
            } else {
                print_days(&days);
            }
        }
        Command::Export {
            format: ExportFormat::Csv { kind, person, out },
        } => {
            let kind = CsvKind::from_name(&kind).with_context(|| {
                format!("unknown kind {kind:?}: use activity, steps, heart_rate or sleep")
            })?;
            let mut phr = open(&path)?;
            let rows = match &out {
                Some(file) => {
                    let mut writer = std::io::BufWriter::new(
                        std::fs::File::create(file)
                            .with_context(|| format!("cannot create {}", file.display()))?,
                    );
                    phr.export_csv(person.person.as_deref(), kind, &mut writer)?
                }
                None => {
                    // Buffer, so a reader that stops early (`| head`) is not an error.
                    let mut buffer = Vec::new();
                    let rows = phr.export_csv(person.person.as_deref(), kind, &mut buffer)?;
                    match std::io::stdout().lock().write_all(&buffer) {
                        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                        other => other.context("writing to standard output")?,
                    }
                    rows
                }
            };
            if let Some(file) = out {
                if json {
                    print_json(&serde_json::json!({"file": file, "rows": rows}))?;
                } else {
                    println!("Wrote {rows} rows to {}.", file.display());
                }
            }
        }
        Command::Passwd => {
            let mut phr = open(&path)?;
            let new = passphrase::new_passphrase("PHR_NEW_PASSPHRASE", "New passphrase")?;
            phr.change_passphrase(&new)?;
            if json {
                print_json(&serde_json::json!({"changed": true}))?;
            } else {
                println!("Passphrase changed; the old one no longer opens the vault.");
            }
        }
        Command::Audit { verify } => {
            let phr = open(&path)?;
            if verify {
                let entries = phr.verify_audit()?;
                if json {
                    print_json(&serde_json::json!({"intact": true, "entries": entries}))?;
                } else {
                    println!("Audit log intact: {entries} entries, chain and sealed head agree.");
                }
            } else {
                let log = phr.audit_log()?;
                if json {
                    print_json(&log)?;
                } else {
                    for entry in log {
                        let at = chrono::DateTime::from_timestamp(entry.at_utc, 0)
                            .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
                            .unwrap_or_default();
                        println!(
                            "{:>5}  {at}  {:<17} {}",
                            entry.seq,
                            entry.action.name(),
                            entry.detail
                        );
                    }
                }
            }
        }
        Command::Verify => {
            let phr = open(&path)?;
            let report = phr.verify()?;
            if json {
                print_json(&report)?;
            } else {
                println!(
                    "Checked {} sealed records and {} audit entries.",
                    report.records_checked, report.audit_entries
                );
                for problem in &report.problems {
                    println!("  damaged: {problem}");
                }
            }
            if !report.problems.is_empty() {
                return Err(ApiError::new(
                    ErrorCode::Tampered,
                    format!(
                        "{} problem(s) found; the first: {}",
                        report.problems.len(),
                        report.problems[0]
                    ),
                )
                .into());
            }
        }
        Command::People => {
            let phr = open(&path)?;
            let people = phr.people()?;
            if json {
                print_json(&people)?;
            } else {
                for p in people {
                    println!(
                        "{:>3}  {:<24} {:<10} {}",
                        p.id.0,
                        p.display_name,
                        format!("{:?}", p.role).to_lowercase(),
                        p.time_zone
                    );
                }
            }
        }
        Command::Demo { days, seed } => {
            if days == 0 || days > 3660 {
                bail!("--days must be between 1 and 3660");
            }
            let passphrase = match std::env::var("PHR_PASSPHRASE") {
                Ok(p) => zeroize::Zeroizing::new(p),
                Err(_) => zeroize::Zeroizing::new("demo passphrase".to_string()),
            };
            let mut phr = if path.exists() {
                Phr::open(&path, &passphrase)?
            } else {
                Phr::init(
                    &path,
                    &passphrase,
                    "Demo wearer",
                    phr_api::DEFAULT_TIME_ZONE,
                )?
            };
            let today = chrono::Local::now().date_naive();
            let sync = phr.sync_demo(None, today, days, seed)?;
            let summary = phr.days(None)?;
            if json {
                print_json(&serde_json::json!({"vault": path, "sync": sync, "days": summary}))?;
            } else {
                println!(
                    "Demo vault: {} (passphrase from PHR_PASSPHRASE, else \"demo passphrase\")",
                    path.display()
                );
                println!(
                    "Synced {} ({} to {}): {} new samples, {} already stored.\n",
                    sync.label, sync.days.0, sync.days.1, sync.added, sync.unchanged
                );
                print_days(&summary);
            }
        }
    }
    Ok(())
}

fn open(path: &std::path::Path) -> anyhow::Result<Phr> {
    let passphrase = passphrase::existing_passphrase()?;
    Ok(Phr::open(path, &passphrase)?)
}

fn fmt_metric(value: Option<f64>, digits: usize) -> String {
    value.map_or("n/a".to_string(), |v| format!("{v:.digits$}"))
}

fn print_report(report: &phr_api::ActigraphyReport, what: &str) {
    println!(
        "Actigraphy, {what}: {} minutes from {} ({}-second epochs, {})",
        report.minutes, report.start, report.epoch_seconds, report.format
    );
    println!("                 IS      IV      RA      L5 (onset)          M10 (onset)");
    for (name, m) in [
        ("raw", &report.raw),
        ("binarized", &report.binarized),
        ("raw, worn only", &report.raw_worn_only),
    ] {
        let l5 = format!(
            "{} ({})",
            fmt_metric(m.l5, 2),
            m.l5_onset.as_deref().unwrap_or("-")
        );
        let m10 = format!(
            "{} ({})",
            fmt_metric(m.m10, 2),
            m.m10_onset.as_deref().unwrap_or("-")
        );
        println!(
            "  {name:<14} {:<7} {:<7} {:<7} {l5:<19} {m10}",
            fmt_metric(m.is, 3),
            fmt_metric(m.iv, 3),
            fmt_metric(m.ra, 3),
        );
    }
    println!(
        "  Cole-Kripke ({}): {} minutes of sleep, first at {}; non-wear {} minutes",
        report.cole_kripke.settings,
        report.cole_kripke.sleep_minutes,
        report.cole_kripke.first_sleep.as_deref().unwrap_or("-"),
        report.non_wear_minutes
    );
    if !report.nights.is_empty() {
        println!(
            "\n  night of    in bed            out of bed        TST min  SOL  WASO  eff   awak"
        );
        for n in &report.nights {
            println!(
                "  {}  {}  {}  {:>7.0}  {:>3.0}  {:>4.0}  {:>4.2}  {:>4}",
                n.night_of,
                n.start,
                n.end,
                n.total_sleep_minutes,
                n.sleep_onset_latency_minutes,
                n.waso_minutes,
                n.sleep_efficiency,
                n.awakenings
            );
        }
    }
}

fn print_days(days: &[DaySummary]) {
    if days.is_empty() {
        println!("No data yet. Import a file with `phr import FILE` or try `phr demo`.");
        return;
    }
    println!(
        "{:<10}  {:>7}  {:>10}  {:>8}  {:>8}",
        "date", "samples", "counts", "steps", "complete"
    );
    for day in days {
        println!(
            "{:<10}  {:>7}  {:>10}  {:>8}  {:>7.1}%",
            day.date.to_string(),
            day.samples,
            day.total_counts,
            day.steps.map_or("-".to_string(), |s| s.to_string()),
            day.completeness * 100.0
        );
    }
}
