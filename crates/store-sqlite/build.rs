//! Rebuilds the crate when anything under `migrations/` changes: `embed_migrations!` alone
//! does not notice new migration folders.

fn main() {
    println!("cargo::rerun-if-changed=migrations");
}
