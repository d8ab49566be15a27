//! A local network of validators in one process: the whole engine over simulated ABCI++ blocks.
//!
//! ```text
//! cargo run --release -p tss-sim --example devnet -- --validators 4 --blocks 40 [--json]
//! ```

const USAGE: &str = "usage: devnet [--validators N (1..=64, default 4)] [--blocks B (30..=1000, default 40)] [--seed S] [--json]";

fn main() {
    let mut opts = tss_sim::devnet::DevnetOptions { validators: 4, blocks: 40, seed: 1, json: false };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| args.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or_else(|| fail(&format!("{name} needs a number")));
        match a.as_str() {
            "--validators" => opts.validators = num("--validators") as usize,
            "--blocks" => opts.blocks = num("--blocks"),
            "--seed" => opts.seed = num("--seed"),
            "--json" => opts.json = true,
            _ => fail(&format!("unknown argument {a}")),
        }
    }
    if let Err(e) = tss_sim::devnet::run(&opts, &mut std::io::stdout()) {
        fail(&e);
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}\n{USAGE}");
    std::process::exit(2)
}
