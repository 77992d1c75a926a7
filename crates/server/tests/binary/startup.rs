use std::process::Command;

use tasks_store_postgres::testing::TestDatabase;

use crate::process::{Binary, SECRET, token_for};

/// Runs the binary to completion in `directory` with only `variables`.
fn run(directory: &std::path::Path, args: &[&str], variables: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tasks-api"))
        .current_dir(directory)
        .env_clear()
        .envs(variables.iter().copied())
        .args(args)
        .output()
        .expect("the binary runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

#[test]
fn a_bad_setting_stops_startup_with_one_line_naming_it() {
    let directory = tempfile::tempdir().expect("temp dir");
    let (ok, output) = run(
        directory.path(),
        &[],
        &[
            ("DATABASE_URL", "postgres://127.0.0.1/x"),
            ("BETTER_AUTH_SECRET", "too-short"),
        ],
    );
    assert!(!ok);
    assert_eq!(output.trim().lines().count(), 1, "{output}");
    assert!(output.contains("BETTER_AUTH_SECRET"), "{output}");
    assert!(
        !output.contains("too-short"),
        "the secret was printed: {output}"
    );
}

#[tokio::test]
async fn dot_env_is_loaded_without_overriding_the_environment() {
    let database = TestDatabase::create().await;
    let directory = tempfile::tempdir().expect("temp dir");
    // A port already taken: the binary could not listen if the .env file's PORT won.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to occupy");
    let taken_port = taken.local_addr().expect("its address").port();
    std::fs::write(
        directory.path().join(".env"),
        format!(
            "DATABASE_URL={}
BETTER_AUTH_SECRET=a-secret-from-dot-env-that-must-lose!!
PORT={taken_port}
",
            database.url()
        ),
    )
    .expect(".env written");
    let binary = Binary::start(
        directory.path(),
        &[("PORT", "0"), ("BETTER_AUTH_SECRET", SECRET)],
    );
    assert_ne!(binary.port, taken_port);
    // The environment's secret verifies tokens; DATABASE_URL, set only in .env, is used.
    let created = reqwest::Client::new()
        .post(binary.url("/api/alice/tasks"))
        .bearer_auth(token_for("alice"))
        .json(&serde_json::json!({"title": "through .env's database"}))
        .send()
        .await
        .expect("request sent");
    assert_eq!(created.status(), 201);
    assert!(
        database.sessions().await > 0,
        "the binary uses .env's DATABASE_URL"
    );
}

#[tokio::test]
async fn migrate_subcommand_applies_migrations_and_exits() {
    let database = TestDatabase::create().await;
    let directory = tempfile::tempdir().expect("temp dir");
    let (ok, output) = run(
        directory.path(),
        &["migrate"],
        &[
            ("DATABASE_URL", database.url()),
            ("BETTER_AUTH_SECRET", SECRET),
        ],
    );
    assert!(ok, "{output}");
    assert!(output.contains("migrations up to date"), "{output}");
}
