//! Rebuilds the crate when anything under `migrations/` changes (`embed_migrations!` alone
//! does not notice new migration folders) and publishes a digest of the migrations'
//! contents, which names the migrated template database of the test support.

use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let manifest_dir = env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let migrations = Path::new(&manifest_dir).join("../../migrations");
    println!("cargo::rerun-if-changed={}", migrations.display());

    let mut files = Vec::new();
    collect_files(&migrations, &mut files);
    files.sort();

    let mut digest = Fnv1a::default();
    for file in &files {
        let relative = file.strip_prefix(&migrations).unwrap_or(file);
        digest.write(relative.to_string_lossy().as_bytes());
        digest.write(&[0]);
        digest.write(&fs::read(file).expect("migration files are readable"));
        digest.write(&[0]);
    }
    println!("cargo::rustc-env=TASKS_MIGRATIONS_DIGEST={:016x}", digest.0);
}

fn collect_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("the migrations directory is readable") {
        let path = entry.expect("the migrations directory is readable").path();
        if path.is_dir() {
            collect_files(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// 64-bit FNV-1a: stable across Rust releases, unlike `DefaultHasher`, and needs no crate.
struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}
