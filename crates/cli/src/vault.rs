//! The vault itself: `init`, `passwd`, `audit`, `verify`, `people`.

use crate::args::PeopleAction;
use crate::output::{print_json, utc_time};
use crate::{passphrase, Context};
use phr_api::{ApiError, ErrorCode, Phr};

/// `phr init`: a new encrypted vault for its owner.
pub fn init(cx: &Context, name: &str, tz: &str) -> anyhow::Result<()> {
    let passphrase = passphrase::new_passphrase("PHR_PASSPHRASE", "New vault passphrase")?;
    Phr::init(&cx.path, &passphrase, name, tz)?;
    if cx.json {
        print_json(&serde_json::json!({"vault": cx.path, "owner": name, "time_zone": tz}))?;
    } else {
        println!(
            "Created encrypted vault {} for {name} ({tz}).",
            cx.path.display()
        );
    }
    Ok(())
}

/// `phr passwd`: a new passphrase.
pub fn passwd(cx: &Context) -> anyhow::Result<()> {
    let mut phr = cx.open()?;
    let new = passphrase::new_passphrase("PHR_NEW_PASSPHRASE", "New passphrase")?;
    phr.change_passphrase(&new)?;
    if cx.json {
        print_json(&serde_json::json!({"changed": true}))?;
    } else {
        println!("Passphrase changed; the old one no longer opens the vault.");
    }
    Ok(())
}

/// `phr audit [--verify]`: the audit log, or a check of its chain.
pub fn audit(cx: &Context, verify: bool) -> anyhow::Result<()> {
    let phr = cx.open()?;
    if verify {
        let entries = phr.verify_audit()?;
        if cx.json {
            print_json(&serde_json::json!({"intact": true, "entries": entries}))?;
        } else {
            println!("Audit log intact: {entries} entries, chain and sealed head agree.");
        }
        return Ok(());
    }
    let log = phr.audit_log()?;
    if cx.json {
        print_json(&log)?;
    } else {
        for entry in log {
            println!(
                "{:>5}  {}  {:<17} {}",
                entry.seq,
                utc_time(entry.at_utc),
                entry.action,
                entry.detail
            );
        }
    }
    Ok(())
}

/// `phr verify`: every sealed record checked; damage is an integrity
/// failure (exit 4).
pub fn verify(cx: &Context) -> anyhow::Result<()> {
    let phr = cx.open()?;
    let report = phr.verify()?;
    if cx.json {
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
    if let Some(first) = report.problems.first() {
        return Err(ApiError::new(
            ErrorCode::Tampered,
            format!(
                "{} problem(s) found; the first: {first}",
                report.problems.len()
            ),
        )
        .into());
    }
    Ok(())
}

/// `phr people [add NAME]`: the people (as `phr care people` lists them),
/// or someone new.
pub fn people(cx: &Context, action: Option<PeopleAction>) -> anyhow::Result<()> {
    let Some(PeopleAction::Add { name, tz }) = action else {
        return crate::care::people(cx);
    };
    let mut phr = cx.open()?;
    let person = phr.add_person(&name, &tz)?;
    if cx.json {
        print_json(&person)?;
    } else {
        println!(
            "Added {} (person {}, {}).",
            person.display_name, person.id.0, person.time_zone
        );
    }
    Ok(())
}
