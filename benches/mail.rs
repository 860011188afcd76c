//! Mail through the outbox to a real SMTP server on loopback (Debian's
//! aiosmtpd, the server the mail tests use), against lettre sending the same
//! messages straight to that server, timed in the same run:
//!
//! - **throughput**: N outside requests are submitted through the domain
//!   (each a receipt to its contact), then the worker's rounds run until
//!   every receipt has gone: planning from the journal, claiming, building,
//!   sending and marking sent. Baseline: lettre sending N messages of the
//!   same size over the same transport settings, one after another.
//! - **latency**: with the worker running as the server runs it (a round
//!   at every commit's nudge), from one request's commit to its receipt's
//!   arrival in the server's maildir; p50 and p99. Baseline: from lettre's
//!   `send` call to that message's arrival.
//!
//! Arrival is when the file appears in the maildir's `new/` (aiosmtpd
//! writes it to `tmp/` and renames it there once received whole), polled
//! every 0.2 ms for case and baseline alike.
//!
//! SQLite always; PostgreSQL too when `MUSTER_TEST_POSTGRES_URL` names a
//! server. `cargo bench --bench mail` runs it in full; `cargo test` runs a
//! smoke run (a few messages) that fails only when mail does not arrive.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod support;

/// What the SMTP sink needs of the tests' binary helpers.
mod binary {
    pub fn free_addr() -> String {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.to_string())
            .expect("a free loopback port")
    }
}

#[allow(dead_code)]
#[path = "../tests/common/smtp.rs"]
mod smtp;

use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use anyhow::{Context, ensure};
use chrono::Utc;
use entity::RequestKind;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, message::MultiPart};
use muster::{
    AppState,
    auth::Viewer,
    config::{Config, JwtSecret, MailConfig, SmtpUrl},
    domain::{
        in_work,
        requests::{self, NewRequest, matching::Span},
    },
    fixtures::TopicBuilder,
    mail::{Mailer, worker::Worker},
};
use sea_orm::DatabaseConnection;
use smtp::SmtpSink;
use support::{Sample, Settings, databases::BenchDb};
use uuid::Uuid;

const SECRET: &str = "a bench secret that is long enough to sign tokens with";
const FROM: &str = "Campaign network <network@muster.example.org>";

fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args();
    if !settings.selected("mail_bench_smoke") {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(settings))
}

struct Figures {
    backend: &'static str,
    messages: usize,
    outbox: Duration,
    direct: Duration,
    latency: Sample,
    direct_latency: Sample,
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    let Some(sink) = SmtpSink::start() else {
        println!("mail bench: skipped (python3-aiosmtpd is not installed)");
        return Ok(());
    };
    let mut figures = Vec::new();
    let sqlite = BenchDb::sqlite().await?;
    let outcome = bench_database(&settings, &sink, &sqlite).await;
    sqlite.remove().await?;
    figures.push(outcome?);
    match BenchDb::postgres().await? {
        Some(postgres) => {
            let outcome = bench_database(&settings, &sink, &postgres).await;
            postgres.remove().await?;
            figures.push(outcome?);
        }
        None => println!("PostgreSQL: skipped ({} is not set)", support::databases::POSTGRES_ENV),
    }
    if settings.full {
        print(&figures);
    }
    Ok(())
}

fn print(figures: &[Figures]) {
    let per_second = |n: usize, d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "{:<9} {:>8} {:>12} {:>12} {:>6}   {:>9} {:>9} {:>9} {:>9}",
        "backend", "messages", "outbox /s", "lettre /s", "ratio", "p50", "p99", "lettre50", "lettre99"
    );
    for f in figures {
        let (ours, theirs) = (per_second(f.messages, f.outbox), per_second(f.messages, f.direct));
        println!(
            "{:<9} {:>8} {:>12.1} {:>12.1} {:>6.2}   {:>9.1?} {:>9.1?} {:>9.1?} {:>9.1?}",
            f.backend,
            f.messages,
            ours,
            theirs,
            ours / theirs,
            f.latency.median(),
            f.latency.quantile(0.99),
            f.direct_latency.median(),
            f.direct_latency.quantile(0.99),
        );
    }
}

async fn bench_database(settings: &Settings, sink: &SmtpSink, db: &BenchDb) -> anyhow::Result<Figures> {
    let url = db.url.clone();
    let smtp = sink.url();
    let config = Config::from_lookup(move |name| match name {
        "MUSTER_DATABASE_URL" => Some(url.clone()),
        "MUSTER_SMTP_URL" => Some(smtp.clone()),
        _ => None,
    })?;
    let state = AppState::new(
        db.conn.clone(),
        &config,
        &JwtSecret::from_bytes(SECRET.as_bytes().to_vec()),
    );
    let topic = TopicBuilder::new("intro", Utc::now())
        .name("Introduction to NHS charging")
        .insert(&db.conn)
        .await?
        .id;
    let worker = || -> anyhow::Result<Worker> {
        let mail = MailConfig {
            smtp: Some(SmtpUrl::parse(&sink.url())?),
            from: FROM.to_owned(),
        };
        let mailer = Mailer::new(&mail, Path::new("."), "muster.example.org")?;
        Ok(Worker::new(db.conn.clone(), state.mailroom.clone(), mailer))
    };
    let messages = settings.pick(500, 5);

    // Throughput: N receipts queued by N commits, then sent.
    clear(sink)?;
    for i in 0..messages {
        submit(&db.conn, topic, i).await?;
    }
    let mut sending = worker()?;
    let started = Instant::now();
    let mut sent = 0;
    while sent < messages {
        let round = sending.round(Utc::now()).await?;
        ensure!(round.failed == 0, "{round:?}");
        ensure!(
            round.sent > 0 || started.elapsed() < Duration::from_secs(60),
            "mail stopped at {sent}"
        );
        sent += round.sent;
    }
    let outbox = started.elapsed();
    wait_for(sink, messages).await?;

    // The baseline: the same number of messages of a receipt's size,
    // straight through lettre.
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&sink.url())?
        .timeout(Some(Duration::from_secs(20)))
        .build();
    let sample = arrived(sink)
        .into_iter()
        .next()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .unwrap_or_default();
    let letter = smtp::parse(&sample);
    clear(sink)?;
    let started = Instant::now();
    for i in 0..messages {
        transport.send(direct(&letter, i)?).await?;
    }
    let direct_total = started.elapsed();
    wait_for(sink, messages).await?;

    // Latency, with the worker running as in the server.
    let running = muster::mail::worker::start(worker()?, muster::clock::Clock::system());
    let samples = settings.pick(200, 3);
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for i in 0..samples {
        clear(sink)?;
        let started = Instant::now();
        submit(&db.conn, topic, messages + i).await?;
        wait_for(sink, 1).await?;
        ours.push(started.elapsed());

        clear(sink)?;
        let started = Instant::now();
        transport.send(direct(&letter, messages + i)?).await?;
        wait_for(sink, 1).await?;
        theirs.push(started.elapsed());
    }
    clear(sink)?;
    running.stop().await;
    Ok(Figures {
        backend: db.name,
        messages,
        outbox,
        direct: direct_total,
        latency: Sample::new(ours),
        direct_latency: Sample::new(theirs),
    })
}

/// One outside organisation's request, committed as the API commits it.
async fn submit(db: &DatabaseConnection, topic: Uuid, i: usize) -> anyhow::Result<()> {
    let now = Utc::now();
    let new = NewRequest {
        kind: RequestKind::Workshop,
        topic_id: topic,
        group_slug: None,
        organisation_name: Some(format!("Practice {i}")),
        contact_name: Some("Practice Manager".to_owned()),
        contact_email: Some(format!("bookings{i}@practice.example.net")),
        windows: vec![Span {
            starts_at: now + chrono::Duration::days(30),
            ends_at: now + chrono::Duration::days(30) + chrono::Duration::hours(8),
        }],
        online: false,
        town: Some("Cardiff".to_owned()),
        postcode_area: None,
        region: Some("Wales".to_owned()),
        expected_audience: None,
        notes: String::new(),
        public_event: false,
    };
    in_work(db, async |work| {
        requests::submit(work, &Viewer::Anonymous, new, now).await
    })
    .await
    .context("submit")?;
    Ok(())
}

/// A message like `letter`, built by lettre alone.
fn direct(letter: &smtp::Mail, i: usize) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(FROM.parse()?)
        .to(format!("direct{i}@practice.example.net").parse()?)
        .subject(letter.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            letter.text.clone(),
            letter.html.clone(),
        ))?)
}

/// The messages in the server's maildir.
fn arrived(sink: &SmtpSink) -> Vec<PathBuf> {
    std::fs::read_dir(sink.maildir().join("new"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect()
}

/// Empties the maildir, so that polling it stays cheap.
fn clear(sink: &SmtpSink) -> anyhow::Result<()> {
    for path in arrived(sink) {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

async fn wait_for(sink: &SmtpSink, count: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    while arrived(sink).len() < count {
        ensure!(started.elapsed() < Duration::from_secs(60), "mail did not arrive");
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    Ok(())
}
