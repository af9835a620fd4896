//! `phr`: the command-line front end of the PHR companion. Thin by design:
//! it parses arguments, asks for passphrases, draws progress and prints; all
//! work happens in `phr-api`. Each group of commands has its module; this
//! one parses, finds the vault, dispatches and turns errors into exit codes.

/// mimalloc instead of the system allocator: a year's analysis takes 740
/// page faults instead of 11,903 (glibc hands every large buffer back to the
/// kernel and faults fresh zeroed pages for the next), so `phr analyze
/// actigraphy` on a year is about a third faster and `phr import` about a
/// tenth, for about 30 MB more peak memory (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod analyze;
mod args;
mod care;
mod demo;
mod devices;
mod export;
mod import;
mod output;
mod passphrase;
mod report;
mod share;
mod sync;
mod vault;

use anyhow::Context as _;
use args::{AnalyzeArgs, AnalyzeSource, Cli, Command};
use clap::Parser;
use phr_api::{ApiError, ErrorCode, Phr};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let code = err.downcast_ref::<ApiError>().map(|e| e.code);
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code(code))
        }
    }
}

/// `phr ... | head`: when whoever reads our output has gone, stop quietly,
/// as other command-line tools do, instead of a panic message from
/// `println!` (Rust ignores SIGPIPE, so the write fails with EPIPE).
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// Whether an error is our output's reader having gone.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    err.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().map(|e| e.kind()) == broken
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
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

/// What every command that works on a vault gets: where it is, and
/// whether to print JSON.
pub struct Context {
    /// The vault file.
    pub path: PathBuf,
    /// `--json`.
    pub json: bool,
}

impl Context {
    /// Opens the vault with the passphrase (`PHR_PASSPHRASE` or a prompt).
    pub fn open(&self) -> anyhow::Result<Phr> {
        let passphrase = passphrase::existing_passphrase()?;
        Ok(Phr::open(&self.path, &passphrase)?)
    }
}

const NO_DATA_DIR: &str = "no data directory on this system; pass --vault PATH";

fn run(cli: Cli) -> anyhow::Result<()> {
    let json = cli.json;
    if let Command::Analyze(AnalyzeArgs {
        source: Some(AnalyzeSource::Actigraphy { input, threshold }),
        ..
    }) = &cli.command
    {
        return analyze::file(input, *threshold, json);
    }
    let path = match &cli.command {
        Command::Demo { .. } => cli
            .vault
            .clone()
            .or_else(phr_api::default_demo_vault_path)
            .context(NO_DATA_DIR)?,
        _ => cli
            .vault
            .clone()
            .or_else(phr_api::default_vault_path)
            .context(NO_DATA_DIR)?,
    };
    let cx = Context { path, json };
    match cli.command {
        Command::Init { name, tz } => vault::init(&cx, &name, &tz),
        Command::Passwd => vault::passwd(&cx),
        Command::Audit { verify } => vault::audit(&cx, verify),
        Command::Verify => vault::verify(&cx),
        Command::People { action } => vault::people(&cx, action),
        Command::Import {
            file,
            person,
            device,
        } => import::run(&cx, &file, person.person.as_deref(), device.as_deref()),
        Command::Analyze(args) => analyze::run(&cx, &args),
        Command::Days { person } => analyze::days(&cx, person.person.as_deref()),
        Command::Export { format } => export::run(&cx, format),
        Command::Share(args) => share::run(&cx, &args),
        Command::Shares => share::list(&cx),
        Command::FhirKey { out } => share::fhir_key(&cx, &out),
        Command::Care { action } => care::run(&cx, action),
        Command::Report {
            person,
            from,
            to,
            lang,
            out,
            format,
        } => report::run(
            &cx,
            person.person.as_deref(),
            (from, to),
            lang,
            &out,
            format,
        ),
        Command::Sync {
            simulated: false,
            person,
            device,
            scan_seconds,
            ..
        } => sync::bluetooth(
            &cx,
            person.person.as_deref(),
            device.as_deref(),
            scan_seconds,
        ),
        Command::Sync {
            simulated: true,
            person,
            days,
            seed,
            ..
        } => sync::simulated(&cx, person.person.as_deref(), days, seed),
        Command::Devices { action } => devices::run(&cx, action),
        Command::Demo { days, seed } => demo::run(&cx, days, seed),
    }
}
