//! The real `muster` binary, run as an operator runs it: a clean
//! environment, a working directory of its own, and `serve` on a free port,
//! ready once `/healthz` answers. For what only the running process shows:
//! the command line, crashes, memory, the metrics listener, the logs.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};

use super::wire::request;

pub const BIN: &str = env!("CARGO_BIN_EXE_muster");

/// The binary in `dir` with nothing in its environment but `PATH` and
/// `RUST_LOG=info` (the level of the progress lines tests read), so that
/// nothing from the developer's shell changes what a test sees.
pub fn muster(dir: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", "info")
        .env("MUSTER_DATA_KEY", super::TEST_DATA_KEY)
        .stdin(Stdio::null());
    command
}

/// The URL of a SQLite database file in `dir`, created on first use.
pub fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("muster.db").display())
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A loopback address that was free a moment ago.
pub fn free_addr() -> String {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string()
}

/// `muster create-user` for a coordinator, with the password typed on
/// stdin, the only way the command takes one; `flags` follow the others
/// (`--trainer`).
pub fn create_coordinator(mut command: Command, email: &str, name: &str, password: &str, flags: &[&str]) -> Output {
    command
        .args(["create-user", "--email", email, "--name", name, "--role", "coordinator"])
        .args(flags);
    super::run_with_input(command, &format!("{password}\n"))
}

/// A running `muster serve`; killed (SIGKILL) when dropped.
pub struct Server {
    pub child: Child,
    pub addr: String,
    log: PathBuf,
}

impl Server {
    /// Serves `command` on `addr`, its stderr written to `log`, and returns
    /// once `/healthz` answers 200. Fails with the log when the process
    /// exits first, and after 30 s.
    pub async fn start(mut command: Command, addr: String, log: PathBuf) -> Self {
        let child = command
            .env("MUSTER_BIND", &addr)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut server = Self { child, addr, log };
        let started = Instant::now();
        loop {
            if let Ok(reply) = request(&server.addr, "GET", "/healthz", &[], None).await
                && reply.status == 200
            {
                break;
            }
            assert!(server.still_running(), "the server exited: {}", server.log());
            assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        server
    }

    /// What the server has written to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn still_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    pub fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Resident memory in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_of(self.pid())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A process's resident memory in KiB, from `/proc/<pid>/status`.
pub fn rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}
