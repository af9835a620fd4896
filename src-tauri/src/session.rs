//! The app's one piece of state: the open vault (or none), the cancel flag
//! of its running operation, and the idle clock that locks it.
//!
//! Lock order: `phr` before `cancel`; `idle` is never held with either.

use crate::error::CommandError;
use phr_api::Phr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Locks a mutex, taking the value over if a panicking thread left it
/// poisoned (the façade keeps the vault consistent by transactions).
fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The oldest input a report may date: the UI reports input at most every
/// 30 s, so it has no older one to tell unless its timer ran late.
pub const MAX_INPUT_AGE: Duration = Duration::from_secs(60);

/// When the vault was last used, and how long it may sit idle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleClock {
    last_use: Instant,
    limit: Duration,
}

impl IdleClock {
    /// A clock started at `now` that expires after `minutes` idle.
    pub fn new(now: Instant, minutes: u32) -> Self {
        IdleClock {
            last_use: now,
            limit: Duration::from_secs(u64::from(minutes.max(1)) * 60),
        }
    }

    /// Records a use at `now`.
    pub fn touch(&mut self, now: Instant) {
        self.last_use = self.last_use.max(now);
    }

    /// Changes the idle limit (counting from the last use).
    pub fn set_minutes(&mut self, minutes: u32) {
        self.limit = Duration::from_secs(u64::from(minutes.max(1)) * 60);
    }

    /// Whether the vault has sat idle for the whole limit at `now`.
    pub fn expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_use) >= self.limit
    }
}

/// The vault path: `PHR_VAULT` when set (and not empty), else the platform
/// default.
pub fn vault_path_from(
    env: Option<std::ffi::OsString>,
    default: Option<PathBuf>,
) -> Option<PathBuf> {
    env.filter(|v| !v.is_empty()).map(PathBuf::from).or(default)
}

/// The app's state, shared by every command (`tauri::State<Arc<Session>>`).
pub struct Session {
    vault_path: Option<PathBuf>,
    phr: Mutex<Option<Phr>>,
    /// The open vault's cancel flag, kept apart so `cancel` never waits for
    /// the vault (which the running operation holds). `Some` = unlocked.
    cancel: Mutex<Option<Arc<AtomicBool>>>,
    idle: Mutex<IdleClock>,
}

impl Session {
    /// No vault open yet.
    pub fn new(vault_path: Option<PathBuf>) -> Self {
        Session {
            vault_path,
            phr: Mutex::new(None),
            cancel: Mutex::new(None),
            idle: Mutex::new(IdleClock::new(
                Instant::now(),
                phr_api::DEFAULT_AUTO_LOCK_MINUTES,
            )),
        }
    }

    /// Where the vault lives.
    pub fn vault_path(&self) -> Result<&Path, CommandError> {
        self.vault_path.as_deref().ok_or_else(|| {
            CommandError::internal(
                "This system has no data directory for the vault; set PHR_VAULT to a file path.",
            )
        })
    }

    /// Whether a vault is open.
    pub fn is_unlocked(&self) -> bool {
        guard(&self.cancel).is_some()
    }

    /// Records a use of the vault now.
    pub fn touch(&self) {
        guard(&self.idle).touch(Instant::now());
    }

    /// Records input in the window (key, pointer, wheel, touch) that
    /// happened `ago` before `now`, as a use of the vault then. Only while
    /// the vault is open; a report of input older than [`MAX_INPUT_AGE`]
    /// is stale (a timer that ran late) and ignored, and an input never
    /// moves the clock back, so reports keep the vault open only as long as
    /// real input keeps coming.
    pub fn input_seen(&self, ago: Duration, now: Instant) {
        if ago > MAX_INPUT_AGE || !self.is_unlocked() {
            return;
        }
        let at = now.checked_sub(ago).unwrap_or(now);
        guard(&self.idle).touch(at);
    }

    /// Changes the idle time before the vault locks.
    pub fn set_auto_lock_minutes(&self, minutes: u32) {
        guard(&self.idle).set_minutes(minutes);
    }

    /// Makes `phr` the open vault (replacing any other) and takes its
    /// auto-lock time from the app settings.
    pub fn open(&self, phr: Phr) {
        let minutes = phr
            .app_settings()
            .map_or(phr_api::DEFAULT_AUTO_LOCK_MINUTES, |s| s.auto_lock_minutes);
        {
            let mut idle = guard(&self.idle);
            idle.set_minutes(minutes);
            idle.touch(Instant::now());
        }
        let flag = phr.cancel_flag();
        let mut slot = guard(&self.phr);
        if let Some(mut old) = slot.replace(phr) {
            old.lock();
        }
        *guard(&self.cancel) = Some(flag);
    }

    /// Runs `f` on the open vault (blocking: call it off the main thread).
    pub fn with_phr<T>(
        &self,
        f: impl FnOnce(&mut Phr) -> phr_api::Result<T>,
    ) -> Result<T, CommandError> {
        self.touch();
        let result = {
            let mut slot = guard(&self.phr);
            let phr = slot.as_mut().ok_or_else(CommandError::locked)?;
            f(phr).map_err(CommandError::from)
        };
        // A long operation counts as use until it ends.
        self.touch();
        result
    }

    /// Asks the running import, sync or share to stop.
    pub fn cancel(&self) {
        if let Some(flag) = guard(&self.cancel).as_ref() {
            flag.store(true, Ordering::SeqCst);
        }
    }

    /// Locks the vault now: the running operation is cancelled, then the
    /// key is zeroized and the vault closed.
    pub fn lock(&self) {
        self.cancel();
        let mut slot = guard(&self.phr);
        Self::close(&mut slot, &self.cancel);
    }

    fn close(slot: &mut Option<Phr>, cancel: &Mutex<Option<Arc<AtomicBool>>>) {
        if let Some(mut phr) = slot.take() {
            phr.lock();
        }
        *guard(cancel) = None;
    }

    /// Locks the vault if it has sat idle for the auto-lock time at `now`
    /// and no operation is running. Returns whether it locked.
    pub fn lock_if_idle(&self, now: Instant) -> bool {
        if !self.is_unlocked() || !guard(&self.idle).expired(now) {
            return false;
        }
        // An operation holding the vault is not idle.
        let Ok(mut slot) = self.phr.try_lock() else {
            return false;
        };
        if slot.is_none() {
            return false;
        }
        Self::close(&mut slot, &self.cancel);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_clock_expires_after_its_limit_and_restarts_on_use() {
        let start = Instant::now();
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let mut clock = IdleClock::new(start, 5);
        assert!(!clock.expired(start));
        assert!(!clock.expired(start + minutes(4)));
        assert!(clock.expired(start + minutes(5)));
        clock.touch(start + minutes(4));
        assert!(!clock.expired(start + minutes(8)));
        assert!(clock.expired(start + minutes(9)));
        // An older use never moves the clock back.
        clock.touch(start);
        assert!(clock.expired(start + minutes(9)));
        clock.set_minutes(15);
        assert!(!clock.expired(start + minutes(9)));
        assert!(clock.expired(start + minutes(19)));
        // Zero would lock at once; the least is one minute.
        assert!(!IdleClock::new(start, 0).expired(start + Duration::from_secs(59)));
    }

    #[test]
    fn vault_path_prefers_a_non_empty_phr_vault() {
        let default = Some(PathBuf::from("/home/h/.local/share/phr/vault.phr"));
        assert_eq!(
            vault_path_from(Some("/tmp/v.phr".into()), default.clone()),
            Some(PathBuf::from("/tmp/v.phr"))
        );
        assert_eq!(vault_path_from(Some("".into()), default.clone()), default);
        assert_eq!(vault_path_from(None, default.clone()), default);
        assert_eq!(vault_path_from(None, None), None);
    }

    fn open_session() -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.phr");
        let phr = Phr::init(&path, "correct horse battery", "Hana", "Asia/Tokyo").unwrap();
        let session = Session::new(Some(path));
        session.open(phr);
        (dir, session)
    }

    #[test]
    fn locked_session_refuses_with_the_locked_code() {
        let session = Session::new(None);
        assert!(!session.is_unlocked());
        let err = session.with_phr(|phr| phr.people()).unwrap_err();
        assert_eq!(err.code, "locked");
        assert_eq!(session.vault_path().unwrap_err().code, "internal");
    }

    #[test]
    fn lock_closes_the_vault_and_cancel_raises_its_flag() {
        let (_dir, session) = open_session();
        assert!(session.is_unlocked());
        let flag = session.with_phr(|phr| Ok(phr.cancel_flag())).unwrap();
        assert!(!flag.load(Ordering::SeqCst));
        session.cancel();
        assert!(flag.load(Ordering::SeqCst));
        session.lock();
        assert!(!session.is_unlocked());
        assert_eq!(
            session.with_phr(|phr| phr.people()).unwrap_err().code,
            "locked"
        );
    }

    #[test]
    fn cancel_reaches_an_operation_that_holds_the_vault() {
        let (dir, session) = open_session();
        let csv = dir.path().join("week.csv");
        let rows: String = (0..120)
            .map(|m| format!("2026-03-01 {:02}:{:02}:00,{}\n", m / 60, m % 60, m % 7))
            .collect();
        std::fs::write(&csv, format!("timestamp,count\n{rows}")).unwrap();
        // The import's progress callback runs while the import holds the
        // vault; cancelling from there must not wait for it.
        let err = session
            .with_phr(|phr| phr.import_file(&csv, None, None, |_| session.cancel()))
            .unwrap_err();
        assert_eq!(err.code, "cancelled");
        let days = session.with_phr(|phr| phr.days(None)).unwrap();
        assert!(days.is_empty(), "nothing from a cancelled import is stored");
        // The next operation starts with the flag cleared.
        let summary = session
            .with_phr(|phr| phr.import_file(&csv, None, None, |_| {}))
            .unwrap();
        assert_eq!(summary.added, 120);
    }

    #[test]
    fn idle_lock_waits_for_the_limit_and_for_running_work() {
        let (_dir, session) = open_session();
        let now = Instant::now();
        assert!(!session.lock_if_idle(now));
        let later = now + Duration::from_secs(phr_api::DEFAULT_AUTO_LOCK_MINUTES as u64 * 60 + 1);
        // Busy: an operation holds the vault.
        {
            let _busy = session.phr.lock().unwrap();
            assert!(!session.lock_if_idle(later));
        }
        assert!(session.lock_if_idle(later));
        assert!(!session.is_unlocked());
        // Nothing left to lock.
        assert!(!session.lock_if_idle(later));
    }

    #[test]
    fn input_in_the_window_counts_as_use_when_it_happened() {
        let (_dir, session) = open_session();
        let limit = Duration::from_secs(phr_api::DEFAULT_AUTO_LOCK_MINUTES as u64 * 60);
        let start = Instant::now();
        // Input reported 20 s after it happened is dated then, not at the report.
        let report = start + limit - Duration::from_secs(10);
        session.input_seen(Duration::from_secs(20), report);
        let input = report - Duration::from_secs(20);
        assert!(!session.lock_if_idle(start + limit));
        assert!(!session.lock_if_idle(input + limit - Duration::from_secs(1)));
        // A stale report (older than MAX_INPUT_AGE) and one while locked change nothing.
        session.input_seen(MAX_INPUT_AGE + Duration::from_secs(1), input + limit);
        session.input_seen(Duration::from_secs(u64::MAX / 4), input + limit);
        assert!(session.lock_if_idle(input + limit));
        session.input_seen(Duration::ZERO, input + limit);
        assert!(!session.is_unlocked());
    }

    #[test]
    fn auto_lock_time_comes_from_the_app_settings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.phr");
        let mut phr = Phr::init(&path, "correct horse battery", "Hana", "Asia/Tokyo").unwrap();
        let mut settings = phr.app_settings().unwrap();
        settings.auto_lock_minutes = 30;
        phr.set_app_settings(&settings).unwrap();
        let session = Session::new(Some(path));
        session.open(phr);
        let now = Instant::now();
        assert!(!session.lock_if_idle(now + Duration::from_secs(29 * 60)));
        assert!(session.lock_if_idle(now + Duration::from_secs(31 * 60)));
    }
}
