//! No code path UPSERTs the failover records: the compare-and-swap depends on
//! every write being a DELETE of what was read or a CREATE of what is new.
//! This scans the sources of every crate of ours that could write records
//! (the test bench, which rewrites batches for moto, is not ours to ship).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !matches!(
                path.file_name().and_then(|n| n.to_str()),
                Some("target" | "node_modules")
            ) {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_code_path_upserts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in ["handlers", "provider"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() >= 5, "found only {files:?}");
    // Built from parts so that this file does not match itself.
    let needles = [
        ["ChangeAction::", "Upsert"].concat(),
        ["\"UP", "SERT\""].concat(),
        ["Action>UP", "SERT"].concat(),
    ];
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for needle in &needles {
            assert!(
                !text.contains(needle),
                "{} contains {needle}",
                file.display()
            );
        }
    }
}
