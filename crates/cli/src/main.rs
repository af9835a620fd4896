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
    /// Share selected records with an EHR's FHIR server (R4 transaction bundles).
    Share(ShareArgs),
    /// List every share and FHIR export recorded.
    Shares,
    /// Make an EC P-384 key for SMART Backend Services and print its JWKS to register.
    FhirKey {
        /// Where to write the private key (PEM).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
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
    /// List the people in the vault, or add someone you care for.
    People {
        #[command(subcommand)]
        action: Option<PeopleAction>,
    },
    /// Caregiving: the people cared for, their alerts, acknowledgements, the weekly digest.
    Care {
        #[command(subcommand)]
        action: CareAction,
    },
    /// The clinician's summary of a period as PDF (or HTML): actogram,
    /// nights, rhythm with its weekly trend, completeness, alerts, sources.
    Report {
        #[command(flatten)]
        person: PersonArg,
        /// First local day.
        #[arg(long, value_name = "DATE")]
        from: chrono::NaiveDate,
        /// Last local day, inclusive.
        #[arg(long, value_name = "DATE")]
        to: chrono::NaiveDate,
        /// Language of the report.
        #[arg(long, value_enum, default_value = "ja")]
        lang: LangArg,
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// `pdf` or `html` (default: from the file name, else pdf).
        #[arg(long, value_enum)]
        format: Option<ReportFormatArg>,
    },
    /// Sync paired wearables over Bluetooth LE, or `--simulated` the built-in
    /// simulated Bangle.js through the same sync engine (no adapter needed).
    Sync {
        /// Use the in-process simulated wearable.
        #[arg(long)]
        simulated: bool,
        /// Only this paired device (Bluetooth address).
        #[arg(long, value_name = "ADDRESS", conflicts_with = "simulated")]
        device: Option<String>,
        /// How long to scan for the paired devices.
        #[arg(long, default_value_t = 5)]
        scan_seconds: u64,
        #[command(flatten)]
        person: PersonArg,
        /// Whole days before today the simulated wearable holds.
        #[arg(long, default_value_t = 14)]
        days: u32,
        /// Seed of the simulated wearer.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Wearables: the sources in the vault, or a Bluetooth scan.
    Devices {
        #[command(subcommand)]
        action: DevicesAction,
    },
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
struct SelectionArgs {
    #[command(flatten)]
    person: PersonArg,
    /// Record types: steps, sleep, activity, circadian (default: these
    /// four), and `report` (the clinician's summary: DiagnosticReport and
    /// PDF).
    #[arg(long, value_name = "LIST")]
    types: Option<String>,
    /// Language of the report (default: Japanese for Asia/Tokyo, else English).
    #[arg(long, value_enum)]
    report_lang: Option<LangArg>,
    /// First local day (default: the first with data).
    #[arg(long, value_name = "DATE")]
    from: Option<chrono::NaiveDate>,
    /// Last local day, inclusive (default: the last with data).
    #[arg(long, value_name = "DATE")]
    to: Option<chrono::NaiveDate>,
}

impl SelectionArgs {
    fn selection(&self) -> anyhow::Result<phr_api::Selection> {
        Ok(phr_api::Selection {
            person: self.person.person.clone(),
            types: match &self.types {
                Some(list) => phr_api::ShareType::parse_list(list)?,
                None => Vec::new(),
            },
            from: self.from,
            to: self.to,
            report_lang: self.report_lang.map(Into::into),
        })
    }
}

#[derive(Args)]
struct ShareArgs {
    /// The recipient's FHIR base URL (https, or http to this machine only);
    /// given a second time with a date (`--to 2026-03-31`) it is the last day.
    #[arg(long = "to", value_name = "URL|DATE", action = clap::ArgAction::Append, required = true)]
    to: Vec<String>,
    /// none, bearer or smart-backend (default: what was saved for this URL, else none).
    #[arg(long, value_name = "KIND")]
    auth: Option<String>,
    /// Bearer token (or PHR_FHIR_TOKEN); saved sealed in the vault for this URL.
    #[arg(long, env = "PHR_FHIR_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// SMART Backend Services client id.
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// SMART Backend Services private key (PKCS#8, PEM or DER; see `phr fhir-key`).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// The person (id or name); the vault owner by default.
    #[arg(long, value_name = "P")]
    person: Option<String>,
    /// Record types: steps, sleep, activity, circadian (default: these
    /// four), and `report` (the clinician's summary: DiagnosticReport and
    /// PDF).
    #[arg(long, value_name = "LIST")]
    types: Option<String>,
    /// Language of the report (default: Japanese for Asia/Tokyo, else English).
    #[arg(long, value_enum)]
    report_lang: Option<LangArg>,
    /// First local day (default: the first with data).
    #[arg(long, value_name = "DATE")]
    from: Option<chrono::NaiveDate>,
    /// Last local day, inclusive (same as a date given to --to).
    #[arg(long = "until", value_name = "DATE")]
    until: Option<chrono::NaiveDate>,
    /// Show exactly what would leave, send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Most entries per transaction bundle.
    #[arg(long, default_value_t = 100)]
    bundle_size: usize,
}

impl ShareArgs {
    /// Splits the `--to` values into the URL and the optional last day.
    fn url_and_last_day(&self) -> anyhow::Result<(String, Option<chrono::NaiveDate>)> {
        let mut url = None;
        let mut last = self.until;
        for value in &self.to {
            match chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
                Ok(date) if last.is_none() => last = Some(date),
                Ok(_) => bail!("--to was given two dates"),
                Err(_) if url.is_none() => url = Some(value.clone()),
                Err(_) => bail!(
                    "--to was given two URLs ({} and {value})",
                    url.unwrap_or_default()
                ),
            }
        }
        Ok((
            url.context("--to URL is required: the recipient's FHIR base URL")?,
            last,
        ))
    }
}

#[derive(Subcommand)]
enum PeopleAction {
    /// Add someone you care for.
    Add {
        /// Their name as it should be shown.
        name: String,
        /// Their IANA time zone.
        #[arg(long, default_value = phr_api::DEFAULT_TIME_ZONE)]
        tz: String,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LangArg {
    En,
    Ja,
}

impl From<LangArg> for phr_api::Lang {
    fn from(lang: LangArg) -> Self {
        match lang {
            LangArg::En => phr_api::Lang::En,
            LangArg::Ja => phr_api::Lang::Ja,
        }
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormatArg {
    Pdf,
    Html,
}

#[derive(Subcommand)]
enum CareAction {
    /// Everyone in the vault, with their last day of data and open alerts.
    People,
    /// Alerts from each person's own baseline (evaluated on every ended day).
    Alerts {
        #[command(flatten)]
        person: PersonArg,
        /// Only alerts ending on or after this local day.
        #[arg(long, value_name = "DATE")]
        since: Option<chrono::NaiveDate>,
        /// Language of the explanations.
        #[arg(long, value_enum, default_value = "en")]
        lang: LangArg,
    },
    /// Acknowledge an alert with a note.
    Ack {
        /// The alert's id.
        id: String,
        /// What was done or found.
        #[arg(long)]
        note: String,
        /// Language of the explanation shown.
        #[arg(long, value_enum, default_value = "en")]
        lang: LangArg,
    },
    /// False-alarm and detection rates of the alert rules on simulated people
    /// (ordinary weeks, wandering nights, unworn days); no vault needed.
    Evaluate {
        /// Simulated people.
        #[arg(long, default_value_t = 20)]
        people: u32,
        /// Weeks per person (7 or more).
        #[arg(long, default_value_t = 8)]
        weeks: u32,
        /// Seed of the first person.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// A person's alert thresholds; `--set KEY=VALUE` changes them.
    Settings {
        #[command(flatten)]
        person: PersonArg,
        /// A threshold to change, e.g. `not_worn_hours=8` (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
    },
    /// A short readable digest of the last week.
    Digest {
        /// The last seven ended days (the only period for now).
        #[arg(long)]
        week: bool,
        #[command(flatten)]
        person: PersonArg,
        /// Language of the digest.
        #[arg(long, value_enum, default_value = "en")]
        lang: LangArg,
    },
}

#[derive(Subcommand)]
enum DevicesAction {
    /// The devices and files a person's data came from.
    List {
        #[command(flatten)]
        person: PersonArg,
    },
    /// Remember a scanned wearable (Bluetooth address) so `phr sync` syncs it.
    Pair {
        /// Its Bluetooth address, as `phr devices scan` shows it.
        address: String,
        #[command(flatten)]
        person: PersonArg,
        /// How long to scan for it.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
    /// Read live heart rate (Heart Rate service) for a while, showing each
    /// reading, and store those taken with skin contact.
    HeartRate {
        /// The wearable's Bluetooth address.
        address: String,
        #[command(flatten)]
        person: PersonArg,
        /// How long to listen.
        #[arg(long, default_value_t = 30)]
        seconds: u64,
    },
    /// Scan for wearables we can sync (Bluetooth LE through BlueZ); no vault needed.
    Scan {
        /// How long to scan.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
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
    /// FHIR R4: a collection bundle and/or NDJSON per resource type (Bulk Data layout).
    Fhir {
        /// Write the bundle (JSON) here.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Write NDJSON files (Patient.ndjson, Observation.ndjson, ...) into this folder.
        #[arg(long, value_name = "DIR")]
        ndjson: Option<PathBuf>,
        /// Pseudonymise for research: keyed pseudonym, shifted dates, no free text.
        #[arg(long)]
        pseudonymise: bool,
        /// Who the pseudonymised export is for (each recipient gets its own key and shift).
        #[arg(long, default_value = "research", value_name = "NAME")]
        recipient: String,
        #[command(flatten)]
        selection: SelectionArgs,
    },
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
        Some(ErrorCode::Remote) => 6,
        Some(ErrorCode::Device) => 7,
        _ => 1,
    }
}

fn vault_path(cli_path: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    cli_path
        .clone()
        .or_else(phr_api::default_vault_path)
        .context("no data directory on this system; pass --vault PATH")
}

/// `; watch clock +1.2 s` (or nothing when the clock was not read).
/// The progress line of a sync: records so far and, once the total is
/// known (after a checkpoint), about how long is left.
fn sync_message(what: &str, p: phr_api::Progress, started: std::time::Instant) -> String {
    match p.total {
        Some(total) if p.done > 0 => {
            let elapsed = started.elapsed().as_secs_f64();
            let left = elapsed * (total.saturating_sub(p.done)) as f64 / p.done as f64;
            format!(
                "syncing {what}: {} of about {total} records, about {left:.0} s left",
                p.done
            )
        }
        _ => format!("syncing {what}: {} records", p.done),
    }
}

/// The end of a sync's one-line result: the watch's clock offset and
/// battery, where known.
fn sync_note(summary: &phr_api::SyncSummary) -> String {
    let clock = summary
        .clock_offset_seconds
        .map_or(String::new(), |s| format!("; watch clock {s:+.1} s"));
    let battery = summary
        .battery_percent
        .map_or(String::new(), |b| format!("; battery {b} %"));
    clock + &battery
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
        Command::Share(args) => {
            let (url, last_day) = args.url_and_last_day()?;
            let mut phr = open(&path)?;
            let selection = phr_api::Selection {
                person: args.person.clone(),
                types: match &args.types {
                    Some(list) => phr_api::ShareType::parse_list(list)?,
                    None => Vec::new(),
                },
                from: args.from,
                to: last_day,
                report_lang: args.report_lang.map(Into::into),
            };
            let now = chrono::Utc::now().timestamp();
            if args.dry_run {
                let preview = phr.share_preview(&selection, now)?;
                if json {
                    print_json(&preview)?;
                } else {
                    print_preview(&preview, &url);
                }
                return Ok(());
            }
            let auth = share_auth(&phr, &args, &url)?;
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "sending {bar:30} {pos}/{len} bundles {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let record = phr.share(&selection, &url, auth.clone(), args.bundle_size, now, |p| {
                bar.set_length(p.total.unwrap_or(0));
                bar.set_position(p.done);
            });
            bar.finish_and_clear();
            if args.auth.is_some() {
                // Keep the credentials (sealed) once they have been used.
                phr.save_recipient(&url, &auth)?;
            }
            let record = record?;
            if json {
                print_json(&record)?;
            } else {
                println!(
                    "Shared {} resources ({}) for {} to {} with {}: {} created, {} already there (share {}).",
                    record.resources,
                    record.types.join(", "),
                    format_args!("{} to {}", record.from, record.to),
                    record.recipient,
                    args.auth.as_deref().unwrap_or("saved or no authentication"),
                    record.created,
                    record.existing,
                    record.id
                );
            }
        }
        Command::Shares => {
            let phr = open(&path)?;
            let shares = phr.shares()?;
            if json {
                print_json(&shares)?;
            } else if shares.is_empty() {
                println!("Nothing has been shared or exported yet.");
            } else {
                for r in shares {
                    let at = chrono::DateTime::from_timestamp(r.at_utc, 0)
                        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
                        .unwrap_or_default();
                    println!(
                        "{:>4}  {at}  {:<8} person {}  {} to {}  {}  -> {}{}",
                        r.id,
                        r.result,
                        r.person,
                        r.from,
                        r.to,
                        r.types.join(","),
                        r.recipient,
                        r.error
                            .as_deref()
                            .map(|e| format!("  ({e})"))
                            .unwrap_or_default()
                    );
                }
            }
        }
        Command::FhirKey { out } => {
            let key = phr_api::generate_es384_key().map_err(anyhow::Error::msg)?;
            write_private(&out, phr_api::private_key_pem(&key).as_bytes())?;
            let jwks = serde_json::json!({"keys": [phr_api::es384_jwk(&key).map_err(anyhow::Error::msg)?]});
            print_json(&jwks)?;
            if !json {
                eprintln!(
                    "Private key written to {}; register the JWKS above with the EHR.",
                    out.display()
                );
            }
        }
        Command::Export {
            format:
                ExportFormat::Fhir {
                    out,
                    ndjson,
                    pseudonymise,
                    recipient,
                    selection,
                },
        } => {
            let mut phr = open(&path)?;
            let record = phr.export_fhir(
                &selection.selection()?,
                out.as_deref(),
                ndjson.as_deref(),
                pseudonymise.then_some(recipient.as_str()),
                chrono::Utc::now().timestamp(),
            )?;
            if json {
                print_json(&record)?;
            } else {
                println!(
                    "Wrote {} FHIR resources ({}; {} to {}){} to {}.",
                    record.resources,
                    record.types.join(", "),
                    record.from,
                    record.to,
                    if record.pseudonymised {
                        ", pseudonymised"
                    } else {
                        ""
                    },
                    record.recipient.trim_start_matches("file:")
                );
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
        Command::Sync {
            simulated: false,
            person,
            device,
            scan_seconds,
            ..
        } => {
            let mut phr = open(&path)?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message("scanning for paired wearables");
            let mut current: Option<(String, std::time::Instant)> = None;
            let results = phr.sync_bluetooth_with_progress(
                person.person.as_deref(),
                device.as_deref(),
                scan_seconds,
                |address, p| {
                    if current.as_ref().is_none_or(|(a, _)| a != address) {
                        current = Some((address.to_string(), std::time::Instant::now()));
                    }
                    let started = current
                        .as_ref()
                        .map_or_else(std::time::Instant::now, |c| c.1);
                    bar.set_message(sync_message(address, p, started));
                    bar.tick();
                },
            );
            bar.finish_and_clear();
            let results = results?;
            let failed = results.iter().filter(|(_, r)| r.is_err()).count();
            if json {
                let rows: Vec<serde_json::Value> = results
                    .iter()
                    .map(|(address, r)| match r {
                        Ok(summary) => {
                            serde_json::json!({"address": address, "ok": true, "sync": summary})
                        }
                        Err(e) => serde_json::json!({"address": address, "ok": false, "error": e}),
                    })
                    .collect();
                print_json(&rows)?;
            } else {
                for (address, result) in &results {
                    match result {
                        Ok(s) => println!(
                            "{address} {}: {} new samples, {} already stored{}{}.",
                            s.label,
                            s.added,
                            s.unchanged,
                            s.days
                                .map(|(a, b)| format!(" ({a} to {b})"))
                                .unwrap_or_default(),
                            sync_note(s)
                        ),
                        Err(e) => println!("{address}: failed: {e}"),
                    }
                }
            }
            if let Some((address, error)) = results
                .iter()
                .find_map(|(a, r)| r.as_ref().err().map(|e| (a, e)))
            {
                return Err(ApiError::new(
                    error.code,
                    format!(
                        "{failed} of {} device(s) failed; {address}: {}",
                        results.len(),
                        error.message
                    ),
                )
                .into());
            }
        }
        Command::Sync {
            simulated: true,
            person,
            days,
            seed,
            ..
        } => {
            if days == 0 || days > 3660 {
                bail!("--days must be between 1 and 3660");
            }
            let mut phr = open(&path)?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_message("syncing the simulated Bangle.js");
            let started = std::time::Instant::now();
            let today = chrono::Local::now().date_naive();
            let summary = phr.sync_simulated(
                person.person.as_deref(),
                today,
                days,
                seed,
                phr_api::LinkFaults::default(),
                |p| {
                    bar.set_message(sync_message("the simulated Bangle.js", p, started));
                    bar.tick();
                },
            );
            bar.finish_and_clear();
            let summary = summary?;
            if json {
                print_json(&summary)?;
            } else {
                println!(
                    "Synced {}{}: {} new samples, {} already stored{}.",
                    summary.label,
                    summary
                        .days
                        .map(|(a, b)| format!(" ({a} to {b})"))
                        .unwrap_or_default(),
                    summary.added,
                    summary.unchanged,
                    sync_note(&summary)
                );
            }
        }
        Command::Devices {
            action: DevicesAction::List { person },
        } => {
            let phr = open(&path)?;
            let devices = phr.devices(person.person.as_deref())?;
            // Battery and last sync, as the app's device list shows them.
            let summaries: std::collections::BTreeMap<i64, phr_api::DeviceSummary> = phr
                .device_summaries(person.person.as_deref())?
                .into_iter()
                .map(|s| (s.id, s))
                .collect();
            let battery = |id: i64| summaries.get(&id).and_then(|s| s.battery_percent);
            let last_sync = |id: i64| summaries.get(&id).and_then(|s| s.last_sync_utc);
            if json {
                let mut rows = Vec::with_capacity(devices.len());
                for d in &devices {
                    let mut row = serde_json::to_value(d)?;
                    if let Some(fields) = row.as_object_mut() {
                        fields.insert("battery_percent".into(), battery(d.id.0).into());
                        fields.insert("last_sync_utc".into(), last_sync(d.id.0).into());
                    }
                    rows.push(row);
                }
                print_json(&rows)?;
            } else if devices.is_empty() {
                println!("No devices yet: `phr sync --simulated`, `phr import FILE` or `phr demo` add one.");
            } else {
                for d in devices {
                    let last = last_sync(d.id.0)
                        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                        .map_or("never".to_string(), |t| {
                            t.format("%Y-%m-%d %H:%M UTC").to_string()
                        });
                    println!(
                        "{:>3}  {:<32} {:<20} {:<16} {:>5}  last {}",
                        d.id.0,
                        d.label,
                        d.model.as_deref().unwrap_or("-"),
                        d.serial.as_deref().unwrap_or("-"),
                        battery(d.id.0).map_or("-".to_string(), |b| format!("{b} %")),
                        last
                    );
                }
            }
        }
        Command::Devices {
            action:
                DevicesAction::Pair {
                    address,
                    person,
                    seconds,
                },
        } => {
            let mut phr = open(&path)?;
            let found = phr.pair_device(person.person.as_deref(), &address, seconds)?;
            if json {
                print_json(&found)?;
            } else {
                println!(
                    "Paired {} ({}){}; `phr sync` will sync it.",
                    found.name.as_deref().unwrap_or("(no name)"),
                    found.address,
                    if found.bonded == Some(true) {
                        ", bonded as it asked"
                    } else {
                        ""
                    }
                );
            }
        }
        Command::Devices {
            action:
                DevicesAction::HeartRate {
                    address,
                    person,
                    seconds,
                },
        } => {
            let mut phr = open(&path)?;
            if !json {
                eprintln!("Listening to {address} for {seconds} s…");
            }
            let session =
                phr.live_heart_rate(person.person.as_deref(), &address, seconds, |reading| {
                    if !json {
                        let contact = match reading.contact {
                            Some(true) => "",
                            Some(false) => "  (no skin contact)",
                            None => "",
                        };
                        let rr = reading
                            .rr_ms
                            .iter()
                            .map(|ms| format!("{ms:.0}"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        let rr = if rr.is_empty() {
                            String::new()
                        } else {
                            format!("  RR {rr} ms")
                        };
                        println!("{}  {:>3} bpm{rr}{contact}", reading.at, reading.bpm);
                    }
                })?;
            if json {
                print_json(&session)?;
            } else {
                println!(
                    "{}: {} reading(s), {} stored.",
                    session.device,
                    session.readings.len(),
                    session.added
                );
            }
        }
        Command::Devices {
            action: DevicesAction::Scan { seconds },
        } => {
            let found = phr_api::scan_devices(seconds)?;
            if json {
                print_json(&found)?;
            } else if found.is_empty() {
                println!(
                    "No wearable found. Is it awake and near? (`phr sync --simulated` needs none.)"
                );
            }
            if !json {
                for d in found {
                    println!(
                        "{:<18} {:<24} {:>7}  {}",
                        d.address,
                        d.name.as_deref().unwrap_or("(no name)"),
                        d.rssi.map_or("-".to_string(), |r| format!("{r} dBm")),
                        d.protocols.join(", ")
                    );
                }
            }
        }
        Command::People {
            action: Some(PeopleAction::Add { name, tz }),
        } => {
            let mut phr = open(&path)?;
            let person = phr.add_person(&name, &tz)?;
            if json {
                print_json(&person)?;
            } else {
                println!(
                    "Added {} (person {}, {}).",
                    person.display_name, person.id.0, person.time_zone
                );
            }
        }
        Command::People { action: None }
        | Command::Care {
            action: CareAction::People,
        } => {
            let mut phr = open(&path)?;
            let today = chrono::Local::now().date_naive();
            let mut rows = Vec::new();
            for p in phr.people()? {
                let selector = p.id.0.to_string();
                let last_day = phr.days(Some(&selector))?.last().map(|d| d.date);
                let open_alerts = phr
                    .care_alerts(Some(&selector), None, today, phr_api::Lang::En)?
                    .iter()
                    .filter(|a| a.acknowledged.is_none())
                    .count();
                rows.push((p, last_day, open_alerts));
            }
            if json {
                let value: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|(p, last, open)| {
                        serde_json::json!({"id": p.id, "name": p.display_name, "role": p.role, "time_zone": p.time_zone, "last_day": last, "open_alerts": open})
                    })
                    .collect();
                print_json(&value)?;
            } else {
                for (p, last, open) in rows {
                    println!(
                        "{:>3}  {:<24} {:<10} {:<16} last data {}  open alerts {open}",
                        p.id.0,
                        p.display_name,
                        format!("{:?}", p.role).to_lowercase(),
                        p.time_zone,
                        last.map_or("-".to_string(), |d| d.to_string())
                    );
                }
            }
        }
        Command::Care {
            action:
                CareAction::Alerts {
                    person,
                    since,
                    lang,
                },
        } => {
            let mut phr = open(&path)?;
            let today = chrono::Local::now().date_naive();
            let alerts = phr.care_alerts(person.person.as_deref(), since, today, lang.into())?;
            if json {
                print_json(&alerts)?;
            } else if alerts.is_empty() {
                println!("No alerts.");
            } else {
                for a in alerts {
                    println!(
                        "{}  {:<8} {:<15} {} to {}{}\n    {}",
                        a.id,
                        a.severity,
                        a.kind,
                        a.start,
                        a.end,
                        if a.acknowledged.is_some() {
                            "  (acknowledged)"
                        } else {
                            ""
                        },
                        a.explanation
                    );
                }
            }
        }
        Command::Report {
            person,
            from,
            to,
            lang,
            out,
            format,
        } => {
            let format = match format {
                Some(ReportFormatArg::Html) => phr_api::ReportFormat::Html,
                Some(ReportFormatArg::Pdf) => phr_api::ReportFormat::Pdf,
                None if out.extension().is_some_and(|e| {
                    e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm")
                }) =>
                {
                    phr_api::ReportFormat::Html
                }
                None => phr_api::ReportFormat::Pdf,
            };
            let mut phr = open(&path)?;
            let report = phr.report_to_file(
                person.person.as_deref(),
                from,
                to,
                lang.into(),
                format,
                chrono::Utc::now().timestamp(),
                &out,
            )?;
            if json {
                let mut value = serde_json::to_value(&report)?;
                value["out"] = serde_json::json!(out.display().to_string());
                value["bytes"] = serde_json::json!(report.bytes.len());
                print_json(&value)?;
            } else {
                println!(
                    "Wrote {} ({} {}, {} to {}, {} nights, {} alerts, {} bytes).",
                    out.display(),
                    report.format.name(),
                    report.lang,
                    report.from,
                    report.to,
                    report.nights,
                    report.alerts,
                    report.bytes.len()
                );
            }
        }
        Command::Care {
            action:
                CareAction::Evaluate {
                    people,
                    weeks,
                    seed,
                },
        } => {
            let e = phr_api::evaluate_alert_rules(people, weeks, seed)?;
            if json {
                print_json(&e)?;
            } else {
                let r = &e.report;
                println!(
                    "{} simulated people x {weeks} weeks ({:.1} ordinary person-weeks scored), default thresholds",
                    r.people, r.normal_person_weeks
                );
                println!(
                    "false alarms: {} ({:.3} per person-week): night_activity {}, inactivity {}, not_worn {}, rhythm_decline {}",
                    r.false_alarms.total(),
                    e.false_alarms_per_person_week,
                    r.false_alarms.night_activity,
                    r.false_alarms.inactivity,
                    r.false_alarms.not_worn,
                    r.false_alarms.rhythm_decline
                );
                println!(
                    "wandering nights detected: {} of {} ({:.0}%)",
                    r.wandering_caught,
                    r.wandering_nights,
                    e.wandering_detected * 100.0
                );
                println!(
                    "unworn days detected: {} of {} ({:.0}%)",
                    r.unworn_caught,
                    r.unworn_days,
                    e.unworn_detected * 100.0
                );
            }
        }
        Command::Care {
            action: CareAction::Settings { person, set },
        } => {
            let mut phr = open(&path)?;
            let selector = person.person.as_deref();
            let mut settings = serde_json::to_value(phr.alert_settings(selector)?)?;
            if !set.is_empty() {
                for assignment in &set {
                    let (key, value) = assignment.split_once('=').ok_or_else(|| {
                        phr_api::ApiError::invalid(format!("--set {assignment:?}: use KEY=VALUE"))
                    })?;
                    let key = key.trim();
                    let slot = settings.get_mut(key).ok_or_else(|| {
                        phr_api::ApiError::invalid(format!(
                            "unknown alert setting {key:?}; `phr care settings` lists them"
                        ))
                    })?;
                    let number: serde_json::Number = value.trim().parse().map_err(|_| {
                        phr_api::ApiError::invalid(format!(
                            "--set {key}: {value:?} is not a number"
                        ))
                    })?;
                    *slot = serde_json::Value::Number(number);
                }
                let changed: phr_api::AlertSettings = serde_json::from_value(settings.clone())
                    .map_err(|e| phr_api::ApiError::invalid(format!("--set: {e}")))?;
                settings = serde_json::to_value(phr.set_alert_settings(selector, &changed)?)?;
            }
            if json {
                print_json(&settings)?;
            } else if let Some(map) = settings.as_object() {
                for (key, value) in map {
                    println!("{key} = {value}");
                }
            }
        }
        Command::Care {
            action: CareAction::Ack { id, note, lang },
        } => {
            let mut phr = open(&path)?;
            let alert = phr.care_ack(&id, &note, chrono::Utc::now().timestamp(), lang.into())?;
            if json {
                print_json(&alert)?;
            } else {
                println!(
                    "Acknowledged {} ({}, {}).",
                    alert.id, alert.kind, alert.start
                );
            }
        }
        Command::Care {
            action:
                CareAction::Digest {
                    week: _,
                    person,
                    lang,
                },
        } => {
            let mut phr = open(&path)?;
            let today = chrono::Local::now().date_naive();
            let digest = phr.care_digest(person.person.as_deref(), today, lang.into())?;
            if json {
                print_json(&serde_json::json!({"digest": digest}))?;
            } else {
                println!("{digest}");
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
                    "Synced {}{}: {} new samples, {} already stored.\n",
                    sync.label,
                    sync.days
                        .map(|(a, b)| format!(" ({a} to {b})"))
                        .unwrap_or_default(),
                    sync.added,
                    sync.unchanged
                );
                print_days(&summary);
            }
        }
    }
    Ok(())
}

fn share_auth(phr: &Phr, args: &ShareArgs, url: &str) -> anyhow::Result<phr_api::RecipientAuth> {
    use phr_api::RecipientAuth;
    Ok(match args.auth.as_deref() {
        None => phr.saved_recipient(url)?.unwrap_or(RecipientAuth::None),
        Some("none") => RecipientAuth::None,
        Some("bearer") => RecipientAuth::Bearer(zeroize::Zeroizing::new(
            args.token
                .clone()
                .context("--auth bearer needs --token or PHR_FHIR_TOKEN")?,
        )),
        Some("smart-backend") => {
            let client_id = args
                .client_id
                .clone()
                .context("--auth smart-backend needs --client-id")?;
            let key_path = args
                .key
                .as_ref()
                .context("--auth smart-backend needs --key FILE")?;
            let bytes = zeroize::Zeroizing::new(
                std::fs::read(key_path)
                    .with_context(|| format!("cannot read {}", key_path.display()))?,
            );
            let key_pkcs8 = phr_api::read_private_key(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", key_path.display()))?;
            RecipientAuth::SmartBackend {
                client_id,
                key_pkcs8,
            }
        }
        Some(other) => bail!("unknown --auth {other:?}: use none, bearer or smart-backend"),
    })
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    file.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn print_preview(preview: &phr_api::Preview, url: &str) {
    println!(
        "Would send to {url}: person {}, {} to {} ({} days with data)",
        preview.person, preview.from, preview.to, preview.days
    );
    for (kind, n) in &preview.counts {
        println!("  {kind:<10} {n:>6} observations");
    }
    println!(
        "  {} resources in all (with Patient, Devices and a Consent). Nothing was sent.",
        preview.resources
    );
    if let Some(example) = &preview.example {
        println!(
            "Example resource:\n{}",
            serde_json::to_string_pretty(example).unwrap_or_default()
        );
    }
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
