//! CSV exports that a coordinator opens in a spreadsheet (the queue's
//! chosen requests, a letter's signatories): one rule for every cell.

/// One quoted CSV cell. A value a spreadsheet would run as a formula (it
/// starts with `= + - @`, a tab or a carriage return) is prefixed with `'`,
/// so a name someone typed can never become a command on the coordinator's
/// machine.
pub fn cell(value: &str) -> String {
    let safe = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", safe.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_prefixed_and_quotes_doubled() {
        assert_eq!(cell("=SUM(A1)"), "\"'=SUM(A1)\"");
        assert_eq!(cell("+44"), "\"'+44\"");
        assert_eq!(cell("-1"), "\"'-1\"");
        assert_eq!(cell("@x"), "\"'@x\"");
        assert_eq!(cell("\tx"), "\"'\tx\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("Riverside"), "\"Riverside\"");
    }
}
