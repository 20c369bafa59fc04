//! Ctrl-C and SIGTERM.
//!
//! While a run is writing (an [`Armed`] guard is alive), the first signal only raises a flag: the run stops at
//! its next check, removes its temporary files and says so. At any other time, or on a second
//! signal, the process exits at once (a later run clears what a killed run left behind).

use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code of an interrupted command (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

static ARMED: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler (once per process; later calls do nothing).
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if !ARMED.load(Ordering::SeqCst) || INTERRUPTED.swap(true, Ordering::SeqCst) {
            eprintln!("\ninterrupted");
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
    });
}

/// Whether a signal arrived while armed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// While alive, a signal is deferred to the run instead of ending the process.
pub struct Armed(());

/// Defers signals until the returned guard is dropped.
pub fn arm() -> Armed {
    ARMED.store(true, Ordering::SeqCst);
    Armed(())
}

impl Drop for Armed {
    fn drop(&mut self) {
        ARMED.store(false, Ordering::SeqCst);
    }
}
