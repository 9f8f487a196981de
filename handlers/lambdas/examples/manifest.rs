//! Prints the package manifest as JSON (used by `scripts/package`).
#![allow(clippy::print_stdout)]

fn main() {
    let manifest = multiregion_handlers::manifest::Manifest::current();
    println!(
        "{}",
        serde_json::to_string_pretty(&manifest).expect("the manifest serializes")
    );
}
