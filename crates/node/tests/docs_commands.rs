//! Every `mpcd` command shown in a fenced code block of the README, docs/, runbooks/,
//! governance/ and the crates' and clients' READMEs parses with the current CLI: a renamed
//! flag or subcommand breaks this test, not a reader.

use clap::Parser;
use std::path::{Path, PathBuf};

fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("README.md")];
    for dir in ["docs", "runbooks", "governance", "clients/python", "crates/node", "crates/app", "crates/engine", "crates/crypto", "crates/sim", "contracts"] {
        if let Ok(entries) = std::fs::read_dir(root.join(dir)) {
            let mut found: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "md")).collect();
            found.sort();
            files.extend(found);
        }
    }
    files
}

/// The `mpcd` command lines of a markdown text's fenced code blocks: backslash continuations
/// joined, a `$ ` prompt, a trailing `# comment`, pipes and redirections cut off.
fn commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_block = false;
    let mut pending = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_block = !in_block;
            pending.clear();
            continue;
        }
        if !in_block {
            continue;
        }
        let joined = format!("{pending}{t}");
        if let Some(head) = joined.strip_suffix('\\') {
            pending = format!("{} ", head.trim_end());
            continue;
        }
        pending.clear();
        let cmd = joined.strip_prefix("$ ").unwrap_or(&joined);
        let cmd = cmd.split(" # ").next().unwrap_or(cmd);
        let cmd = cmd.split(" | ").next().unwrap_or(cmd);
        let cmd = cmd.split(" > ").next().unwrap_or(cmd);
        let cmd = cmd.split(" 2>").next().unwrap_or(cmd);
        // `sudo -u mpcd mpcd ...`, `ExecStart=/usr/local/bin/mpcd ...`, `target/debug/mpcd ...`.
        let Some(start) = cmd.find("mpcd ").filter(|&i| i == 0 || cmd[..i].ends_with('/') || cmd[..i].ends_with(' ') || cmd[..i].ends_with('=')) else { continue };
        let cmd = &cmd[start..];
        // Skip words that merely mention the binary (`mpcd start` in prose inside a block is
        // still a command; `mpcd0/` paths and `mpcd.log` are not).
        if cmd.starts_with("mpcd ") {
            out.push(cmd.trim().to_owned());
        }
    }
    out
}

#[test]
fn every_documented_command_parses() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut checked = 0;
    let mut failures = Vec::new();
    for file in markdown_files(&root) {
        let Ok(text) = std::fs::read_to_string(&file) else { continue };
        for cmd in commands(&text) {
            let words = match shell_words::split(&cmd) {
                Ok(w) => w,
                Err(e) => {
                    failures.push(format!("{}: {cmd}: {e}", file.display()));
                    continue;
                }
            };
            checked += 1;
            if let Err(e) = mpcd::cli::Cli::try_parse_from(&words) {
                let first = e.to_string().lines().next().unwrap_or_default().to_owned();
                failures.push(format!("{}: `{cmd}`: {first}", file.strip_prefix(&root).unwrap_or(&file).display()));
            }
        }
    }
    assert!(failures.is_empty(), "documented commands that do not parse:\n{}", failures.join("\n"));
    assert!(checked >= 20, "only {checked} documented mpcd commands found: the extraction is broken");
}

#[test]
fn the_extraction_finds_commands_and_ignores_prose() {
    let md = "text `mpcd nothing`\n```sh\n$ mpcd query height --node tcp://127.0.0.1:1 # comment\nmpcd tx sign \\\n  --message hi | jq .\ncat mpcd0/mpcd.log\n```\n";
    assert_eq!(commands(md), vec!["mpcd query height --node tcp://127.0.0.1:1", "mpcd tx sign --message hi"]);
}
