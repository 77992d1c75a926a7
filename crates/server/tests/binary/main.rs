//! The real `tasks-api` binary, started as a process: signals, logs, `.env`.

mod logs;
mod process;
mod shutdown;
mod shutdown_cases;
mod startup;
