//! Passphrases: from the environment for scripts, else an interactive prompt
//! on the terminal. Held in zeroizing strings.

use anyhow::{bail, Context};
use zeroize::Zeroizing;

fn from_env(var: &str) -> Option<Zeroizing<String>> {
    std::env::var(var).ok().map(Zeroizing::new)
}

fn prompt(label: &str) -> anyhow::Result<Zeroizing<String>> {
    rpassword::prompt_password(format!("{label}: "))
        .map(Zeroizing::new)
        .with_context(|| {
            format!(
                "cannot ask for the passphrase (no terminal?); set {}",
                "PHR_PASSPHRASE"
            )
        })
}

/// The passphrase of an existing vault.
pub fn existing_passphrase() -> anyhow::Result<Zeroizing<String>> {
    match from_env("PHR_PASSPHRASE") {
        Some(p) => Ok(p),
        None => prompt("Vault passphrase"),
    }
}

/// A new passphrase: from `var`, or typed twice.
pub fn new_passphrase(var: &str, label: &str) -> anyhow::Result<Zeroizing<String>> {
    if let Some(p) = from_env(var) {
        return Ok(p);
    }
    let first = prompt(label).with_context(|| format!("or set {var}"))?;
    let second = prompt("Repeat it")?;
    if *first != *second {
        bail!("the two passphrases differ");
    }
    Ok(first)
}
