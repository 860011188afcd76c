//! Python's `icalendar` package as a second, independent iCalendar parser
//! (`tests/ical/validate.py`), and the check that a Python package the
//! tests read with is there.

use std::{path::Path, process::Command};

/// Whether `python3` with `icalendar` is there.
pub fn python_icalendar_available() -> bool {
    python_module_available("icalendar")
}

/// Whether `python3` can import `module`; in CI its absence is a failure,
/// elsewhere a skip, so a developer without it can still run the suite.
pub fn python_module_available(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with {module} is required in CI"
        );
        eprintln!("skipping: python3 with {module} is not installed");
    }
    ok
}

/// The VEVENTs of `ics` as `validate.py` reads them, one JSON object each.
pub fn python_read(ics: &str) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.ics");
    std::fs::write(&path, ics).unwrap();
    let mut command = script("tests/ical/validate.py");
    command.arg(&path);
    json_lines(command, "", "validate.py failed")
}

/// `python3` running one of the suite's scripts (`path` from the
/// package's root).
pub fn script(path: &str) -> Command {
    let mut command = Command::new("python3");
    command.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(path));
    command
}

/// What a script prints, one JSON value a line, given `input` on stdin;
/// a failed run fails the test with `failure` and what the script said.
pub fn json_lines(command: Command, input: &str, failure: &str) -> Vec<serde_json::Value> {
    let output = super::run_with_input(command, input);
    assert!(
        output.status.success(),
        "{failure}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
