//! Poison-tolerant locking. The engine's mutexes guard counters, caches and
//! lists that each holder changes in one short step, so what a thread that
//! panicked while holding one left behind is still usable; going on with it
//! beats turning one panic into a panic in every thread that locks after it.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks `m`, taking the guard even if a thread panicked while holding it.
pub(crate) fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes the value out of `m`, even if a thread panicked while holding it.
pub(crate) fn into_inner<T>(m: Mutex<T>) -> T {
    m.into_inner().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_mutex_still_yields_its_value() {
        let m = Mutex::new(1);
        let poisoned = std::panic::catch_unwind(|| {
            let mut g = m.lock().unwrap();
            *g = 2;
            panic!("holder panics");
        });
        assert!(poisoned.is_err() && m.is_poisoned());
        *lock(&m) += 1;
        assert_eq!(into_inner(m), 3);
    }
}
