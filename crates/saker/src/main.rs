//! The `saker` binary: command-line wiring only; the work lives in the
//! library crates.

use clap::Parser;

/// saker — threat detection and posture for AWS EC2 estates.
#[derive(Parser, Debug)]
#[command(name = "saker", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
}
