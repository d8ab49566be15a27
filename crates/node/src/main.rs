//! `mpcd`: the threshold-custody node. The commands are in `mpcd::cli`.

use clap::Parser;

fn main() {
    let cli = mpcd::cli::Cli::parse();
    if let Err(e) = mpcd::cli::run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
