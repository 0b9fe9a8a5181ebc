//! The machine-wide locks that keep two measuring runs from timing each other: every run
//! holds the activity lock (shared) while it measures; its timed phase also holds the timing
//! lock (exclusive). A second run waits for the timing lock and says so (or, with
//! `--no-wait`, refuses), and a run that times while another one is building or compressing
//! records that overlap, which it could avoid only by waiting for the other's builds.
//!
//! The locks are files in `WASM_BUDGET_GATE_LOCK_DIR`, else the system temp directory, under
//! the OS's advisory file locks: a run that dies releases them with its descriptors.

use std::fs::{File, TryLockError};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use perf_core::pipeline::{Contention, rounded_millis};

const ACTIVITY: &str = "wasm-budget-gate.active.lock";
const TIMING: &str = "wasm-budget-gate.timing.lock";

/// Where the lock files are.
pub struct Locks {
    dir: PathBuf,
}

/// This run's share of the activity lock, held until it is dropped.
pub struct Activity {
    file: File,
    path: PathBuf,
}

/// The timing lock, held until it is dropped, and what taking it cost.
pub struct Timing {
    _file: File,
    pub contention: Contention,
}

impl Locks {
    /// `WASM_BUDGET_GATE_LOCK_DIR`, else the system temp directory.
    pub fn from_env() -> Locks {
        Locks { dir: std::env::var_os("WASM_BUDGET_GATE_LOCK_DIR").map_or_else(std::env::temp_dir, PathBuf::from) }
    }

    /// Announces this run as active (shared: any number of runs at once).
    pub fn active(&self) -> anyhow::Result<Activity> {
        let (file, path) = self.open(ACTIVITY)?;
        file.lock_shared().with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(Activity { file, path })
    }

    /// Takes the timing lock: at once when it is free; else waits (saying so on stderr) or,
    /// with `wait` false, refuses. Then looks whether another run is active (building or
    /// compressing): it would share the cores with the timings, and the summary says so.
    pub fn timing(&self, activity: &Activity, wait: bool) -> anyhow::Result<Timing> {
        let (file, path) = self.open(TIMING)?;
        let started = Instant::now();
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) if !wait => bail!(
                "another measuring run is timing on this machine (it holds {}); run again when it is done, or \
                 without --no-wait to wait for it",
                path.display()
            ),
            Err(TryLockError::WouldBlock) => {
                eprintln!(
                    "note: another measuring run is timing on this machine (it holds {}); waiting for it, so that \
                     neither times the other",
                    path.display()
                );
                file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
            }
            Err(TryLockError::Error(e)) => return Err(e).with_context(|| format!("cannot lock {}", path.display())),
        }
        let waited_millis = rounded_millis(started.elapsed());
        let others_active = activity.others()?;
        if others_active {
            eprintln!(
                "note: another measuring run is building or compressing on this machine while this one times its \
                 scenarios; the summary records the overlap"
            );
        }
        Ok(Timing { _file: file, contention: Contention { waited_millis, others_active } })
    }

    fn open(&self, name: &str) -> anyhow::Result<(File, PathBuf)> {
        let path = self.dir.join(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        Ok((file, path))
    }
}

impl Activity {
    /// Whether another run holds the activity lock: this run lets go of its own share,
    /// tries for the lock alone, and takes its share back.
    fn others(&self) -> anyhow::Result<bool> {
        let what = || format!("cannot lock {}", self.path.display());
        self.file.unlock().with_context(what)?;
        let alone = match self.file.try_lock() {
            Ok(()) => {
                self.file.unlock().with_context(what)?;
                true
            }
            Err(TryLockError::WouldBlock) => false,
            Err(TryLockError::Error(e)) => return Err(e).with_context(what),
        };
        self.file.lock_shared().with_context(what)?;
        Ok(!alone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One process stands for two runs: each opened lock file is a lock of its own.
    #[test]
    fn a_second_run_is_refused_or_waits_and_an_active_one_is_seen() {
        let dir = std::env::temp_dir().join(format!("xtask-locks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let locks = Locks { dir: dir.clone() };

        let mine = locks.active().unwrap();
        let alone = locks.timing(&mine, false).unwrap();
        assert!(!alone.contention.others_active);

        let other = locks.active().unwrap();
        let e = locks.timing(&other, false).err().unwrap().to_string();
        assert!(e.starts_with("another measuring run is timing on this machine (it holds "), "{e}");
        let released = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(alone);
        });
        let waited = locks.timing(&other, true).unwrap();
        released.join().unwrap();
        assert!(waited.contention.waited_millis >= 250.0, "{:?}", waited.contention);
        assert!(waited.contention.others_active, "the first run is still active");
        drop((mine, waited));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
