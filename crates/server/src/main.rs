use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use tasks_server::settings::Settings;
use tasks_server::{Application, healthcheck, telemetry};

const USAGE: &str = "usage: tasks-api [serve | migrate | healthcheck]";

#[actix_web::main]
async fn main() -> ExitCode {
    // A .env file never overrides a variable that is already set.
    let _ = dotenvy::dotenv();
    let env: HashMap<String, String> = std::env::vars().collect();
    let settings = match Settings::load(Path::new("config"), &env) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let _flush_logs_on_exit = telemetry::init(settings.environment);

    let command = std::env::args().nth(1);
    let result = match command.as_deref() {
        None | Some("serve") => serve(&settings).await,
        Some("migrate") => migrate(&settings).await,
        Some("healthcheck") => healthcheck(&settings),
        Some(_) => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let application = Application::build(settings).await?;
    application.run_until_signalled().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let applied = tasks_server::startup::migrate(&settings.store).await?;
    tracing::info!(applied = ?applied, "database migrations up to date");
    Ok(())
}

fn healthcheck(settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    if healthcheck::service_is_healthy(settings.server.port)? {
        Ok(())
    } else {
        Err("the service answered /health with an error".into())
    }
}
