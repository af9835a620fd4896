//! Sharing with an EHR: `phr share`, `phr shares` and `phr fhir-key`.

use crate::args::ShareArgs;
use crate::output::{bar, print_json, utc_time};
use crate::Context;
use anyhow::{bail, Context as _};
use phr_api::RecipientAuth;
use std::path::Path;

/// `phr share`: the selection to a FHIR server, or `--dry-run` what would
/// leave.
pub fn run(cx: &Context, args: &ShareArgs) -> anyhow::Result<()> {
    let (url, last_day) = args.url_and_last_day()?;
    let mut phr = cx.open()?;
    let selection = args.selection(last_day)?;
    let now = chrono::Utc::now().timestamp();
    if args.dry_run {
        phr_api::check_recipient_url(&url)?;
        let preview = phr.share_preview(&selection, now)?;
        if cx.json {
            print_json(&preview)?;
        } else {
            print_preview(&preview, &phr_api::redact_url(&url));
        }
        return Ok(());
    }
    let given = given_auth(args)?;
    let bar = bar("sending {bar:30} {pos}/{len} bundles {eta}");
    let record = phr.share_with_credentials(&selection, &url, given, args.bundle_size, now, |p| {
        bar.set_length(p.total.unwrap_or(0));
        bar.set_position(p.done);
    });
    bar.finish_and_clear();
    let record = record?;
    if cx.json {
        return print_json(&record);
    }
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
    Ok(())
}

/// The credentials given on the command line, if `--auth` was.
fn given_auth(args: &ShareArgs) -> anyhow::Result<Option<RecipientAuth>> {
    Ok(Some(match args.auth.as_deref() {
        None => return Ok(None),
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
    }))
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

/// `phr shares`: every share and FHIR export recorded.
pub fn list(cx: &Context) -> anyhow::Result<()> {
    let phr = cx.open()?;
    let shares = phr.shares()?;
    if cx.json {
        print_json(&shares)?;
    } else if shares.is_empty() {
        println!("Nothing has been shared or exported yet.");
    } else {
        for r in shares {
            println!(
                "{:>4}  {}  {:<8} person {}  {} to {}  {}  -> {}{}",
                r.id,
                utc_time(r.at_utc),
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
    Ok(())
}

/// `phr fhir-key --out FILE`: a new key, written owner-only to a file that
/// must not exist yet; its JWKS on standard output.
pub fn fhir_key(cx: &Context, out: &Path) -> anyhow::Result<()> {
    let key = phr_api::generate_es384_key()?;
    phr_api::write_atomically(
        out,
        phr_api::private_key_pem(&key).as_bytes(),
        phr_api::WriteOptions::PRIVATE_NEW,
    )?;
    let jwks = serde_json::json!({"keys": [phr_api::es384_jwk(&key)?]});
    print_json(&jwks)?;
    if !cx.json {
        eprintln!(
            "Private key written to {}; register the JWKS above with the EHR.",
            out.display()
        );
    }
    Ok(())
}
