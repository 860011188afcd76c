//! The one clock every front door reads `now` from.
//!
//! Domain functions never read the time themselves; they take `now` from the
//! edge (resolver, page handler, job, CLI), and the edge takes it from here.
//! In production that is the system clock. Tests build the app with a clock
//! that starts at an instant they choose and that they can move forward, so
//! a rule about "30 days after" or "before the day starts" is tested at any
//! hour and on any date without sleeping, and fixtures and expectations come
//! from the same instant.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// A source of the current instant, cheap to clone and shared by clones.
#[derive(Clone, Default)]
pub struct Clock {
    /// `None`: the system clock. Otherwise the shift from the system clock:
    /// a shifted clock keeps running at the system's pace, so consecutive
    /// writes still get distinct, ordered times.
    shift: Option<Arc<Mutex<Duration>>>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.shift {
            None => f.write_str("Clock(system)"),
            Some(_) => write!(f, "Clock(shifted, now {})", self.now()),
        }
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `start` now and runs on from there.
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        Self {
            shift: Some(Arc::new(Mutex::new(start - Utc::now()))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.shift {
            None => Utc::now(),
            Some(shift) => Utc::now() + *shift.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// Moves a shifted clock forward (or back, with a negative duration).
    /// The system clock cannot be moved: doing so is a programming error in
    /// a test, reported as `false`.
    pub fn advance(&self, by: Duration) -> bool {
        match &self.shift {
            None => false,
            Some(shift) => {
                let mut shift = shift.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                *shift += by;
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_starts_where_it_is_told_and_moves_when_told() {
        let start = DateTime::parse_from_rfc3339("2027-03-28T00:30:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let clock = Clock::starting_at(start);
        let read = clock.now();
        assert!(read >= start && read < start + Duration::seconds(5), "{read}");
        let copy = clock.clone();
        assert!(clock.advance(Duration::days(31)));
        assert!(copy.now() >= start + Duration::days(31), "clones share the shift");
        assert!(!Clock::system().advance(Duration::days(1)));
    }
}
