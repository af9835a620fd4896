//! The command line as clap parses it: every command, its flags and their
//! help. Only types and the small helpers that read them; the commands run
//! in their own modules.

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Personal health record companion for wearables: an encrypted local vault
/// of sleep and activity lifelogs.
#[derive(Parser)]
#[command(name = "phr", version, about, long_about = None)]
pub struct Cli {
    /// The vault file (default: the platform data directory).
    #[arg(long, global = true, env = "PHR_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a new encrypted vault.
    Init {
        /// The owner's name as it should be shown.
        #[arg(long, default_value = "Me")]
        name: String,
        /// The owner's IANA time zone; local days are counted in it.
        #[arg(long, default_value = phr_api::DEFAULT_TIME_ZONE)]
        tz: String,
    },
    /// Import an activity file, all or nothing: a minute CSV (`timestamp,count`,
    /// local time), an Actiwatch .AWD (every model), an ActiGraph .agd, a
    /// Philips Respironics Actiware CSV export (English, French, German), a
    /// MotionWatch 8 .mtn, an ActTrust or Tempatilumi .txt, a Daqtix or MESA
    /// .csv, or a biobankAccelerometerAnalysis -timeSeries.csv.gz (with its
    /// -summary.json beside it, if any); or another app's export: Apple
    /// Health (export.zip or export.xml), a Gadgetbridge database export, a
    /// Fitbit / Google Takeout (a ZIP, its folder or one of its JSON files),
    /// a Garmin FIT file. The format is detected from the content; each
    /// source in an export (a watch, a phone) is stored apart. Importing it
    /// again, or a newer overlapping export, stores nothing twice.
    Import {
        /// The file (or Takeout folder) to import: minute CSV, .AWD, .agd,
        /// Actiware CSV, .mtn, ActTrust, Tempatilumi, Daqtix, MESA, biobank
        /// time series, Apple Health, Gadgetbridge, Fitbit Takeout, FIT.
        file: PathBuf,
        #[command(flatten)]
        person: PersonArg,
        /// Name of the source the data came from (default: "CSV import" for
        /// a CSV, the device's model and serial for a device file, the
        /// export's own source names for an export with one source).
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
pub struct AnalyzeArgs {
    #[command(subcommand)]
    pub source: Option<AnalyzeSource>,
    #[command(flatten)]
    pub person: PersonArg,
    /// First local day (default: 14 days before --to).
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// Last local day, inclusive (default: yesterday).
    #[arg(long, value_name = "DATE")]
    pub to: Option<chrono::NaiveDate>,
    /// Binarization threshold: counts above it are active.
    #[arg(long, default_value_t = 4.0)]
    pub threshold: f64,
}

#[derive(Subcommand)]
pub enum AnalyzeSource {
    /// Analyse an actigraphy file (any format `phr import` reads: minute CSV,
    /// Actiwatch .AWD, ActiGraph .agd, Actiware CSV, MotionWatch .mtn,
    /// ActTrust, Tempatilumi, Daqtix, MESA, biobank time series); no vault
    /// needed.
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
pub struct SelectionArgs {
    #[command(flatten)]
    pub person: PersonArg,
    /// Record types: steps, sleep, activity, circadian (default: these
    /// four), and `report` (the clinician's summary: DiagnosticReport and
    /// PDF).
    #[arg(long, value_name = "LIST")]
    pub types: Option<String>,
    /// Language of the report (default: Japanese for Asia/Tokyo, else English).
    #[arg(long, value_enum)]
    pub report_lang: Option<LangArg>,
    /// First local day (default: the first with data).
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// Last local day, inclusive (default: the last with data).
    #[arg(long, value_name = "DATE")]
    pub to: Option<chrono::NaiveDate>,
}

impl SelectionArgs {
    /// The selection these flags make.
    pub fn selection(&self) -> anyhow::Result<phr_api::Selection> {
        selection(
            &self.person.person,
            &self.types,
            self.report_lang,
            self.from,
            self.to,
        )
    }
}

/// A selection from the flags `export fhir` and `share` have in common.
fn selection(
    person: &Option<String>,
    types: &Option<String>,
    report_lang: Option<LangArg>,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> anyhow::Result<phr_api::Selection> {
    Ok(phr_api::Selection {
        person: person.clone(),
        types: match types {
            Some(list) => phr_api::ShareType::parse_list(list)?,
            None => Vec::new(),
        },
        from,
        to,
        report_lang: report_lang.map(Into::into),
    })
}

#[derive(Args)]
pub struct ShareArgs {
    /// The recipient's FHIR base URL (https, or http to this machine only);
    /// given a second time with a date (`--to 2026-03-31`) it is the last day.
    #[arg(long = "to", value_name = "URL|DATE", action = clap::ArgAction::Append, required = true)]
    pub to: Vec<String>,
    /// none, bearer or smart-backend (default: what was saved for this URL, else none).
    #[arg(long, value_name = "KIND")]
    pub auth: Option<String>,
    /// Bearer token (or PHR_FHIR_TOKEN); saved sealed in the vault for this URL.
    #[arg(long, env = "PHR_FHIR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// SMART Backend Services client id.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// SMART Backend Services private key (PKCS#8, PEM or DER; see `phr fhir-key`).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// The person (id or name); the vault owner by default.
    #[arg(long, value_name = "P")]
    pub person: Option<String>,
    /// Record types: steps, sleep, activity, circadian (default: these
    /// four), and `report` (the clinician's summary: DiagnosticReport and
    /// PDF).
    #[arg(long, value_name = "LIST")]
    pub types: Option<String>,
    /// Language of the report (default: Japanese for Asia/Tokyo, else English).
    #[arg(long, value_enum)]
    pub report_lang: Option<LangArg>,
    /// First local day (default: the first with data).
    #[arg(long, value_name = "DATE")]
    pub from: Option<chrono::NaiveDate>,
    /// Last local day, inclusive (same as a date given to --to).
    #[arg(long = "until", value_name = "DATE")]
    pub until: Option<chrono::NaiveDate>,
    /// Show exactly what would leave, send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Most entries per transaction bundle.
    #[arg(long, default_value_t = 100)]
    pub bundle_size: usize,
}

impl ShareArgs {
    /// Splits the `--to` values into the URL and the optional last day.
    pub fn url_and_last_day(&self) -> anyhow::Result<(String, Option<chrono::NaiveDate>)> {
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

    /// The selection these flags make, up to `last_day` (see
    /// [`ShareArgs::url_and_last_day`]).
    pub fn selection(
        &self,
        last_day: Option<chrono::NaiveDate>,
    ) -> anyhow::Result<phr_api::Selection> {
        selection(
            &self.person,
            &self.types,
            self.report_lang,
            self.from,
            last_day,
        )
    }
}

#[derive(Subcommand)]
pub enum PeopleAction {
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
pub enum LangArg {
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
pub enum ReportFormatArg {
    Pdf,
    Html,
}

#[derive(Subcommand)]
pub enum CareAction {
    /// Everyone in the vault, with their last day of data and open alerts.
    People,
    /// Alerts from each person's own baseline (evaluated on every ended day).
    Alerts {
        #[command(flatten)]
        person: PersonArg,
        /// Every person's open (unacknowledged) alerts, the most severe
        /// first, then by time: who needs a caregiver now.
        #[arg(long, conflicts_with_all = ["person", "since"])]
        all: bool,
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
    /// (ordinary weeks, wandering nights, unworn days), or with
    /// `--recordings` on real recordings with injected events; no vault
    /// needed.
    Evaluate {
        /// Simulated people.
        #[arg(long, default_value_t = 20)]
        people: u32,
        /// Weeks per person (7 or more).
        #[arg(long, default_value_t = 8)]
        weeks: u32,
        /// Seed of the first person (simulated), or of the injections.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Real recordings (any file `phr import` reads, e.g. .AWD or minute
        /// CSV): inject wandering bouts and unworn days into them instead of
        /// simulating people.
        #[arg(long, value_name = "FILE", num_args = 1..)]
        recordings: Vec<std::path::PathBuf>,
        /// Trials per recording (real recordings only), each with new
        /// nights, bouts and unworn day.
        #[arg(long, default_value_t = 20)]
        trials: u32,
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
pub enum DevicesAction {
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
pub struct PersonArg {
    /// The person (id or name); the vault owner by default.
    #[arg(long, value_name = "P")]
    pub person: Option<String>,
}

#[derive(Subcommand)]
pub enum ExportFormat {
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
