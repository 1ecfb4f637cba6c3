//! Write one simulated day: `cargo run -p saker-demo --example demo_day -- OUT_DIR [SEED]`.

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: demo_day OUT_DIR [SEED]");
        std::process::exit(2);
    };
    let seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let started = std::time::Instant::now();
    match saker_demo::generate_demo_day(std::path::Path::new(&out), seed) {
        Ok(s) => {
            println!(
                "{} records in {} objects ({} bytes gzip) for account {} on {} in {:?}",
                s.records,
                s.objects.len(),
                s.gzip_bytes,
                s.account_id,
                s.day,
                started.elapsed()
            );
            for a in &s.attack {
                println!(
                    "  {} {} {} {} ({})",
                    a.event_time, a.region, a.event_name, a.event_id, a.label
                );
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
