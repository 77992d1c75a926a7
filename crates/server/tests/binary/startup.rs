use std::process::Command;

use tasks_store_postgres::testing::TestDatabase;

use crate::process::{Binary, SECRET};

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
    std::fs::write(
        directory.path().join(".env"),
        format!(
            "DATABASE_URL={}\nBETTER_AUTH_SECRET={SECRET}\nPORT=1\n",
            database.url()
        ),
    )
    .expect(".env written");
    // PORT from the environment wins over the .env file's unusable port 1.
    let binary = Binary::start(directory.path(), &[("PORT", "0")]);
    let health = reqwest::get(binary.url("/ready"))
        .await
        .expect("request sent");
    assert_eq!(health.status(), 200);
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
