//! The `muster` command: a thin CLI over the library. Every failure ends in
//! one line on stderr and a non-zero exit, never a panic or a backtrace.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::{io::Read, process::ExitCode};

use anyhow::Context;
use chrono::Utc;
use clap::{Parser, Subcommand, ValueEnum};
use muster::{
    AppState, backup,
    config::{self, Config, LogFormat, SecretOrigin},
    db,
    domain::{
        accounts::{self, NewUser},
        privacy, retention,
    },
    error::Error,
    jobs, mail,
    progress::Progress,
    seed::{self, SeedOutcome},
    server,
};

#[derive(Parser)]
#[command(name = "muster", version, about = "Coordination server for a campaign network")]
struct Cli {
    /// Log as JSON lines instead of human-readable text (or MUSTER_LOG_FORMAT=json).
    #[arg(long, global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve HTTP (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an account; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = RoleArg::Supporter)]
        role: RoleArg,
        /// Also give the account a trainer profile.
        #[arg(long)]
        trainer: bool,
        /// Make the account an organiser of this group (its slug), as a new
        /// group's first organiser.
        #[arg(long, value_name = "SLUG")]
        organiser_of: Option<String>,
    },
    /// Fill an empty database with a realistic demo network.
    SeedDemo {
        /// Grow the network to exactly N events, a year back and a year
        /// ahead, with groups, members, trainers and requests to match (for
        /// benchmarks: the same N on the same day gives the same rows).
        #[arg(long, value_name = "N")]
        scale: Option<usize>,
    },
    /// Print the GraphQL schema (SDL).
    ExportSchema,
    /// Print everything held about one person as JSON (a subject access
    /// request made by post). Recorded in their access log.
    ExportUser {
        #[arg(long)]
        email: String,
    },
    /// Write a consistent copy of the SQLite database to PATH (a new file)
    /// while the server keeps running. Migrations are not applied first.
    Backup {
        #[arg(value_name = "PATH")]
        path: std::path::PathBuf,
    },
    /// Replace the SQLite database with the backup at PATH. Refuses while
    /// the database is in use: stop the server first.
    Restore {
        #[arg(value_name = "PATH")]
        path: std::path::PathBuf,
    },
    /// What the outbox holds: counts of pending, failed and sent messages
    /// by kind (never an address). `muster outbox retry` puts failed
    /// messages back in the queue.
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxAction>,
    },
    /// Re-seal every personal field under the key in MUSTER_DATA_KEY (or
    /// its file), from the one in MUSTER_DATA_KEY_PREVIOUS, in committed
    /// batches while the server runs (give the server both keys first).
    /// Prints its progress; run it again to resume.
    RotateDataKey {
        /// Rows per batch (each batch is one transaction).
        #[arg(long, value_name = "ROWS", default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
        batch_size: u64,
        /// Stop after N batches (the rest on a later run).
        #[arg(long, value_name = "N")]
        max_batches: Option<u64>,
    },
    /// Remove what has outlived its retention period: ended requests'
    /// contact details, old audit entries and journal entries, ended events'
    /// RSVPs (counts stay). Prints counts only.
    Purge,
}

#[derive(Subcommand)]
enum OutboxAction {
    /// Put every failed message back in the queue (a running server sends them).
    Retry,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Supporter,
    Coordinator,
    Admin,
}

impl From<RoleArg> for entity::UserRole {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Supporter => Self::Supporter,
            RoleArg::Coordinator => Self::Coordinator,
            RoleArg::Admin => Self::Admin,
        }
    }
}

fn main() -> ExitCode {
    // Before any thread: large blocks (rendered feeds) go back to the
    // kernel when freed (see the allocator crate).
    allocator::return_large_blocks();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => return fail(&anyhow::anyhow!("cannot start the async runtime: {err}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

/// One line, whatever the error: its chain joined by ": ".
fn fail(err: &anyhow::Error) -> ExitCode {
    let line = format!("{err:#}").replace(['\n', '\r'], " ");
    eprintln!("error: {line}");
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::ExportSchema = command {
        print!("{}", muster::graphql::sdl());
        return Ok(());
    }

    let config = Config::from_env()?;
    let log_format = if cli.log_json {
        LogFormat::Json
    } else {
        config.log_format
    };
    muster::telemetry::init(log_format);
    muster::telemetry::install_panic_hook();

    // Before any migration: a backup is taken of the database as it is (say,
    // before an upgrade), and a restore must not find the file open.
    match &command {
        Command::Backup { path } => {
            let copied = backup::backup(&config.database_url, path, &Progress::for_command("backup")).await?;
            println!(
                "backed up to {} ({} bytes in {:.1} s; integrity_check ok)",
                path.display(),
                copied.bytes,
                copied.elapsed.as_secs_f64()
            );
            return Ok(());
        }
        Command::Restore { path } => {
            let copied = backup::restore(&config.database_url, path, &Progress::for_command("restore")).await?;
            println!(
                "restored {} ({} bytes in {:.1} s); migrations apply at the next start",
                path.display(),
                copied.bytes,
                copied.elapsed.as_secs_f64()
            );
            return Ok(());
        }
        _ => {}
    }

    let database = db::connect(&config.database_url)
        .await
        .with_context(|| format!("MUSTER_DATABASE_URL: cannot open {}", config.database_url.redacted()))?;
    db::migrate(&database).await.context("database migration failed")?;
    // Before anything reads or writes a personal field: the key that opens
    // them, checked against what the database holds (stops with one line
    // when it does not), and any plain values left by an older release
    // sealed.
    muster::data_key::prepare(&config, &database).await?;

    match command {
        Command::Serve => serve(config, database).await,
        Command::Migrate => {
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::CreateUser {
            email,
            name,
            role,
            trainer,
            organiser_of,
        } => {
            let password = read_password()?;
            let new = NewUser {
                email: &email,
                display_name: &name,
                password: &password,
                role: role.into(),
                trainer,
                email_verified: true,
                organiser_of: organiser_of.as_deref(),
            };
            let user = accounts::create_user(&database, new, Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("cannot create the account: {e}"))?;
            println!("created account {} with role {}", user.id, user.role.as_str());
            Ok(())
        }
        Command::SeedDemo { scale } => {
            let progress = Progress::for_command("seed-demo");
            let seeded = seed::seed_demo_with_progress(&database, Utc::now(), scale, &progress).await;
            drop(progress);
            // With its cause: a failed seed is for whoever runs it to fix.
            match seeded.map_err(|e| anyhow::Error::new(e).context("seed-demo"))? {
                SeedOutcome::AlreadySeeded => println!("the demo network is already in this database; nothing to do"),
                SeedOutcome::Seeded(summary) => println!(
                    "seeded the demo network: {} groups, {} users ({} trainers), {} topics, {} events, {} requests",
                    summary.groups, summary.users, summary.trainers, summary.topics, summary.events, summary.requests
                ),
            }
            Ok(())
        }
        Command::ExportUser { email } => {
            let policy = config.retention();
            let document = match muster::domain::in_work(&database, async |work| {
                privacy::export_for_operator(work, &email, policy, Utc::now()).await
            })
            .await
            {
                Ok(document) => document,
                // The address is not repeated: it may be someone's.
                Err(Error::NotFound) => anyhow::bail!("export-user: no account has that email address"),
                Err(err) => anyhow::bail!("export-user: {err}"),
            };
            println!("{}", serde_json::to_string_pretty(&document)?);
            Ok(())
        }
        Command::Purge => {
            let policy = config.retention();
            let report = retention::purge(&database, policy, Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("purge: {e}"))?;
            if report.removed_anything() {
                muster::domain::privacy::wipe_erased(&database).await;
            }
            println!(
                "purged the contact details of {} ended requests, removed {} audit entries and {} journal entries, \
                 reduced the RSVPs of {} ended events to counts, removed the bodies of {} sent messages \
                , {} expired account links and {} ended web sessions, and the names and emails of {} signatures \
                 of letters ended long ago",
                report.requests_purged,
                report.audit_entries_removed,
                report.journal_entries_removed,
                report.attendance_forgotten,
                report.message_bodies_removed,
                report.account_links_removed,
                report.sessions_removed,
                report.signatures_purged
            );
            Ok(())
        }
        Command::RotateDataKey {
            batch_size,
            max_batches,
        } => {
            let ring = muster::domain::sealing::keyring()?;
            if ring.previous_id().is_none() {
                eprintln!("MUSTER_DATA_KEY_PREVIOUS is not set: re-sealing only what is not under the current key");
            }
            let rotated = muster::data_key::rotate(&database, ring, batch_size, max_batches, |table, done, total| {
                println!(
                    "{table}: {done} of {total} rows re-sealed under key {}",
                    ring.current_id()
                );
            })
            .await?;
            let left: u64 = muster::domain::sealing::store::left_to_rotate(&database, ring)
                .await
                .map_err(|e| anyhow::anyhow!("rotate-data-key: {e}"))?
                .iter()
                .map(|(_, n)| n)
                .sum();
            if left == 0 {
                println!(
                    "every personal field is sealed under key {} ({} rows re-sealed); the previous key can go",
                    ring.current_id(),
                    rotated.rows
                );
            } else {
                println!(
                    "stopped after {} batches ({} rows re-sealed); {left} rows left: run it again to go on",
                    rotated.batches, rotated.rows
                );
            }
            Ok(())
        }
        Command::Outbox { action } => {
            use muster::domain::notifications::outbox::{self, Status};
            if let Some(OutboxAction::Retry) = action {
                let retried = outbox::retry_failed(&database, Utc::now())
                    .await
                    .map_err(|e| anyhow::anyhow!("outbox retry: {e}"))?;
                println!("put {retried} failed messages back in the queue");
                return Ok(());
            }
            let summary = outbox::summary(&database)
                .await
                .map_err(|e| anyhow::anyhow!("outbox: {e}"))?;
            println!(
                "pending {}, sending {}, failed {}, sent {}, dropped {}",
                summary.total(Status::Pending),
                summary.total(Status::Sending),
                summary.total(Status::Failed),
                summary.total(Status::Sent),
                summary.total(Status::Dropped)
            );
            for ((status, kind), count) in &summary.counts {
                if status != Status::Sent.as_str() {
                    println!("  {status:<8} {kind:<22} {count}");
                }
            }
            Ok(())
        }
        Command::ExportSchema | Command::Backup { .. } | Command::Restore { .. } => Ok(()),
    }
}

async fn serve(config: Config, database: sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let (jwt_secret, origin) = config::load_jwt_secret(&config.jwt_secret)?;
    if let (SecretOrigin::FileCreated, config::JwtSecretSource::File(path)) = (&origin, &config.jwt_secret) {
        tracing::info!(file = %path.display(), "generated a new token signing secret (mode 0600)");
    }
    let acceptor = server::bind(config.bind)
        .await
        .with_context(|| format!("MUSTER_BIND: cannot listen on {}", config.bind))?;
    let metrics_acceptor = bind_metrics(config.metrics).await?;
    tracing::info!(address = %config.bind, public_url = %config.public_url, "muster is serving; GraphiQL at /graphql");
    let state = AppState::new(database.clone(), &config, &jwt_secret);
    let metrics = metrics_acceptor.map(|(acceptor, addr)| {
        tracing::info!(address = %addr, "metrics at /metrics");
        tokio::spawn(server::serve_metrics(acceptor, state.metrics.clone()))
    });
    let mailer = mail::Mailer::new(
        &config.mail,
        &config.data_dir,
        config.public_url.host_str().unwrap_or("muster"),
    )?;
    tracing::info!("{}", mailer.describe());
    let mail_worker = mail::worker::start(
        mail::worker::Worker::new(database.clone(), state.mailroom.clone(), mailer),
        state.clock.clone(),
    );
    let purge = jobs::start_retention(database, config.retention(), state.clock.clone());
    let served = server::serve(acceptor, state).await;
    purge.stop().await;
    mail_worker.stop().await;
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    served.context("server stopped with an error")?;
    tracing::info!("stopped");
    Ok(())
}

/// The metrics listener, bound before serving like the main one. An
/// address the operator chose must be had; the default's being taken (a
/// second instance on this host) costs this instance its metrics only.
async fn bind_metrics(
    listener: Option<config::MetricsListener>,
) -> anyhow::Result<Option<(impl poem::listener::Acceptor + 'static, std::net::SocketAddr)>> {
    let Some(listener) = listener else {
        tracing::info!("metrics are off (MUSTER_METRICS_BIND=off)");
        return Ok(None);
    };
    match server::bind(listener.addr).await {
        Ok(acceptor) => Ok(Some((acceptor, listener.addr))),
        Err(err) if listener.chosen => {
            Err(err).with_context(|| format!("MUSTER_METRICS_BIND: cannot listen on {}", listener.addr))
        }
        Err(err) => {
            tracing::warn!(
                address = %listener.addr,
                error = %err,
                "metrics are off: the default metrics address is taken (set MUSTER_METRICS_BIND)"
            );
            Ok(None)
        }
    }
}

/// The first line of standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("Password (10+ characters, shown as typed): ");
    }
    let mut input = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut input)
        .context("cannot read the password from standard input")?;
    let password = input.lines().next().unwrap_or_default().to_owned();
    if password.is_empty() {
        anyhow::bail!("no password on standard input (pipe it in, e.g. `echo \"$PASSWORD\" | muster create-user ...`)");
    }
    Ok(password)
}
