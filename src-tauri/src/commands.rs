//! The commands of `ui/src/lib/api.ts`, one each: take the state, check the
//! text arguments, call the façade off the main thread, map the error.
//! Nothing here touches SQL, Bluetooth or HTTP.

use crate::error::CommandError;
use crate::session::Session;
use crate::wire::{self, Progress, Recipient, ShareRecordWire, Throttle, VaultStatus};
use phr_api::Person;
use phr_api::{
    AlertDto, AlertSettings, AppSettings, Dashboard, DeviceSummary, ImportSummary, Phr, Preview,
    Selection, SyncSummary,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tauri::ipc::Channel;
use tauri::State;
use zeroize::Zeroizing;

type Shared<'a> = State<'a, Arc<Session>>;
type Answer<T> = Result<T, CommandError>;

/// Seconds a Bluetooth scan before pairing or syncing lasts.
const SCAN_SECONDS: u64 = 10;
/// Seed of the demo wearable (the CLI's `phr demo` default).
const DEMO_SEED: u64 = 1;
/// At most one progress message per this interval.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Runs blocking work (Argon2, SQLite, Bluetooth, HTTP) on the blocking
/// pool so the window stays responsive.
async fn blocking<T: Send + 'static>(
    session: &Shared<'_>,
    work: impl FnOnce(&Session) -> Answer<T> + Send + 'static,
) -> Answer<T> {
    let session = Arc::clone(session);
    tauri::async_runtime::spawn_blocking(move || work(&session))
        .await
        .map_err(|e| CommandError::internal(format!("the operation stopped unexpectedly: {e}")))?
}

/// [`blocking`] on the open vault.
async fn with_phr<T: Send + 'static>(
    session: &Shared<'_>,
    work: impl FnOnce(&mut Phr) -> phr_api::Result<T> + Send + 'static,
) -> Answer<T> {
    blocking(session, move |session| session.with_phr(work)).await
}

fn now_utc() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A progress sink for the façade that sends throttled updates over the
/// channel (a closed channel is ignored: the window may have gone).
fn reporter(channel: Channel<Progress>, stage: &'static str) -> impl FnMut(phr_api::Progress) {
    let mut throttle = Throttle::new(PROGRESS_INTERVAL);
    move |progress| {
        let progress = Progress::of(progress, stage);
        if throttle.admit(&progress, Instant::now()) {
            let _ = channel.send(progress);
        }
    }
}

#[tauri::command]
pub async fn vault_status(session: Shared<'_>) -> Answer<VaultStatus> {
    blocking(&session, |session| {
        Ok(VaultStatus {
            exists: session.vault_path()?.exists(),
            unlocked: session.is_unlocked(),
        })
    })
    .await
}

#[tauri::command]
pub async fn create_vault(
    session: Shared<'_>,
    passphrase: String,
    owner_name: String,
    time_zone: String,
) -> Answer<Person> {
    let passphrase = Zeroizing::new(passphrase);
    blocking(&session, move |session| {
        let phr = Phr::init(session.vault_path()?, &passphrase, &owner_name, &time_zone)?;
        let owner = phr.person(None)?;
        session.open(phr);
        Ok(owner)
    })
    .await
}

#[tauri::command]
pub async fn unlock(session: Shared<'_>, passphrase: String) -> Answer<()> {
    let passphrase = Zeroizing::new(passphrase);
    blocking(&session, move |session| {
        let phr = Phr::open(session.vault_path()?, &passphrase)?;
        session.open(phr);
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn lock(session: Shared<'_>) -> Answer<()> {
    blocking(&session, |session| {
        session.lock();
        Ok(())
    })
    .await
}

/// The person used the window `ago_ms` ago (key, pointer, wheel or touch):
/// the idle clock restarts from then. The UI reports at most one input per
/// 30 s (`ui/src/lib/activity.ts`); see [`Session::input_seen`].
#[tauri::command]
pub async fn activity(session: Shared<'_>, ago_ms: u64) -> Answer<()> {
    // No vault access: only the idle clock's own mutex, held for a moment.
    session.input_seen(Duration::from_millis(ago_ms), Instant::now());
    Ok(())
}

#[tauri::command]
pub async fn people(session: Shared<'_>) -> Answer<Vec<Person>> {
    with_phr(&session, |phr| phr.people()).await
}

#[tauri::command]
pub async fn add_person(session: Shared<'_>, name: String, time_zone: String) -> Answer<Person> {
    with_phr(&session, move |phr| phr.add_person(&name, &time_zone)).await
}

#[tauri::command]
pub async fn devices(session: Shared<'_>, person: String) -> Answer<Vec<DeviceSummary>> {
    with_phr(&session, move |phr| phr.device_summaries(Some(&person))).await
}

#[tauri::command]
pub async fn scan(session: Shared<'_>, seconds: u64) -> Answer<Vec<wire::FoundDeviceWire>> {
    let seconds = seconds.clamp(1, 60);
    blocking(&session, move |_| {
        let found = phr_api::scan_devices(seconds)?;
        Ok(found.into_iter().map(Into::into).collect())
    })
    .await
}

#[tauri::command]
pub async fn pair(session: Shared<'_>, address: String, person: String) -> Answer<()> {
    with_phr(&session, move |phr| {
        phr.pair_device(Some(&person), &address, SCAN_SECONDS)
            .map(|_| ())
    })
    .await
}

#[tauri::command]
pub async fn sync_demo(
    session: Shared<'_>,
    person: String,
    days: u32,
    on_progress: Channel<Progress>,
) -> Answer<SyncSummary> {
    let days = wire::check_demo_days(days)?;
    with_phr(&session, move |phr| {
        let _ = on_progress.send(Progress::stage("storing"));
        let today = phr.local_today(Some(&person), now_utc())?;
        let summary = phr.sync_demo(Some(&person), today, days, DEMO_SEED)?;
        let _ = on_progress.send(Progress::stage("done"));
        Ok(summary)
    })
    .await
}

#[tauri::command]
pub async fn sync_device(
    session: Shared<'_>,
    person: String,
    address: String,
    on_progress: Channel<Progress>,
) -> Answer<SyncSummary> {
    with_phr(&session, move |phr| {
        let _ = on_progress.send(Progress::stage("scanning"));
        let mut report = reporter(on_progress.clone(), "fetching");
        let results = phr.sync_bluetooth_with_progress(
            Some(&person),
            Some(&address),
            SCAN_SECONDS,
            |_, p| report(p),
        )?;
        let _ = on_progress.send(Progress::stage("done"));
        results
            .into_iter()
            .next()
            .map(|(_, result)| result)
            .unwrap_or_else(|| {
                Err(phr_api::ApiError::invalid(format!(
                    "{address} is not paired"
                )))
            })
    })
    .await
}

/// Live heart rate from the wearable at `address` for `seconds` (at most
/// two minutes): each reading goes to the window as it arrives; those with
/// skin contact are stored.
#[tauri::command]
pub async fn heart_rate(
    session: Shared<'_>,
    person: String,
    address: String,
    seconds: u64,
    on_reading: Channel<phr_api::HeartRateReading>,
) -> Answer<phr_api::LiveHeartRate> {
    let seconds = wire::check_heart_rate_seconds(seconds)?;
    with_phr(&session, move |phr| {
        phr.live_heart_rate(Some(&person), &address, seconds, |reading| {
            let _ = on_reading.send(reading.clone());
        })
    })
    .await
}

#[tauri::command]
pub async fn import_file(
    session: Shared<'_>,
    path: String,
    person: String,
    on_progress: Channel<Progress>,
) -> Answer<ImportSummary> {
    let path = wire::absolute_path(&path)?;
    with_phr(&session, move |phr| {
        let summary = phr.import_file(
            &path,
            Some(&person),
            None,
            reporter(on_progress.clone(), "parsing"),
        )?;
        let _ = on_progress.send(Progress::stage("done"));
        Ok(summary)
    })
    .await
}

#[tauri::command]
pub async fn cancel(session: Shared<'_>) -> Answer<()> {
    // Only the flag: the running operation holds the vault.
    session.cancel();
    Ok(())
}

#[tauri::command]
pub async fn dashboard(
    session: Shared<'_>,
    person: String,
    from: String,
    to: String,
) -> Answer<Dashboard> {
    let from = wire::parse_date(&from, "from")?;
    let to = wire::parse_date(&to, "to")?;
    with_phr(&session, move |phr| phr.dashboard(Some(&person), from, to)).await
}

#[tauri::command]
pub async fn alerts(
    session: Shared<'_>,
    person: String,
    since: Option<String>,
    lang: String,
) -> Answer<Vec<AlertDto>> {
    let since = since.map(|s| wire::parse_date(&s, "since")).transpose()?;
    let lang = wire::parse_lang(&lang)?;
    with_phr(&session, move |phr| {
        let today = phr.local_today(Some(&person), now_utc())?;
        phr.care_alerts(Some(&person), since, today, lang)
    })
    .await
}

/// Everyone in the vault with open alerts by severity, last sync and days
/// since data, for the caregiver's overview.
#[tauri::command]
pub async fn care_overview(session: Shared<'_>) -> Answer<Vec<phr_api::CaredPerson>> {
    with_phr(&session, move |phr| {
        let today = phr.local_today(None, now_utc())?;
        phr.care_people(today)
    })
    .await
}

#[tauri::command]
pub async fn ack_alert(
    session: Shared<'_>,
    id: String,
    note: String,
    lang: String,
) -> Answer<AlertDto> {
    let lang = wire::parse_lang(&lang)?;
    with_phr(&session, move |phr| {
        phr.care_ack(&id, &note, now_utc(), lang)
    })
    .await
}

fn selection(person: String, types: &[String], from: &str, to: &str) -> Answer<Selection> {
    Ok(Selection {
        person: Some(person),
        types: wire::parse_types(types)?,
        from: Some(wire::parse_date(from, "from")?),
        to: Some(wire::parse_date(to, "to")?),
        report_lang: None,
    })
}

#[tauri::command]
pub async fn share_preview(
    session: Shared<'_>,
    person: String,
    types: Vec<String>,
    from: String,
    to: String,
) -> Answer<Preview> {
    let selection = selection(person, &types, &from, &to)?;
    with_phr(&session, move |phr| {
        phr.share_preview(&selection, now_utc())
    })
    .await
}

#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn share(
    session: Shared<'_>,
    person: String,
    types: Vec<String>,
    from: String,
    to: String,
    recipient: Recipient,
    on_progress: Channel<Progress>,
) -> Answer<ShareRecordWire> {
    let selection = selection(person, &types, &from, &to)?;
    let file = match &recipient {
        Recipient::File { path } => Some(wire::absolute_path(path)?),
        Recipient::Fhir { .. } => None,
    };
    with_phr(&session, move |phr| {
        let record = match (&recipient, file) {
            (Recipient::Fhir { url }, _) => phr.share_to_saved(
                &selection,
                url.trim(),
                now_utc(),
                reporter(on_progress.clone(), "sending"),
            )?,
            (Recipient::File { .. }, Some(file)) => {
                let _ = on_progress.send(Progress::stage("writing"));
                phr.export_fhir(&selection, Some(&file), None, None, now_utc())?
            }
            (Recipient::File { path }, None) => {
                return Err(phr_api::ApiError::invalid(format!(
                    "{path:?} is not a full path"
                )))
            }
        };
        let _ = on_progress.send(Progress::stage("done"));
        Ok(ShareRecordWire::from(record))
    })
    .await
}

#[tauri::command]
pub async fn recipients(session: Shared<'_>) -> Answer<Vec<String>> {
    with_phr(&session, |phr| phr.saved_recipients()).await
}

#[tauri::command]
pub async fn shares(session: Shared<'_>) -> Answer<Vec<ShareRecordWire>> {
    with_phr(&session, |phr| {
        Ok(phr.shares()?.into_iter().map(Into::into).collect())
    })
    .await
}

#[tauri::command]
pub async fn audit(session: Shared<'_>) -> Answer<Vec<phr_api::AuditEntry>> {
    with_phr(&session, |phr| phr.audit_log()).await
}

#[tauri::command]
pub async fn settings(session: Shared<'_>) -> Answer<AppSettings> {
    with_phr(&session, |phr| phr.app_settings()).await
}

#[tauri::command]
pub async fn save_settings(
    session: Shared<'_>,
    settings: serde_json::Value,
) -> Answer<AppSettings> {
    let settings = wire::app_settings_from(settings)?;
    let saved = with_phr(&session, move |phr| phr.set_app_settings(&settings)).await?;
    session.set_auto_lock_minutes(saved.auto_lock_minutes);
    Ok(saved)
}

#[tauri::command]
pub async fn alert_settings(session: Shared<'_>, person: String) -> Answer<AlertSettings> {
    with_phr(&session, move |phr| phr.alert_settings(Some(&person))).await
}

#[tauri::command]
pub async fn save_alert_settings(
    session: Shared<'_>,
    person: String,
    settings: serde_json::Value,
) -> Answer<AlertSettings> {
    let settings = wire::alert_settings_from(settings)?;
    with_phr(&session, move |phr| {
        phr.set_alert_settings(Some(&person), &settings)
    })
    .await
}

/// What `make_report` wrote (`ReportResult` in `ui/src/lib/api.ts`).
#[derive(Debug, serde::Serialize)]
pub struct ReportWritten {
    /// Where the file is.
    pub path: String,
    /// Whose report.
    pub person: i64,
    /// First local day.
    pub from: chrono::NaiveDate,
    /// Last local day.
    pub to: chrono::NaiveDate,
    /// `ja` or `en`.
    pub lang: String,
    /// `pdf` or `html`.
    pub format: phr_api::ReportFormat,
    /// Nights in the report.
    pub nights: usize,
    /// Alerts in the report.
    pub alerts: usize,
    /// Size of the file.
    pub bytes: usize,
}

/// The clinician's summary of a person's period, written to `path`
/// (absolute) whole or not at all, and recorded in the audit log.
#[tauri::command]
pub async fn make_report(
    session: Shared<'_>,
    person: String,
    from: String,
    to: String,
    lang: String,
    format: String,
    path: String,
) -> Answer<ReportWritten> {
    let from = wire::parse_date(&from, "from")?;
    let to = wire::parse_date(&to, "to")?;
    let lang = wire::parse_lang(&lang)?;
    let format = match format.as_str() {
        "pdf" => phr_api::ReportFormat::Pdf,
        "html" => phr_api::ReportFormat::Html,
        other => {
            return Err(CommandError::invalid(format!(
                "unknown report format {other:?}: use pdf or html"
            )))
        }
    };
    let out = wire::absolute_path(&path)?;
    with_phr(&session, move |phr| {
        let report = phr.report_to_file(Some(&person), from, to, lang, format, now_utc(), &out)?;
        Ok(ReportWritten {
            path: out.display().to_string(),
            person: report.person,
            from: report.from,
            to: report.to,
            lang: report.lang,
            format: report.format,
            nights: report.nights,
            alerts: report.alerts,
            bytes: report.bytes.len(),
        })
    })
    .await
}
