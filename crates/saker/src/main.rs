//! The `saker` binary: command-line wiring only; the work lives in the
//! library crates. One module per command under `cmd/`.
//!
//! Exit codes: 0 success (whatever was found), 1 when `--fail-on` fired,
//! 2 bad usage, unusable rules or an unreadable input (2 wins over 1).
//! Errors go to stderr.

mod cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// saker — threat detection and posture for AWS EC2 estates.
#[derive(Parser, Debug)]
#[command(name = "saker", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Write a simulated day of CloudTrail with an attack in it, then detect.
    Demo(cmd::demo::DemoArgs),
    /// Detect threats in CloudTrail logs with Falco-format rules.
    Detect(Box<cmd::detect::DetectArgs>),
    /// Posture (CSPM) of EC2, VPC and EBS: collect, check against CIS and
    /// FSBP, report.
    #[command(subcommand)]
    Posture(cmd::posture::PostureCommand),
    /// Falco-format rules files: validate and list.
    #[command(subcommand)]
    Rules(cmd::rules::RulesCommand),
    /// Detect threats on this host from Linux audit events with Falco-format rules.
    Runtime(Box<cmd::runtime::RuntimeArgs>),
    /// Host vulnerability scanning: installed packages against ALAS and OSV.
    #[command(subcommand)]
    Vulns(cmd::vulns::VulnsCommand),
}

/// `saker … | head` closes the pipe early: stop quietly, as Unix tools do,
/// instead of reporting `println!`'s broken-pipe panic.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(a) => cmd::demo::run_demo(a),
        Command::Detect(a) => cmd::detect::run_detect(*a),
        Command::Posture(c) => cmd::posture::run(c),
        Command::Rules(c) => cmd::rules::run(c),
        Command::Runtime(a) => cmd::runtime::run(*a),
        Command::Vulns(c) => cmd::vulns::run(c),
    }
}
