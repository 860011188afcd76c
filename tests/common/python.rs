//! Python's `icalendar` package as a second, independent iCalendar parser
//! (`tests/ical/validate.py`).

use std::process::Command;

/// Whether `python3` with `icalendar` is there; in CI its absence is a
/// failure, elsewhere a skip, so a developer without it can still run the
/// suite.
pub fn python_icalendar_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import icalendar"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with icalendar is required in CI"
        );
        eprintln!("skipping: python icalendar not installed");
    }
    ok
}

/// The VEVENTs of `ics` as `validate.py` reads them, one JSON object each.
pub fn python_read(ics: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.ics");
    std::fs::write(&path, ics).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ical/validate.py");
    let output = Command::new("python3").arg(script).arg(&path).output().unwrap();
    assert!(
        output.status.success(),
        "validate.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
