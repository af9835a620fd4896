//! The façade's integration tests, one binary: importing files compared
//! with the reference readers, and syncing wearables into a real vault.

mod care_real;
mod files;
mod pyactigraphy;
mod sync;
