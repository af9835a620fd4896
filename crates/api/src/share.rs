//! Sharing with an EHR: the owner's selection becomes FHIR R4 resources,
//! previewed, then sent to a FHIR server or written as files. Every share is
//! recorded (a sealed share record, an audit entry, and a FHIR Consent sent
//! with the data).

use crate::files::{write_atomically, WriteOptions};
use crate::{ApiError, ErrorCode, Phr, Result};
use chrono::NaiveDate;
use phr_fhir::{
    CircadianSummary, ConsentGrant, DailySteps, ExportContext, MinuteActivityDay, PseudonymKey,
    ReportDocument, ReportPeriod, Resource, SharePurpose, SleepSummary, TransactionOptions,
};
use phr_fhir_client::{Auth, FhirClient, RetryPolicy};
use phr_model::{local_midnight, PersonId, SampleKind, Samples, Stamp};
use phr_vault::{AuditAction, AuditEvent};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use zeroize::Zeroizing;

/// The kinds of record an owner can choose to share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShareType {
    /// Daily step totals (LOINC 41950-7).
    Steps,
    /// Sleep episodes, device-reported and detected from actigraphy.
    Sleep,
    /// Minute-level activity counts, one Observation per day.
    Activity,
    /// Circadian rhythm metrics over the period (IS, IV, RA, L5, M10).
    Circadian,
    /// The clinician's summary: a DiagnosticReport over the circadian
    /// Observations (which it brings along) and the PDF as a
    /// DocumentReference. Only when asked for by name.
    Report,
}

impl ShareType {
    /// The types shared when none are named (everything but the report,
    /// which renders a PDF).
    pub const ALL: [ShareType; 4] = [
        ShareType::Steps,
        ShareType::Sleep,
        ShareType::Activity,
        ShareType::Circadian,
    ];

    /// Name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ShareType::Steps => "steps",
            ShareType::Sleep => "sleep",
            ShareType::Activity => "activity",
            ShareType::Circadian => "circadian",
            ShareType::Report => "report",
        }
    }

    /// Parses `steps,sleep,...`.
    pub fn parse_list(text: &str) -> Result<Vec<ShareType>> {
        let mut types = BTreeSet::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let found = ShareType::ALL
                .into_iter()
                .chain([ShareType::Report])
                .find(|t| t.name() == part)
                .ok_or_else(|| {
                    ApiError::invalid(format!(
                        "unknown record type {part:?}: use steps, sleep, activity, circadian, report"
                    ))
                })?;
            types.insert(found);
        }
        if types.is_empty() {
            return Err(ApiError::invalid("choose at least one record type"));
        }
        Ok(types.into_iter().collect())
    }
}

/// What the owner chose to share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The person (id or name); the owner when `None`.
    pub person: Option<String>,
    /// Record types; all when empty.
    pub types: Vec<ShareType>,
    /// First local day; the first day with data when `None`.
    pub from: Option<NaiveDate>,
    /// Last local day (inclusive); the last day with data when `None`.
    pub to: Option<NaiveDate>,
    /// Language of the report ([`ShareType::Report`]); Japanese for people
    /// living in Japan's time zone, English otherwise, when `None`.
    pub report_lang: Option<crate::Lang>,
}

/// How to reach a recipient's FHIR server.
#[derive(Clone)]
pub enum RecipientAuth {
    /// None (loopback servers only).
    None,
    /// A bearer token.
    Bearer(Zeroizing<String>),
    /// SMART Backend Services.
    SmartBackend {
        /// Registered client id.
        client_id: String,
        /// EC P-384 private key, PKCS#8 DER.
        key_pkcs8: Zeroizing<Vec<u8>>,
    },
}

/// Exactly what a share would send.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// The person.
    pub person: i64,
    /// First local day.
    pub from: NaiveDate,
    /// Last local day.
    pub to: NaiveDate,
    /// Observations per record type.
    pub counts: BTreeMap<String, usize>,
    /// Local days with at least one Observation.
    pub days: usize,
    /// Resources in all (Patient, Devices, Consent and Observations).
    pub resources: usize,
    /// One Observation as it will leave, for the owner to inspect.
    pub example: Option<serde_json::Value>,
}

/// The recipient a file export's Consent names: whoever the owner hands
/// the file to (a URI that says so, never the local path).
const FILE_RECIPIENT: &str = "urn:phr-companion:file-export";

/// The record kept of a share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareRecord {
    /// Sequence number.
    pub id: u64,
    /// When (Unix seconds, UTC).
    pub at_utc: i64,
    /// Where the data went (URL, or `file:` path).
    pub recipient: String,
    /// The person.
    pub person: i64,
    /// Record types.
    pub types: Vec<String>,
    /// First local day.
    pub from: NaiveDate,
    /// Last local day.
    pub to: NaiveDate,
    /// Resources selected.
    pub resources: usize,
    /// Entries the recipient created.
    pub created: usize,
    /// Entries the recipient already had.
    pub existing: usize,
    /// Resources that did not arrive (0 when complete).
    pub not_delivered: usize,
    /// `complete`, `failed`, `cancelled` or `written`.
    pub result: String,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// Pseudonymised for research.
    pub pseudonymised: bool,
}

/// Resources made from a selection.
struct Collected {
    context: ExportContext,
    person: PersonId,
    from: NaiveDate,
    to: NaiveDate,
    shared: Vec<Resource>,
    observations: Vec<Resource>,
    counts: BTreeMap<String, usize>,
    days: BTreeSet<NaiveDate>,
}

fn fhir_error(err: phr_fhir::FhirError) -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        format!("building FHIR resources failed: {err}"),
    )
}

const SHARE_NAMESPACE: &str = "share";
const RECIPIENT_NAMESPACE: &str = "recipient";

/// A recipient's stored connection settings (sealed in the vault).
#[derive(Serialize, Deserialize)]
struct StoredRecipient {
    url: String,
    auth: String,
    token: Option<String>,
    client_id: Option<String>,
    key_pkcs8_hex: Option<String>,
}

/// A recipient URL as it may be stored in a share record or audit entry,
/// or shown: no userinfo (`https://user:pass@host` → `https://***@host`) and
/// `***` for the values of token-like query parameters (`token`,
/// `access_token`, `api_key`, `key`, `secret`, `password`, `auth`, `sig`,
/// `signature`, any case).
pub fn redact_url(url: &str) -> String {
    phr_fhir_client::redact_url(url)
}

/// Whether `url` can be shared with, checked without the network: a URL,
/// `https://` unless to this machine, and no credentials in it (a user
/// name, password or token-like parameter: tokens go in the recipient's
/// authentication). `phr share --dry-run` refuses what a share would.
pub fn check_recipient_url(url: &str) -> Result<()> {
    phr_fhir_client::check_base_url(url)
        .map(drop)
        .map_err(|e| ApiError::invalid(e.to_string()))
}

/// `text` (an error, an audit entry's details) with every URL in it
/// redacted as by [`redact_url`].
pub fn redact_urls(text: &str) -> String {
    phr_fhir_client::redact_urls(text)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

impl Phr {
    /// The stable, random, non-identifying key FHIR identifiers are derived
    /// from for a person (created on first use, kept sealed).
    fn person_key(&mut self, person: PersonId) -> Result<String> {
        let key = format!("person-{}", person.0);
        if let Some(bytes) = self.vault.record("fhir", &key)? {
            return String::from_utf8(bytes)
                .map_err(|_| ApiError::new(ErrorCode::Tampered, "person key unreadable"));
        }
        let fresh = crate::random_hex(16)?;
        self.vault
            .put_record("fhir", &key, fresh.as_bytes(), None)?;
        Ok(fresh)
    }

    fn collect(&mut self, selection: &Selection, issued_utc: i64) -> Result<Collected> {
        let person = self.person(selection.person.as_deref())?;
        let zone = crate::zone_of(&person)?;
        let days = self.days_of(&person)?;
        let from = selection.from.or(days.first().map(|d| d.date));
        let to = selection.to.or(days.last().map(|d| d.date));
        let (Some(from), Some(to)) = (from, to) else {
            return Err(ApiError::invalid(format!(
                "{} has no data to share",
                person.display_name
            )));
        };
        if to < from {
            return Err(ApiError::invalid(format!(
                "--to {to} is before --from {from}"
            )));
        }
        let mut types: BTreeSet<ShareType> = if selection.types.is_empty() {
            ShareType::ALL.into_iter().collect()
        } else {
            selection.types.iter().copied().collect()
        };
        if types.contains(&ShareType::Report) {
            // The report's results travel with it.
            types.insert(ShareType::Circadian);
        }
        let range = local_midnight(from, zone)..local_midnight(to.succ_opt().unwrap_or(to), zone);
        let in_range = |stamp: &Stamp| (from..=to).contains(&stamp.local_date());
        let issued =
            Stamp::in_zone(issued_utc, zone).map_err(|e| ApiError::invalid(e.to_string()))?;
        let person_key = self.person_key(person.id)?;
        let context = ExportContext::new(&person_key, issued).map_err(fhir_error)?;
        let mut shared = vec![Resource::from(phr_fhir::patient(&context, &person))];
        let mut observations = Vec::new();
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        let mut covered = BTreeSet::new();
        let mut push =
            |kind: ShareType, date: NaiveDate, obs: Resource, observations: &mut Vec<Resource>| {
                *counts.entry(kind.name().to_string()).or_default() += 1;
                covered.insert(date);
                observations.push(obs);
            };
        for device in self.vault.devices(person.id)? {
            let device_context = context.clone().with_device(&device.source_key);
            let before = observations.len();
            let activity =
                match self
                    .vault
                    .samples(device.id, SampleKind::Activity, range.clone())?
                {
                    Samples::Activity(v) => v,
                    _ => Vec::new(),
                };
            if types.contains(&ShareType::Steps) {
                if let Samples::Steps(steps) =
                    self.vault
                        .samples(device.id, SampleKind::Steps, range.clone())?
                {
                    let mut per_day: BTreeMap<NaiveDate, u64> = BTreeMap::new();
                    for s in steps.iter().filter(|s| in_range(&s.start)) {
                        *per_day.entry(s.start.local_date()).or_default() += u64::from(s.steps);
                    }
                    for (date, total) in per_day {
                        let minutes = activity
                            .iter()
                            .filter(|e| e.at.local_date() == date)
                            .count() as f64;
                        let day_minutes = (phr_model::local_day_seconds(date, zone) / 60) as f64;
                        let day = DailySteps {
                            date,
                            steps: u32::try_from(total).unwrap_or(u32::MAX),
                            completeness: (minutes > 0.0).then(|| (minutes / day_minutes).min(1.0)),
                        };
                        let obs =
                            phr_fhir::daily_steps(&device_context, &day).map_err(fhir_error)?;
                        push(ShareType::Steps, date, obs.into(), &mut observations);
                    }
                }
            }
            if types.contains(&ShareType::Sleep) {
                if let Samples::Sleep(episodes) =
                    self.vault
                        .samples(device.id, SampleKind::Sleep, range.clone())?
                {
                    for episode in episodes.iter().filter(|e| in_range(&e.start)) {
                        let summary = SleepSummary::from_episode(episode);
                        let obs = phr_fhir::sleep_episode(&device_context, &summary)
                            .map_err(fhir_error)?;
                        push(
                            ShareType::Sleep,
                            episode.start.local_date(),
                            obs.into(),
                            &mut observations,
                        );
                    }
                }
            }
            if types.contains(&ShareType::Activity) {
                let mut per_day: BTreeMap<NaiveDate, Vec<Option<u32>>> = BTreeMap::new();
                for e in activity.iter().filter(|e| in_range(&e.at)) {
                    let date = e.at.local_date();
                    let midnight = local_midnight(date, zone);
                    let minutes = (phr_model::local_day_seconds(date, zone) / 60) as usize;
                    let counts = per_day.entry(date).or_insert_with(|| vec![None; minutes]);
                    let idx = ((e.at.utc - midnight) / 60) as usize;
                    if let Some(slot) = counts.get_mut(idx) {
                        *slot = Some(e.count);
                    }
                }
                for (date, counts) in per_day {
                    let start = Stamp::in_zone(local_midnight(date, zone), zone)
                        .map_err(|e| ApiError::invalid(e.to_string()))?;
                    let day = MinuteActivityDay {
                        date,
                        start,
                        counts,
                    };
                    let obs =
                        phr_fhir::minute_activity(&device_context, &day).map_err(fhir_error)?;
                    push(ShareType::Activity, date, obs.into(), &mut observations);
                }
            }
            if observations.len() > before {
                shared.push(phr_fhir::device(&context, &device).into());
            }
        }
        let wants_analysis =
            types.contains(&ShareType::Sleep) || types.contains(&ShareType::Circadian);
        // Activity too coarse for sleep scoring still has a rhythm.
        let report = if wants_analysis {
            self.analysis(&person, from, to, 4.0, false)
                .ok()
                .map(|a| a.report)
        } else {
            None
        };
        let mut circadian_results = Vec::new();
        if let Some(report) = &report {
            if types.contains(&ShareType::Sleep) {
                for night in &report.nights {
                    let Some((start, end)) = night.span(zone) else {
                        continue;
                    };
                    if !in_range(&start) || end.utc <= start.utc {
                        continue;
                    }
                    let summary = SleepSummary {
                        start,
                        end,
                        is_main: night.time_in_bed_minutes >= 180.0,
                        method: "actigraphy: Roenneberg rest period, Cole-Kripke (pyActigraphy 'mean', Webster rescoring)".into(),
                        total_minutes: Some(night.total_sleep_minutes),
                        deep_minutes: None,
                        light_minutes: None,
                        rem_minutes: None,
                        latency_minutes: Some(night.sleep_onset_latency_minutes),
                        waso_minutes: Some(night.waso_minutes),
                        efficiency: Some(night.sleep_efficiency),
                        awakenings: Some(night.awakenings),
                    };
                    let obs = phr_fhir::sleep_episode(&context, &summary).map_err(fhir_error)?;
                    push(
                        ShareType::Sleep,
                        start.local_date(),
                        obs.into(),
                        &mut observations,
                    );
                }
            }
            if types.contains(&ShareType::Circadian) {
                for (metrics, binarized) in [(&report.raw, false), (&report.binarized, true)] {
                    if metrics.is.is_none() && metrics.l5.is_none() {
                        continue;
                    }
                    let circadian = CircadianSummary {
                        period_from: from,
                        period_to: to,
                        metrics: metrics.metrics(),
                        binarized,
                        threshold: metrics.threshold,
                    };
                    let obs =
                        phr_fhir::circadian_metrics(&context, &circadian).map_err(fhir_error)?;
                    circadian_results.push(obs.clone());
                    push(ShareType::Circadian, to, obs.into(), &mut observations);
                }
            }
        }
        if types.contains(&ShareType::Report) {
            let lang = selection
                .report_lang
                .unwrap_or(if person.time_zone == "Asia/Tokyo" {
                    crate::Lang::Ja
                } else {
                    crate::Lang::En
                });
            let id = person.id.0.to_string();
            let (title, summary, pdf) = self.report_pdf(&id, from, to, lang, issued_utc)?;
            let period = ReportPeriod { from, to };
            let diagnostic =
                phr_fhir::diagnostic_report(&context, period, &circadian_results, Some(&summary))
                    .map_err(fhir_error)?;
            let document = ReportDocument {
                period,
                content_type: "application/pdf".into(),
                title,
                bytes: pdf,
            };
            let document = phr_fhir::document_reference(&context, &document).map_err(fhir_error)?;
            *counts
                .entry(ShareType::Report.name().to_string())
                .or_default() += 2;
            observations.push(diagnostic.into());
            observations.push(document.into());
        }
        Ok(Collected {
            context,
            person: person.id,
            from,
            to,
            shared,
            observations,
            counts,
            days: covered,
        })
    }

    fn preview_of(collected: &Collected, resources: usize) -> Result<Preview> {
        let example = collected
            .observations
            .first()
            .map(|r| {
                serde_json::to_value(r)
                    .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))
            })
            .transpose()?;
        Ok(Preview {
            person: collected.person.0,
            from: collected.from,
            to: collected.to,
            counts: collected.counts.clone(),
            days: collected.days.len(),
            resources,
            example,
        })
    }

    fn consent_for(
        collected: &Collected,
        recipient: &str,
        purpose: SharePurpose,
    ) -> Result<Resource> {
        let grant = ConsentGrant {
            recipient_system: "urn:ietf:rfc:3986".into(),
            recipient_id: recipient.to_string(),
            purpose,
            data_from: collected.from,
            data_to: collected.to,
            granted: collected.context.issued(),
            expires: None,
        };
        Ok(phr_fhir::consent(&collected.context, &grant)
            .map_err(fhir_error)?
            .into())
    }

    /// What sharing `selection` would send, without sending or recording
    /// anything. `now_utc` is the time written into the resources.
    pub fn share_preview(&mut self, selection: &Selection, now_utc: i64) -> Result<Preview> {
        let collected = self.collect(selection, now_utc)?;
        let total = collected.shared.len() + collected.observations.len() + 1;
        Self::preview_of(&collected, total)
    }

    /// Sends `selection` to the FHIR server at `url` as transaction bundles
    /// of at most `max_entries` entries (conditional creates, so a resend
    /// creates nothing new), with a Consent recording the owner's choice.
    /// The share is recorded whatever happens; on failure the error says
    /// what did not arrive.
    pub fn share(
        &mut self,
        selection: &Selection,
        url: &str,
        auth: RecipientAuth,
        max_entries: usize,
        now_utc: i64,
        mut progress: impl FnMut(crate::Progress),
    ) -> Result<ShareRecord> {
        self.start_cancellable();
        let auth = match auth {
            RecipientAuth::None => Auth::None,
            RecipientAuth::Bearer(token) => Auth::Bearer(token),
            RecipientAuth::SmartBackend {
                client_id,
                key_pkcs8,
            } => Auth::SmartBackend {
                client_id,
                key_pkcs8,
                scope: "system/*.cruds".into(),
            },
        };
        let mut client = FhirClient::new(url, auth, RetryPolicy::default())
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        let collected = self.collect(selection, now_utc)?;
        // Credentials in the URL never reach the record, the audit log or
        // the Consent.
        let recipient = redact_url(client.base().as_str());
        let mut resources = collected.observations.clone();
        resources.push(Self::consent_for(
            &collected,
            &recipient,
            SharePurpose::Treatment,
        )?);
        let options = TransactionOptions {
            max_entries: max_entries.max(4),
            provenance: Some(&collected.context),
        };
        let bundles = phr_fhir::transaction_bundles(&collected.shared, &resources, &options)
            .map_err(fhir_error)?;
        let shared_ids: BTreeSet<String> = collected
            .shared
            .iter()
            .filter_map(|r| phr_fhir::stable_id_of(r).map(|i| i.value().to_string()))
            .collect();
        let carried = |bundle: &phr_fhir::Bundle| {
            bundle
                .entry
                .iter()
                .filter_map(|e| e.resource.as_ref())
                .filter(|r| !matches!(r, Resource::Provenance(_)))
                .filter(|r| {
                    phr_fhir::stable_id_of(r).is_none_or(|i| !shared_ids.contains(i.value()))
                })
                .count()
        };
        let mut record = ShareRecord {
            id: 0,
            at_utc: now_utc,
            recipient,
            person: collected.person.0,
            types: collected.counts.keys().cloned().collect(),
            from: collected.from,
            to: collected.to,
            resources: collected.shared.len() + resources.len(),
            created: 0,
            existing: 0,
            not_delivered: 0,
            result: "complete".into(),
            error: None,
            pseudonymised: false,
        };
        let total = Some(bundles.len() as u64);
        for (idx, bundle) in bundles.iter().enumerate() {
            progress(crate::Progress {
                done: idx as u64,
                total,
            });
            if self.check_cancelled("the share").is_err() {
                record.not_delivered = bundles[idx..].iter().map(carried).sum();
                record.result = "cancelled".into();
                record.error = Some(format!(
                    "cancelled by the owner before bundle {} of {}",
                    idx + 1,
                    bundles.len()
                ));
                break;
            }
            match client.send_transaction(bundle) {
                Ok(outcome) => {
                    record.created += outcome.created;
                    record.existing += outcome.existing;
                }
                Err(err) => {
                    record.not_delivered = bundles[idx..].iter().map(carried).sum();
                    record.result = "failed".into();
                    record.error = Some(redact_urls(&format!(
                        "bundle {} of {}: {err}",
                        idx + 1,
                        bundles.len()
                    )));
                    break;
                }
            }
        }
        progress(crate::Progress {
            done: bundles.len() as u64,
            total,
        });
        let record = self.record_share(record)?;
        let code = if record.result == "cancelled" {
            ErrorCode::Cancelled
        } else {
            ErrorCode::Remote
        };
        match &record.error {
            None => Ok(record),
            Some(error) => Err(ApiError::new(
                code,
                format!(
                    "{error}; {} of {} records did not arrive (share {} recorded)",
                    record.not_delivered,
                    resources.len(),
                    record.id
                ),
            )),
        }
    }

    /// Writes `selection` as a FHIR collection bundle (`out`) and/or NDJSON
    /// files per resource type (`ndjson_dir`, FHIR Bulk Data layout). With
    /// `pseudonymise_for`, identifiers become keyed pseudonyms for that
    /// recipient, dates shift by its secret offset and free text is dropped.
    pub fn export_fhir(
        &mut self,
        selection: &Selection,
        out: Option<&Path>,
        ndjson_dir: Option<&Path>,
        pseudonymise_for: Option<&str>,
        now_utc: i64,
    ) -> Result<ShareRecord> {
        if out.is_none() && ndjson_dir.is_none() {
            return Err(ApiError::invalid("give --out FILE and/or --ndjson DIR"));
        }
        if pseudonymise_for.is_some() && selection.types.contains(&ShareType::Report) {
            return Err(ApiError::invalid(
                "the report names the person in its PDF, so it cannot be pseudonymised; \
                 leave `report` out of --types",
            ));
        }
        let collected = self.collect(selection, now_utc)?;
        let destination = out
            .or(ndjson_dir)
            .map(|p| format!("file:{}", p.display()))
            .unwrap_or_default();
        let purpose = if pseudonymise_for.is_some() {
            SharePurpose::Research
        } else {
            SharePurpose::Treatment
        };
        let mut all = collected.shared.clone();
        all.extend(collected.observations.iter().cloned());
        // The Consent travels with the file: it names no local path (the
        // owner's own share record keeps where the file was written).
        all.push(Self::consent_for(&collected, FILE_RECIPIENT, purpose)?);
        all.push(
            phr_fhir::provenance(&collected.context, &collected.observations)
                .map_err(fhir_error)?
                .into(),
        );
        if let Some(recipient) = pseudonymise_for {
            let secret = self.recipient_secret(recipient)?;
            let key = PseudonymKey::derive(&secret).map_err(fhir_error)?;
            all = phr_fhir::pseudonymise(&all, collected.context.person_key(), &key)
                .map_err(fhir_error)?;
        }
        let write = |path: &Path, text: &str| {
            write_atomically(path, text.as_bytes(), WriteOptions::REPLACE)
        };
        if let Some(out) = out {
            let stamp = collected.context.issued().fixed().to_rfc3339();
            let bundle = phr_fhir::collection_bundle(&all, &stamp).map_err(fhir_error)?;
            let text = serde_json::to_string_pretty(&bundle)
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
            write(out, &text)?;
        }
        if let Some(dir) = ndjson_dir {
            std::fs::create_dir_all(dir).map_err(|e| {
                ApiError::new(
                    ErrorCode::Io,
                    format!("cannot create {}: {e}", dir.display()),
                )
            })?;
            for (name, text) in phr_fhir::ndjson_files(&all).map_err(fhir_error)? {
                write(&dir.join(name), &text)?;
            }
        }
        let record = ShareRecord {
            id: 0,
            at_utc: now_utc,
            recipient: destination,
            person: collected.person.0,
            types: collected.counts.keys().cloned().collect(),
            from: collected.from,
            to: collected.to,
            resources: all.len(),
            created: 0,
            existing: 0,
            not_delivered: 0,
            result: "written".into(),
            error: None,
            pseudonymised: pseudonymise_for.is_some(),
        };
        self.record_share(record)
    }

    /// [`Phr::share`] with the credentials given now, or else those saved
    /// for `url` (none if nothing was saved). Credentials given are kept
    /// sealed for `url` only after a complete share, so later shares to it
    /// need no secrets; refused, failed or cancelled ones save nothing.
    pub fn share_with_credentials(
        &mut self,
        selection: &Selection,
        url: &str,
        given: Option<RecipientAuth>,
        max_entries: usize,
        now_utc: i64,
        progress: impl FnMut(crate::Progress),
    ) -> Result<ShareRecord> {
        let auth = match &given {
            Some(auth) => auth.clone(),
            None => self.saved_recipient(url)?.unwrap_or(RecipientAuth::None),
        };
        let record = self.share(selection, url, auth, max_entries, now_utc, progress)?;
        if let Some(auth) = &given {
            self.save_recipient(url, auth)?;
        }
        Ok(record)
    }

    /// Keeps a recipient's URL and credentials sealed in the vault, so later
    /// shares to the same URL need no secrets on the command line.
    pub fn save_recipient(&mut self, url: &str, auth: &RecipientAuth) -> Result<()> {
        check_recipient_url(url)?;
        let stored = match auth {
            RecipientAuth::None => StoredRecipient {
                url: url.into(),
                auth: "none".into(),
                token: None,
                client_id: None,
                key_pkcs8_hex: None,
            },
            RecipientAuth::Bearer(token) => StoredRecipient {
                url: url.into(),
                auth: "bearer".into(),
                token: Some(token.to_string()),
                client_id: None,
                key_pkcs8_hex: None,
            },
            RecipientAuth::SmartBackend {
                client_id,
                key_pkcs8,
            } => StoredRecipient {
                url: url.into(),
                auth: "smart-backend".into(),
                token: None,
                client_id: Some(client_id.clone()),
                key_pkcs8_hex: Some(hex(key_pkcs8)),
            },
        };
        let value = Zeroizing::new(
            serde_json::to_vec(&stored)
                .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?,
        );
        self.vault.put_record(
            RECIPIENT_NAMESPACE,
            &self.vault.lookup_key(RECIPIENT_NAMESPACE, url)?,
            &value,
            None,
        )?;
        Ok(())
    }

    /// The credentials saved for a recipient URL, if any.
    pub fn saved_recipient(&self, url: &str) -> Result<Option<RecipientAuth>> {
        let Some(value) = self.vault.record(
            RECIPIENT_NAMESPACE,
            &self.vault.lookup_key(RECIPIENT_NAMESPACE, url)?,
        )?
        else {
            return Ok(None);
        };
        let value = Zeroizing::new(value);
        let stored: StoredRecipient = serde_json::from_slice(&value)
            .map_err(|_| ApiError::new(ErrorCode::Tampered, "saved recipient unreadable"))?;
        Ok(Some(match stored.auth.as_str() {
            "bearer" => RecipientAuth::Bearer(Zeroizing::new(stored.token.unwrap_or_default())),
            "smart-backend" => RecipientAuth::SmartBackend {
                client_id: stored.client_id.unwrap_or_default(),
                key_pkcs8: Zeroizing::new(
                    stored
                        .key_pkcs8_hex
                        .as_deref()
                        .and_then(unhex)
                        .unwrap_or_default(),
                ),
            },
            _ => RecipientAuth::None,
        }))
    }

    /// The per-recipient secret for pseudonyms and date shifts (created on
    /// first use, kept sealed).
    fn recipient_secret(&mut self, recipient: &str) -> Result<Zeroizing<Vec<u8>>> {
        let key = self.vault.lookup_key("pseudonym-secret", recipient)?;
        if let Some(secret) = self.vault.record("pseudonym-secret", &key)? {
            return Ok(Zeroizing::new(secret));
        }
        let secret = Zeroizing::new(crate::random_hex(32)?.into_bytes());
        self.vault
            .put_record("pseudonym-secret", &key, &secret, None)?;
        Ok(secret)
    }

    fn record_share(&mut self, mut record: ShareRecord) -> Result<ShareRecord> {
        record.id = self.vault.records(SHARE_NAMESPACE)?.len() as u64 + 1;
        let value = serde_json::to_vec(&record)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        let detail = format!(
            "share {} of person {} ({}; {} to {}) to {}: {}, {} resources, {} created, {} already there, {} not delivered{}",
            record.id,
            record.person,
            record.types.join(","),
            record.from,
            record.to,
            record.recipient,
            record.result,
            record.resources,
            record.created,
            record.existing,
            record.not_delivered,
            if record.pseudonymised { ", pseudonymised" } else { "" }
        );
        let action = if record.recipient.starts_with("file:") {
            AuditAction::Export
        } else {
            AuditAction::Share
        };
        self.vault.put_record(
            SHARE_NAMESPACE,
            &format!("{:08}", record.id),
            &value,
            Some(&AuditEvent::new(action, detail)),
        )?;
        Ok(record)
    }

    /// Every share and FHIR export recorded, oldest first, with URLs
    /// redacted (records made before redaction included).
    pub fn shares(&self) -> Result<Vec<ShareRecord>> {
        self.vault
            .records(SHARE_NAMESPACE)?
            .into_iter()
            .map(|(_, value)| {
                let mut record: ShareRecord = serde_json::from_slice(&value).map_err(|_| {
                    ApiError::new(ErrorCode::Tampered, "a share record is unreadable")
                })?;
                record.recipient = redact_urls(&record.recipient);
                record.error = record.error.as_deref().map(redact_urls);
                Ok(record)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_saved_only_after_a_complete_share() {
        let (_dir, mut phr) = crate::app::tests::vault();
        let url = "http://127.0.0.1:9/fhir";
        let selection = Selection {
            person: None,
            types: Vec::new(),
            from: None,
            to: None,
            report_lang: None,
        };
        // Nothing saved, nothing given: no authentication, nothing saved.
        let err = phr
            .share_with_credentials(&selection, url, None, 8, 0, |_| {})
            .unwrap_err();
        assert!(err.message.contains("no data to share"), "{err}");
        assert!(phr.saved_recipient(url).unwrap().is_none());
        // A token given for a share that fails is not kept.
        let token = RecipientAuth::Bearer(Zeroizing::new("t0ken".into()));
        assert!(phr
            .share_with_credentials(&selection, url, Some(token), 8, 0, |_| {})
            .is_err());
        assert!(
            phr.saved_recipient(url).unwrap().is_none(),
            "a failed share saved its token"
        );
    }
}
