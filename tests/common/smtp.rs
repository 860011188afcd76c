//! A real SMTP server on loopback for the mail tests: Debian's aiosmtpd,
//! storing what it receives in a maildir that the tests read back.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
};

/// One message as it arrived.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub headers: Vec<(String, String)>,
    pub text: String,
    pub html: String,
    pub raw: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first link in the text part that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with(prefix))
            .map(str::to_owned)
    }
}

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// The interpreter Debian's python3-aiosmtpd is installed for.
const PYTHON: &str = "/usr/bin/python3";

impl SmtpSink {
    /// Starts the server on a free port; `None` outside CI when aiosmtpd
    /// is not installed (CI installs it).
    pub fn start() -> Option<Self> {
        let available = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        if !available {
            assert!(
                std::env::var_os("CI").is_none(),
                "python3-aiosmtpd must be installed in CI"
            );
            eprintln!("skipping: python3-aiosmtpd is not installed");
            return None;
        }
        let port: u16 = super::binary::free_addr()
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port");
        let mut sink = Self {
            port,
            dir: tempfile::tempdir().expect("a maildir"),
            child: None,
        };
        sink.restart();
        Some(sink)
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Where the server writes what it receives (`new/` once whole).
    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// (Re)starts the server on the same port and maildir.
    pub fn restart(&mut self) {
        let child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(self.maildir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        self.child = Some(child);
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(started.elapsed().as_secs() < 20, "aiosmtpd did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Stops the server (it refuses connections until restarted).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received so far, in no particular order.
    pub fn messages(&self) -> Vec<Mail> {
        let mut all = Vec::new();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir().join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                if let Ok(raw) = std::fs::read_to_string(entry.path()) {
                    all.push(parse(&raw));
                }
            }
        }
        all
    }

    /// The messages sent to `address`.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.to_lowercase().contains(&address.to_lowercase()))
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

fn split_head(raw: &str) -> (Vec<(String, String)>, String) {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    (headers, body.to_owned())
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn decode_part(part: &str) -> (String, String) {
    let (headers, body) = split_head(part.trim_start_matches('\n'));
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_lowercase())
            .unwrap_or_default()
    };
    let body = match find("content-transfer-encoding").as_str() {
        "quoted-printable" => quoted_printable(&body),
        "base64" => {
            use base64::Engine;
            let compact: String = body.split_whitespace().collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap_or_default(),
            )
            .into_owned()
        }
        _ => body,
    };
    (find("content-type"), body)
}

pub fn parse(raw: &str) -> Mail {
    let (headers, body) = split_head(raw);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let content_type = header("Content-Type");
    let (mut text, mut html) = (String::new(), String::new());
    if let Some(boundary) = content_type.split("boundary=").nth(1) {
        let boundary = boundary.trim_matches('"');
        for part in body.split(&format!("--{boundary}")) {
            let (kind, decoded) = decode_part(part);
            if kind.starts_with("text/plain") {
                text = decoded;
            } else if kind.starts_with("text/html") {
                html = decoded;
            }
        }
    } else {
        text = body;
    }
    Mail {
        to: header("To"),
        subject: header("Subject"),
        headers,
        text,
        html,
        raw: raw.to_owned(),
    }
}
